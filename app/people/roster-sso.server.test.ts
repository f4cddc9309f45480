import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { passwordTokens, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, anIdentityProvider, asCurrentUser } from "../../test/support/factories";
import { startSmtpServer } from "../../test/support/smtp";
import { applyRoster } from "./roster-links.server";
import { uploadRoster } from "./roster-plan.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-06-15T10:00:00.000Z");
const request = { ip: "203.0.113.9", requestId: null, userAgent: "vitest", now };
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(() => smtp.close());

async function importTwoPeople(passwordSignIn: "yes" | "no") {
  const council = await aCouncil(db);
  await anIdentityProvider(
    db,
    council.organisation.id,
    { issuer: "https://idp.example", clientId: "c", clientSecret: "s" },
    { passwordSignIn },
  );
  const t = `${passwordSignIn}${Date.now().toString(36)}`;
  const csv = [
    "Employee number,Name,Email,Team,Start date",
    `A-${t},Ann ${t},ann-${t}@council.example,Team A,2026-06-01`,
    `B-${t},Bob ${t},bob-${t}@council.example,Team A,2026-06-01`,
  ].join("\r\n");
  const hr = asCurrentUser(council.hr, council.organisation);
  const uploaded = await uploadRoster(db, hr, { name: "staff.csv", bytes: new TextEncoder().encode(csv) }, request);
  if (!uploaded.ok) throw new Error(uploaded.error);
  const applied = await applyRoster(
    db,
    smtp.mailer,
    hr,
    uploaded.uploadId,
    { planDigest: uploaded.summary.planDigest },
    "https://conduct.example.gov.uk",
    request,
  );
  expect(applied.outcome).toBe("applied");
  const people = await db.select().from(users).where(eq(users.organisationId, council.organisation.id));
  const added = people.filter((p) => p.employeeNumber.endsWith(t));
  expect(added).toHaveLength(2);
  const tokens = await db
    .select()
    .from(passwordTokens)
    .where(
      inArray(
        passwordTokens.userId,
        added.map((p) => p.id),
      ),
    );
  return { added, tokens, emails: smtp.received.filter((m) => m.to.some((to) => to.includes(t))) };
}

describe("roster imports in a council that signs in through its provider", () => {
  it("e-mails new people a set-password link where password sign-in stays available", async () => {
    const { tokens, emails } = await importTwoPeople("yes");
    expect(tokens).toHaveLength(2);
    await expect.poll(() => smtp.received.length).toBeGreaterThanOrEqual(2);
    expect(emails).toHaveLength(2);
  });

  it("sends no set-password e-mail and makes no link where staff sign in only through the provider", async () => {
    const before = smtp.received.length;
    const { tokens, emails } = await importTwoPeople("no");
    expect(tokens).toHaveLength(0);
    expect(emails).toHaveLength(0);
    expect(smtp.received.length).toBe(before);
  });
});
