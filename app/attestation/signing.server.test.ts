import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { CurrentUser } from "~/auth/session.server";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { attestations, auditLog, requirements, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aCouncil,
  aModuleContent,
  aPerson,
  aPolicyVersion,
  asCurrentUser,
  TEST_PASSWORD,
  answerEveryQuestion,
} from "../../test/support/factories";
import { verifyLedger } from "./ledger.server";
import type { SignInput } from "./forms";
import { namesMatch, qualificationOf, signCodeOfConduct, signingStatus, withdrawAttestation } from "./signing.server";
import { recordEarlierTraining } from "~/tracking/earlier-training.server";
import { recordExemption } from "~/tracking/exemptions.server";
import { exemptionSchema } from "~/tracking/forms";

const database = await freshDatabase({ maxConnections: 20 });
const db = database.db;
const now = new Date("2026-06-01T09:00:00Z");
const request = { ip: "192.0.2.10", requestId: "test", userAgent: "vitest", now };
let council: Awaited<ReturnType<typeof aCouncil>>;
let version: Awaited<ReturnType<typeof aPolicyVersion>>;

beforeAll(async () => {
  council = await aCouncil(db);
  await syncTrainingModules(db, [aModuleContent(council.organisation.slug) as unknown as TrainingModule], now);
  version = await aPolicyVersion(db, council.organisation.id, { label: "1", effectiveDate: "2026-01-01" });
});

async function aPersonWhoPassed(name = "Jo Bloggs"): Promise<CurrentUser> {
  const person = asCurrentUser(
    await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id, name }),
    council.organisation,
  );
  const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
  await answerEveryQuestion(db, person, "test-module", attemptId, now);
  return person;
}

const input = (person: CurrentUser, overrides: Partial<SignInput> = {}): SignInput => ({
  policyVersionId: version.id,
  declarationRead: "yes",
  declarationFollow: "yes",
  declarationConsequences: "yes",
  typedName: person.name,
  password: TEST_PASSWORD,
  ...overrides,
});

async function auditOf(reference: string) {
  return db.select().from(auditLog).where(eq(auditLog.subjectId, reference));
}

async function recordsOf(userId: string) {
  return db.select().from(attestations).where(eq(attestations.userId, userId));
}

describe("signing the code of conduct", () => {
  it("matches names ignoring case and spacing, but not other letters", () => {
    expect(namesMatch("  jo   BLOGGS ", "Jo Bloggs")).toBe(true);
    expect(namesMatch("Jo Blogs", "Jo Bloggs")).toBe(false);
  });

  it("records who signed which exact text, when, from where and how they qualified", async () => {
    const person = await aPersonWhoPassed();
    const result = await signCodeOfConduct(db, person, input(person, { typedName: "jo  bloggs" }), request);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.created).toBe(true);
    expect(result.record).toMatchObject({
      kind: "signed",
      userId: person.id,
      policyVersionId: version.id,
      policySha256: version.sha256,
      typedName: "jo  bloggs",
      ip: "192.0.2.10",
      userAgent: "vitest",
    });
    expect(result.record.declarationText).toContain("I have read and understood this code of conduct.");
    expect(result.record.qualifyingAttemptIds).toHaveLength(1);
    expect(result.record.recordedAt.toISOString()).toBe(now.toISOString());
    // Format 2: beside the name as typed, the account's name and employee number at signing, and how they re-authenticated.
    const [account] = await db.select().from(users).where(eq(users.id, person.id));
    expect(result.record).toMatchObject({
      formatVersion: 2,
      signerName: "Jo Bloggs",
      signerEmployeeNumber: account.employeeNumber,
      reauthMethod: "password",
      witnessUserId: null,
      witnessReauthMethod: null,
      codeIssuerUserId: null,
      earlierTrainingIds: [],
    });
    expect(result.record.bodySignature).toBeTruthy();
    const status = await signingStatus(db, person, now);
    expect(status?.signature?.reference).toBe(result.record.reference);
  });

  it("gives one record for a double submit, a resubmit and two tabs at once", async () => {
    const person = await aPersonWhoPassed("Two Tabs");
    const results = await Promise.all([1, 2, 3, 4].map(() => signCodeOfConduct(db, person, input(person), request)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.filter((r) => r.ok && r.created)).toHaveLength(1);
    expect(await recordsOf(person.id)).toHaveLength(1);
    const again = await signCodeOfConduct(db, person, input(person), request);
    expect(again).toMatchObject({ ok: true, created: false });
    expect((await verifyLedger(db, { organisationId: council.organisation.id })).ok).toBe(true);
    // The audit entry is written with the record, in its transaction: one, however many submits.
    const [record] = await recordsOf(person.id);
    expect(await auditOf(record.reference)).toEqual([
      expect.objectContaining({
        action: "attestation.signed",
        organisationId: council.organisation.id,
        actorUserId: person.id,
        subjectType: "attestation",
        ip: "192.0.2.10",
        requestId: "test",
      }),
    ]);
  });

  it("takes training completed elsewhere as the module's prerequisite, and an exemption from it as nothing owed", async () => {
    const hr = asCurrentUser(council.hr, council.organisation);
    const [requirement] = await db.select().from(requirements).where(eq(requirements.kind, "module"));
    const elsewhere = asCurrentUser(
      await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id, name: "Al Elsewhere" }),
      council.organisation,
    );
    const recorded = await recordEarlierTraining(
      db,
      hr,
      elsewhere.id,
      {
        requirementId: requirement.id,
        completedOn: "2026-04-01",
        description: "Social media training at a previous council",
        file: { name: "certificate.pdf", bytes: new TextEncoder().encode("%PDF-1.7\n%%EOF\n") },
      },
      request,
    );
    if (!recorded.ok) throw new Error(JSON.stringify(recorded.errors));
    const result = await signCodeOfConduct(db, elsewhere, input(elsewhere), request);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    // Never shown as a pass of our module: no attempt is named; format 2 names the earlier training instead.
    expect(result.record.qualifyingAttemptIds).toEqual([]);
    expect(result.record.earlierTrainingIds).toEqual([recorded.id]);
    expect(result.record.formatVersion).toBe(2);

    const exempt = asCurrentUser(
      await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id, name: "Ex Empt" }),
      council.organisation,
    );
    await recordExemption(
      db,
      hr,
      exempt.id,
      exemptionSchema.parse({
        requirementId: requirement.id,
        reason: "not_applicable_to_role",
        startsOn: "2026-01-01",
        approvedBy: "Head of service",
      }),
      request,
    );
    expect((await signingStatus(db, exempt, now))?.remaining).toEqual([]);
    // An exemption never creates a signature.
    expect(await recordsOf(exempt.id)).toHaveLength(0);
  });

  it("names what qualified: each module's pass of ours, else its training completed elsewhere, each list sorted", () => {
    expect(
      qualificationOf([
        { passedAttemptId: "b", earlierTrainingId: "x" },
        { passedAttemptId: null, earlierTrainingId: "y" },
        { passedAttemptId: "a", earlierTrainingId: null },
      ]),
    ).toEqual({ attemptIds: ["a", "b"], earlierTrainingIds: ["y"] });
  });

  it("refuses someone who has not passed the required modules, naming them, and writes nothing", async () => {
    const person = asCurrentUser(
      await aPerson(db, { organisationId: council.organisation.id, name: "Not Yet" }),
      council.organisation,
    );
    const result = await signCodeOfConduct(db, person, input(person), request);
    expect(result).toMatchObject({ ok: false, errors: { form: expect.stringContaining("Test module") } });
    expect(await recordsOf(person.id)).toHaveLength(0);
    expect((await signingStatus(db, person, now))?.remaining).toEqual([{ slug: "test-module", title: "Test module" }]);
  });

  it("refuses a name that does not match and a wrong password, and writes nothing", async () => {
    const person = await aPersonWhoPassed("Pat Smith");
    expect(await signCodeOfConduct(db, person, input(person, { typedName: "Someone Else" }), request)).toMatchObject({
      ok: false,
      errors: { typedName: expect.any(String) },
    });
    expect(await signCodeOfConduct(db, person, input(person, { password: "not-my-password" }), request)).toMatchObject({
      ok: false,
      errors: { password: "Your password is not correct" },
    });
    expect(await recordsOf(person.id)).toHaveLength(0);
  });

  it("refuses a version that is not current, and another council's version", async () => {
    const person = await aPersonWhoPassed("Al Current");
    const future = await aPolicyVersion(db, council.organisation.id, { label: "future", effectiveDate: "2099-01-01" });
    expect(await signCodeOfConduct(db, person, input(person, { policyVersionId: future.id }), request)).toMatchObject({
      ok: false,
      status: 409,
    });
    const elsewhere = await aCouncil(db);
    const theirs = await aPolicyVersion(db, elsewhere.organisation.id);
    expect(await signCodeOfConduct(db, person, input(person, { policyVersionId: theirs.id }), request)).toMatchObject({
      ok: false,
      status: 404,
    });
    expect(await recordsOf(person.id)).toHaveLength(0);
  });

  it("lets HR withdraw a record with a reason, as a new record; the original stands unchanged", async () => {
    const person = await aPersonWhoPassed("Wyn Drawn");
    const signed = await signCodeOfConduct(db, person, input(person), request);
    if (!signed.ok) throw new Error("expected a signature");
    const hr = asCurrentUser(council.hr, council.organisation);
    const withdrawal = await withdrawAttestation(
      db,
      hr,
      { reference: signed.record.reference, reason: "Signed on the wrong person's screen." },
      request,
    );
    expect(withdrawal).toMatchObject({
      ok: true,
      created: true,
      record: {
        kind: "withdrawn",
        subjectReference: signed.record.reference,
        actorUserId: hr.id,
        formatVersion: 2,
        signerName: null,
        signerEmployeeNumber: null,
        reauthMethod: null,
      },
    });
    const [original] = await db.select().from(attestations).where(eq(attestations.reference, signed.record.reference));
    expect(original).toEqual(signed.record);
    expect((await signingStatus(db, person, now))?.signature).toBeNull();
    // Withdrawing twice gives the same withdrawal, and one audit entry naming it.
    expect(
      await withdrawAttestation(db, hr, { reference: signed.record.reference, reason: "Again, by mistake." }, request),
    ).toMatchObject({ ok: true, created: false });
    const withdrawn = (await auditOf(signed.record.reference)).filter((a) => a.action === "attestation.withdrawn");
    expect(withdrawn).toEqual([
      expect.objectContaining({
        actorUserId: hr.id,
        details: { withdrawal: withdrawal.ok ? withdrawal.record.reference : null },
      }),
    ]);
  });

  it("does not let HR of another council withdraw the record", async () => {
    const person = await aPersonWhoPassed("Kept Safe");
    const signed = await signCodeOfConduct(db, person, input(person), request);
    if (!signed.ok) throw new Error("expected a signature");
    const elsewhere = await aCouncil(db);
    const theirHr = asCurrentUser(elsewhere.hr, elsewhere.organisation);
    expect(
      await withdrawAttestation(
        db,
        theirHr,
        { reference: signed.record.reference, reason: "Not mine to withdraw." },
        request,
      ),
    ).toMatchObject({ ok: false, status: 404 });
  });

  it("expires a signature after the renewal period", async () => {
    const person = await aPersonWhoPassed("Ex Pires");
    await signCodeOfConduct(db, person, input(person), request);
    const later = new Date("2027-06-02T09:00:00Z");
    expect((await signingStatus(db, person, new Date("2027-05-31T09:00:00Z")))?.signature).not.toBeNull();
    expect((await signingStatus(db, person, later))?.signature).toBeNull();
  });
});

describe("a new version", () => {
  it("that requires re-attestation makes signers outstanding and shows what changed; one that does not, does not", async () => {
    const org = await aCouncil(db);
    await syncTrainingModules(db, [aModuleContent(org.organisation.slug) as unknown as TrainingModule], now);
    const v1 = await aPolicyVersion(db, org.organisation.id, {
      label: "1",
      effectiveDate: "2026-01-01",
      body: "Old text.\n",
    });
    const person = asCurrentUser(
      await aPerson(db, { organisationId: org.organisation.id, name: "Re Sign" }),
      org.organisation,
    );
    const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
    await answerEveryQuestion(db, person, "test-module", attemptId, now);
    const signed = await signCodeOfConduct(db, person, { ...input(person), policyVersionId: v1.id }, request);
    expect(signed.ok).toBe(true);

    await aPolicyVersion(db, org.organisation.id, {
      label: "1.1",
      effectiveDate: "2026-05-01",
      body: "Old text, tidied.\n",
      requiresReattestation: false,
    });
    expect((await signingStatus(db, person, now))?.signature).not.toBeNull();

    await aPolicyVersion(db, org.organisation.id, {
      label: "2",
      effectiveDate: "2026-05-15",
      body: "New text.\n",
      requiresReattestation: true,
    });
    const status = await signingStatus(db, person, now);
    expect(status?.signature).toBeNull();
    expect(status?.version.versionLabel).toBe("2");
    expect(status?.previous).toEqual({ label: "1", body: "Old text.\n" });
  });
});
