import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainMailJobs } from "~/mail/mail-queue.server";
import { auditLog, authAttempts, mailJobs, passwordTokens } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aPerson } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";
import { startSmtpServer } from "../support/smtp";

// /forgot-password must not tell who has an account by how long it takes: the request only queues the job, and
// every piece of work that depends on the account (finding it, the link, the audit entry, the e-mail) comes after
// the answer has gone. Tested by what has happened when the answer arrives, not by timing it.

const database = await freshDatabase();
const db = database.db;
const SERVICE_URL = "https://conduct.example.gov.uk";
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let manual: TestServer;
let automatic: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;

beforeAll(async () => {
  council = await aCouncil(db);
  smtp = await startSmtpServer();
  const env = { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SERVICE_URL, TRUSTED_PROXY_HOPS: "1" };
  manual = await startTestServer(database, { env, mailQueue: "manual" });
  automatic = await startTestServer(database, { env });
});
afterAll(async () => {
  await manual.close();
  await automatic.close();
  await smtp.close();
});

let address = 0;
const from = () => ({ "x-forwarded-for": `198.51.100.${++address}` });

async function counts() {
  const [[tokens], [audit], [attempts], [jobs]] = await Promise.all([
    db.select({ n: count() }).from(passwordTokens),
    db.select({ n: count() }).from(auditLog),
    db.select({ n: count() }).from(authAttempts),
    db.select({ n: count() }).from(mailJobs),
  ]);
  return { tokens: tokens.n, audit: audit.n, attempts: attempts.n, jobs: jobs.n };
}

const aStaffMember = () => aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });

describe("asking for a password reset", () => {
  it("answers having only queued a job, the same for an address with an account as for one without", async () => {
    const person = await aStaffMember();
    const client = new HttpClient(manual.url);
    const csrf = await client.csrfToken();
    smtp.received.length = 0;

    const before = await counts();
    const known = await client.post("/forgot-password", { email: person.email }, { csrf, headers: from() });
    expect(known.status).toBe(200);
    expect(pageText(await known.text())).toContain("Check your email");
    const afterKnown = await counts();
    // Nothing that depends on the account has been done: no link, no audit entry, not even the throttle's row.
    expect(afterKnown).toEqual({ ...before, jobs: before.jobs + 1 });

    const unknown = await client.post(
      "/forgot-password",
      { email: "nobody@nowhere.example" },
      { csrf, headers: from() },
    );
    expect(unknown.status).toBe(200);
    expect(await counts()).toEqual({ ...afterKnown, jobs: afterKnown.jobs + 1 });
    expect(smtp.received).toHaveLength(0);

    // The work happens when the queue is drained: one e-mail, to the person with the account.
    expect(await drainMailJobs(db, smtp.mailer, { now: () => new Date() })).toEqual({ done: 2, failed: 0 });
    expect(smtp.received.map((m) => m.to)).toEqual([[person.email]]);
    expect(await counts()).toMatchObject({ tokens: before.tokens + 1, jobs: before.jobs });
    const [token] = await db.select().from(passwordTokens).where(eq(passwordTokens.userId, person.id));
    expect(token.purpose).toBe("reset");
  });

  it("e-mails the link soon after the answer when the server drains its queue", async () => {
    const person = await aStaffMember();
    const client = new HttpClient(automatic.url);
    smtp.received.length = 0;
    const response = await client.post("/forgot-password", { email: person.email }, { headers: from() });
    expect(response.status).toBe(200);
    await expect.poll(() => smtp.received.filter((m) => m.to[0] === person.email).length).toBe(1);
  });

  it("builds the link from SERVICE_URL, never from the request's Host header", async () => {
    const person = await aStaffMember();
    const client = new HttpClient(manual.url);
    const csrf = await client.csrfToken();
    smtp.received.length = 0;
    const response = await client.post(
      "/forgot-password",
      { email: person.email },
      { csrf, headers: { ...from(), host: "evil.example", "x-forwarded-host": "evil.example" } },
    );
    expect(response.status).toBe(200);
    await drainMailJobs(db, smtp.mailer, { now: () => new Date() });
    const mail = smtp.received.find((m) => m.to[0] === person.email)!;
    expect(mail.text).toContain(`${SERVICE_URL}/set-password?token=`);
    expect(mail.text).not.toContain("evil.example");
  });
});
