import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withdrawAttestation } from "~/attestation/signing.server";
import { setTeam } from "~/people/memberships.server";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { attestations, auditLog } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aCouncil,
  aModuleContent,
  aNudge,
  aPerson,
  aPolicyVersion,
  aSignature,
  answerEveryQuestion,
  asCurrentUser,
} from "../../test/support/factories";
import { pdfText } from "../../test/support/pdf";
import { renderEvidencePdf } from "./evidence-pdf.server";
import { openEvidence, personEvidence } from "./evidence.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-05-01T12:00:00Z");
const request = { ip: "192.0.2.7", requestId: "req-evidence" };

let one: Awaited<ReturnType<typeof aCouncil>>;
let two: Awaited<ReturnType<typeof aCouncil>>;
let attemptId: string;
let firstSignature: typeof attestations.$inferSelect;
let secondSignature: typeof attestations.$inferSelect;
let withdrawalReference: string;
let otherPersonsRecord: typeof attestations.$inferSelect;

beforeAll(async () => {
  one = await aCouncil(db);
  two = await aCouncil(db);
  await syncTrainingModules(
    db,
    [aModuleContent(one.organisation.slug) as unknown as TrainingModule],
    new Date("2026-01-01T00:00:00Z"),
  );
  const staff = asCurrentUser(one.staff, one.organisation);
  attemptId = (await startOrResumeAttempt(db, staff, "test-module", new Date("2026-02-02T10:00:00Z")))!;
  // A wrong first answer leads to the follow-up question (which does not score); the rest are right.
  let first = true;
  await answerEveryQuestion(
    db,
    staff,
    "test-module",
    attemptId,
    (step) => new Date(`2026-02-02T10:0${step + 1}:00Z`),
    () => (first ? ((first = false), "b") : "a"),
  );
  const version = await aPolicyVersion(db, one.organisation.id, { label: "1" });
  firstSignature = await aSignature(db, one.staff, version, new Date("2026-02-03T09:00:00Z"));
  const hr = asCurrentUser(one.hr, one.organisation);
  const withdrawn = await withdrawAttestation(
    db,
    hr,
    { reference: firstSignature.reference, reason: "Signed at a shared desk by mistake." },
    { ...request, now: new Date("2026-02-04T09:00:00Z") },
  );
  if (!withdrawn.ok) throw new Error("could not withdraw");
  withdrawalReference = withdrawn.record.reference;
  secondSignature = await aSignature(db, one.staff, version, new Date("2026-02-05T09:00:00Z"));
  otherPersonsRecord = await aSignature(db, one.champion, version, new Date("2026-02-06T09:00:00Z"));
  await setTeam(db, one.staff.id, one.teamB.id, "2026-03-01");
  await aNudge(db, {
    organisationId: one.organisation.id,
    recipientUserId: one.staff.id,
    senderUserId: one.champion.id,
    teamId: one.teamA.id,
    day: "2026-02-01",
    message: "Please finish the module this week.",
    deliveries: [
      { channel: "in-app", status: "delivered" },
      { channel: "email", status: "failed", error: "550 mailbox unavailable" },
    ],
  });
  await aNudge(db, {
    organisationId: one.organisation.id,
    recipientUserId: one.staff.id,
    kind: "reminder",
    day: "2026-02-01",
    createdAt: new Date("2026-02-01T10:00:00Z"),
    deliveries: [{ channel: "email", status: "skipped" }],
  });
  // Another council's nudge and record never appear.
  await aNudge(db, { organisationId: two.organisation.id, recipientUserId: two.staff.id, day: "2026-02-01" });
});

describe("a person's evidence", () => {
  it("lists every attempt with its module version, score and each answer in the words shown", async () => {
    const evidence = await personEvidence(db, one.organisation.id, one.staff.id, now);
    expect(evidence?.attempts).toHaveLength(1);
    const [attempt] = evidence!.attempts;
    expect(attempt).toMatchObject({
      id: attemptId,
      moduleTitle: "Test module",
      moduleSlug: "test-module",
      answered: 3,
      score: 2,
      status: "failed",
      scorePercent: 67,
    });
    expect(attempt.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(attempt.answers.map((a) => [a.step, a.question, a.choiceText, a.correct])).toEqual([
      [1, expect.stringMatching(/^What do you do in 1\.[12]\?$/), "Answer b", false],
      [2, "And now?", "Answer a", true],
      [3, expect.stringMatching(/^What do you do in 2\.[12]\?$/), "Answer a", true],
      [4, expect.stringMatching(/^What do you do in 3\.[12]\?$/), "Answer a", true],
    ]);
  });

  it("lists every ledger record, signature and withdrawal, each verified, with the chain head at the time", async () => {
    const evidence = (await personEvidence(db, one.organisation.id, one.staff.id, now))!;
    expect(evidence.attestations.map((r) => [r.reference, r.kind, r.withdrawnBy, r.subjectReference])).toEqual([
      [firstSignature.reference, "signed", withdrawalReference, null],
      [withdrawalReference, "withdrawn", null, firstSignature.reference],
      [secondSignature.reference, "signed", null, null],
    ]);
    expect(evidence.attestations[1]).toMatchObject({
      actorName: one.hr.name,
      reason: "Signed at a shared desk by mistake.",
    });
    expect(evidence.attestations.every((r) => r.verification.intact)).toBe(true);
    expect(evidence.attestations[2]).toMatchObject({
      hash: secondSignature.hash,
      previousHash: secondSignature.previousHash,
      policyVersionLabel: "1",
    });
    // The head is the organisation's newest record, whoever it belongs to.
    expect(evidence.chainHead).toMatchObject({
      reference: otherPersonsRecord.reference,
      hash: otherPersonsRecord.hash,
      seq: otherPersonsRecord.seq,
    });
    expect(evidence.producedAt).toBe(now.toISOString());
  });

  it("lists every nudge with who sent it and each delivery", async () => {
    const evidence = (await personEvidence(db, one.organisation.id, one.staff.id, now))!;
    expect(evidence.nudges.map((n) => [n.kind, n.senderName, n.teamName, n.message])).toEqual([
      ["nudge", one.champion.name, "Team A", "Please finish the module this week."],
      ["reminder", null, null, null],
    ]);
    expect(evidence.nudges[0].deliveries.map((d) => [d.channel, d.status, d.error])).toEqual([
      ["in-app", "delivered", null],
      ["email", "failed", "550 mailbox unavailable"],
    ]);
  });

  it("shows where they stand now and the teams they were in, with dates", async () => {
    const evidence = (await personEvidence(db, one.organisation.id, one.staff.id, now))!;
    expect(evidence.memberships).toEqual([
      { team: "Team A", startedOn: one.staff.startDate, endedOn: "2026-03-01" },
      { team: "Team B", startedOn: "2026-03-01", endedOn: null },
    ]);
    expect(evidence.person).toMatchObject({
      name: one.staff.name,
      team: "Team B",
      employeeNumber: one.staff.employeeNumber,
    });
    expect(evidence.requirements.find((r) => r.kind === "policy")).toMatchObject({
      status: "complete",
      attestationReference: secondSignature.reference,
    });
  });

  it("keeps a leaver's evidence, saying they left", async () => {
    const leaver = await aPerson(db, {
      organisationId: one.organisation.id,
      teamId: one.teamA.id,
      startDate: "2025-01-06",
      leavingDate: "2026-03-31",
      active: false,
    });
    const evidence = (await personEvidence(db, one.organisation.id, leaver.id, now))!;
    expect(evidence.person).toMatchObject({ active: false, leavingDate: "2026-03-31" });
    expect(evidence.requirements).toEqual([]);
    expect(pdfText(await renderEvidencePdf(evidence))).toContain(
      "Nothing is required of them now: they left on 31 March 2026.",
    );
  });

  it("gives nothing about another council's person, or about no one", async () => {
    expect(await personEvidence(db, one.organisation.id, two.staff.id, now)).toBeNull();
    expect(await personEvidence(db, one.organisation.id, "not-a-uuid", now)).toBeNull();
    expect(await personEvidence(db, one.organisation.id, "00000000-0000-4000-8000-000000000000", now)).toBeNull();
  });

  it("says which record was altered and which no longer links to the record before it", async () => {
    const council = await aCouncil(db);
    const version = await aPolicyVersion(db, council.organisation.id, { label: "1" });
    const first = await aSignature(db, council.staff, version, new Date("2026-02-01T09:00:00Z"));
    const second = await aSignature(db, council.staff, version, new Date("2026-02-02T09:00:00Z"));
    const third = await aSignature(db, council.staff, version, new Date("2026-02-03T09:00:00Z"));
    await db.transaction(async (tx) => {
      await tx.execute(sql`alter table attestations disable trigger user`);
      await tx.update(attestations).set({ typedName: "Someone Else" }).where(eq(attestations.id, first.id));
      await tx
        .update(attestations)
        .set({ hash: "f".repeat(64) })
        .where(eq(attestations.id, second.id));
      await tx.execute(sql`alter table attestations enable trigger user`);
    });
    const evidence = (await personEvidence(db, council.organisation.id, council.staff.id, now))!;
    expect(Object.fromEntries(evidence.attestations.map((r) => [r.reference, r.verification]))).toEqual({
      // The first's body changed, so the service's signature no longer holds either; the second's hash alone changed.
      [first.reference]: { hashMatches: false, linked: true, serviceSigned: false, intact: false },
      [second.reference]: { hashMatches: false, linked: true, serviceSigned: true, intact: false },
      [third.reference]: { hashMatches: true, linked: false, serviceSigned: true, intact: false },
    });
  });
});

describe("opening a person's evidence", () => {
  const hr = () => asCurrentUser(one.hr, one.organisation);
  const entries = (action: string, subjectId: string) =>
    db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, action), eq(auditLog.subjectId, subjectId)));

  it("writes each viewing and each download to the audit log, with who, whom and the chain head", async () => {
    const before = (await entries("evidence.viewed", one.staff.id)).length;
    expect(await openEvidence(db, hr(), one.staff.id, "viewed", request, now)).not.toBeNull();
    expect(await openEvidence(db, hr(), one.staff.id, "downloaded", request, now)).not.toBeNull();
    const viewed = await entries("evidence.viewed", one.staff.id);
    expect(viewed).toHaveLength(before + 1);
    expect(viewed.at(-1)).toMatchObject({
      organisationId: one.organisation.id,
      actorUserId: one.hr.id,
      subjectType: "user",
      ip: "192.0.2.7",
      requestId: "req-evidence",
      details: { producedAt: now.toISOString(), chainHead: otherPersonsRecord.reference, records: 3 },
    });
    expect(await entries("evidence.downloaded", one.staff.id)).toHaveLength(1);
  });

  it("writes nothing when the person is not of the viewer's council", async () => {
    expect(await openEvidence(db, hr(), two.staff.id, "viewed", request, now)).toBeNull();
    expect(await entries("evidence.viewed", two.staff.id)).toHaveLength(0);
  });
});

describe("the evidence PDF", () => {
  it("is a tagged PDF a screen reader can read, in British English, with a title", async () => {
    const pdf = await renderEvidencePdf((await personEvidence(db, one.organisation.id, one.staff.id, now))!);
    const raw = pdf.toString("latin1");
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    expect(raw).toContain("/StructTreeRoot");
    expect(raw).toMatch(/\/Marked true/);
    expect(raw).toContain("/Lang (en-GB)");
    expect(raw).toContain("/DisplayDocTitle true");
    for (const tag of ["/H1", "/H2", "/H3", "/P", "/Table", "/TR", "/TH", "/TD"]) expect(raw).toContain(`/S ${tag}`);
  });

  it("says who, when it was produced, every answer, every record with its verification, the chain head and every nudge", async () => {
    const evidence = (await personEvidence(db, one.organisation.id, one.staff.id, now))!;
    const pdf = await renderEvidencePdf(evidence);
    const text = pdfText(pdf);
    expect(text).toContain(`Evidence pack: ${one.staff.name}`);
    expect(text).toContain("Produced on 1 May 2026 at 13:00 (UK time)");
    expect(text).toMatch(/What do you do in 1\.[12]\?/);
    expect(text).toContain("Answer b");
    expect(text).toContain(`Signature ${secondSignature.reference}`);
    expect(text).toContain(`Withdrawal ${withdrawalReference}`);
    expect(text).toContain("Verified: the record's contents still match its hash");
    expect(text).toContain(secondSignature.hash);
    expect(text).toContain(`Record ${otherPersonsRecord.reference}, position ${otherPersonsRecord.seq}`);
    expect(text).toContain("Please finish the module this week.");
    expect(text).toContain("550 mailbox unavailable");
    expect(text).toMatch(/Page 1 of \d+/);
  });

  it("fits an empty record, a person with nothing yet", async () => {
    const evidence = (await personEvidence(db, two.organisation.id, two.admin.id, now))!;
    const text = pdfText(await renderEvidencePdf(evidence));
    expect(text).toContain("No training attempts are recorded.");
    expect(text).toContain("No signatures or withdrawals are recorded.");
    expect(text).toContain("No nudges, reminders or escalations are recorded.");
  });
});
