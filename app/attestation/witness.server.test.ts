import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, organisations } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aPolicyVersion, aSignature, asCurrentUser, TEST_PASSWORD } from "../../test/support/factories";
import { HttpClient, pageText } from "../../test/support/http";
import { startTestServer, type TestServer } from "../../test/support/server";
import { startSmtpServer } from "../../test/support/smtp";
import { checkpointLedger, latestCheckpoint } from "./checkpoints.server";
import { verifyLedger } from "./ledger.server";
import { changeWitnessEmail, mailCheckpointsToWitnesses } from "./witness.server";

const database = await freshDatabase();
const db = database.db;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let refusing = false;

beforeAll(async () => {
  smtp = await startSmtpServer({ refuse: (address) => refusing && address.startsWith("audit") });
});
afterAll(() => smtp.close());

async function aCouncilWithCheckpoint(witness: string | null) {
  const council = await aCouncil(db);
  const version = await aPolicyVersion(db, council.organisation.id);
  for (const [i, person] of [council.staff, council.hr].entries())
    await aSignature(db, person, version, new Date(Date.UTC(2026, 2, 1, 9, i)));
  await checkpointLedger(db, council.organisation.id);
  if (witness)
    await changeWitnessEmail(
      db,
      asCurrentUser(council.admin, council.organisation),
      { email: witness },
      { ip: null, requestId: null },
    );
  return council;
}

/** The checkpoint between the e-mail's markers, as a person would save it. */
const checkpointIn = (text: string) =>
  /----- begin checkpoint -----\r?\n([\s\S]*?)\r?\n----- end checkpoint -----/.exec(text)![1].replace(/\r\n/g, "\n");

describe("the ledger's witness", () => {
  it("is e-mailed the council's latest signed checkpoint once a day, which the ledger then proves it extends", async () => {
    const council = await aCouncilWithCheckpoint("audit-one@example.test");
    await aCouncilWithCheckpoint(null);
    const morning = { now: new Date("2026-03-20T07:00:00Z") };
    expect(await mailCheckpointsToWitnesses(db, smtp.mailer, morning)).toEqual({ sent: 1, failed: 0 });
    const mails = smtp.received.filter((m) => m.to.includes("audit-one@example.test"));
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain(`${council.organisation.name}: the ledger's signed checkpoint of 2026-03-20`);
    const saved = `${checkpointIn(mails[0].text)}\n`;
    expect(saved).toBe((await latestCheckpoint(db, council.organisation.id))!.signedNote);
    expect((await verifyLedger(db, { organisationId: council.organisation.id, heldCheckpoints: [saved] })).ok).toBe(
      true,
    );

    // The same day's later runs send nothing more; the next day's sends again.
    expect(await mailCheckpointsToWitnesses(db, smtp.mailer, { now: new Date("2026-03-20T22:00:00Z") })).toEqual({
      sent: 0,
      failed: 0,
    });
    expect(await mailCheckpointsToWitnesses(db, smtp.mailer, { now: new Date("2026-03-21T07:00:00Z") })).toEqual({
      sent: 1,
      failed: 0,
    });
    expect(smtp.received.filter((m) => m.to.includes("audit-one@example.test"))).toHaveLength(2);
  });

  it("retries a refused e-mail on the day's next run, and records nothing without SMTP", async () => {
    await aCouncilWithCheckpoint("audit-two@example.test");
    const day = { now: new Date("2026-04-02T07:00:00Z") };
    expect(await mailCheckpointsToWitnesses(db, null, day)).toEqual({ sent: 0, failed: 0 });
    refusing = true;
    try {
      expect((await mailCheckpointsToWitnesses(db, smtp.mailer, day)).failed).toBeGreaterThanOrEqual(1);
    } finally {
      refusing = false;
    }
    expect(smtp.received.filter((m) => m.to.includes("audit-two@example.test"))).toHaveLength(0);
    await mailCheckpointsToWitnesses(db, smtp.mailer, { now: new Date("2026-04-02T09:00:00Z") });
    expect(smtp.received.filter((m) => m.to.includes("audit-two@example.test"))).toHaveLength(1);
  });
});

describe("the admin's witness page", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(database);
  });
  afterAll(() => server.close());

  it("saves an address, refuses a malformed one with nothing written, and writes one audit entry for a double submit", async () => {
    const council = await aCouncil(db);
    const admin = new HttpClient(server.url);
    await admin.signIn(council.admin.email, TEST_PASSWORD);
    const bad = await admin.post("/admin/ledger-witness", { email: "not an address" });
    expect(bad.status).toBe(400);
    const badText = pageText(await bad.text());
    expect(badText).toContain("There is a problem");
    expect(badText).toContain("Enter an email address in the correct format");
    const witness = async () =>
      (await db.select().from(organisations).where(eq(organisations.id, council.organisation.id)))[0].witnessEmail;
    expect(await witness()).toBeNull();

    for (let i = 0; i < 2; i++) {
      const saved = await admin.post("/admin/ledger-witness", { email: " Audit@Example.test " });
      expect(saved.status).toBe(302);
    }
    expect(await witness()).toBe("audit@example.test");
    const entries = await db.select().from(auditLog).where(eq(auditLog.organisationId, council.organisation.id));
    expect(entries.filter((e) => e.action === "ledger-witness.changed")).toHaveLength(1);
    const page = pageText(await (await admin.get("/admin/ledger-witness?saved=1")).text());
    expect(page).toContain("Your change has been saved.");

    expect((await admin.post("/admin/ledger-witness", { email: "" })).status).toBe(302);
    expect(await witness()).toBeNull();
  });
});
