import { and, count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { signCodeOfConduct } from "~/attestation/signing.server";
import type { SignInput } from "~/attestation/forms";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { assistedCodes, attestations, auditLog, sessions, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aChampion,
  aCouncil,
  aModuleContent,
  answerEveryQuestion,
  aPersonWithoutEmail,
  aPolicyVersion,
  asCurrentUser,
  TEST_PASSWORD,
} from "../../test/support/factories";
import {
  ASSISTED_CODE_LIFETIME_MS,
  ASSISTED_IDLE_MS,
  assistedMayReach,
  issueAssistedCode,
  normaliseCode,
  startAssistedSession,
} from "./assisted.server";
import { createSession, endLapsedAssistedSessions, findActiveSession, type CurrentUser } from "./session.server";
import { sha256Hex } from "./tokens.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-06-01T09:00:00Z");
const request = { ip: "192.0.2.20", requestId: "assisted-test", userAgent: "vitest", now };
const policy = { idleMs: 30 * 60_000, maxMs: 12 * 3600_000 };

type Council = Awaited<ReturnType<typeof aCouncil>>;
let council: Council;
let other: Council;
let version: Awaited<ReturnType<typeof aPolicyVersion>>;
let hr: CurrentUser;
let admin: CurrentUser;
let champion: CurrentUser;

beforeAll(async () => {
  council = await aCouncil(db);
  other = await aCouncil(db);
  await syncTrainingModules(db, [aModuleContent(council.organisation.slug) as unknown as TrainingModule], now);
  version = await aPolicyVersion(db, council.organisation.id, { label: "1", effectiveDate: "2026-01-01" });
  hr = asCurrentUser(council.hr, council.organisation);
  admin = asCurrentUser(council.admin, council.organisation);
  champion = asCurrentUser(council.champion, council.organisation, [council.teamA.id]);
});

/** Someone of team A without an e-mail address, who has passed the council's module. */
async function aPersonToAssist() {
  const row = await aPersonWithoutEmail(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
  const person = asCurrentUser(row, council.organisation);
  const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
  await answerEveryQuestion(db, person, "test-module", attemptId, now);
  return person;
}

/** The witness's own session, which an assisted session replaces. */
const witnessSession = async (witness: CurrentUser) =>
  sha256Hex(await createSession(db, witness.id, policy, { ip: null, userAgent: null, now }));

/** Someone to assist, in an assisted session the champion started with a code HR issued. */
async function anAssistedSession() {
  const person = await aPersonToAssist();
  const code = await issueAssistedCode(db, hr, person.id, request);
  const witnessSessionId = await witnessSession(champion);
  const started = await startAssistedSession(db, champion, witnessSessionId, person.id, code!.code, request);
  if (!started?.ok) throw new Error("the session did not start");
  return { person, code: code!.code, witnessSessionId, token: started.token };
}

const refusals = async (personId: string) =>
  (
    await db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.action, "assisted.refused"), eq(auditLog.subjectId, personId)))
  ).map((r) => r.details.reason);

const sessionCount = async () => (await db.select({ n: count() }).from(sessions))[0].n;

const signInput = (person: { name: string }, password: string): SignInput => ({
  policyVersionId: version.id,
  declarationRead: "yes",
  declarationFollow: "yes",
  declarationConsequences: "yes",
  typedName: person.name,
  password,
});

describe("one-time codes", () => {
  it("are issued by HR officers and admins to people of their own council only, and audited", async () => {
    const person = await aPersonToAssist();
    const issued = await issueAssistedCode(db, hr, person.id, request);
    expect(issued?.code).toMatch(/^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/);
    expect(issued?.expiresAt).toEqual(new Date(now.getTime() + ASSISTED_CODE_LIFETIME_MS));
    const [stored] = await db.select().from(assistedCodes).where(eq(assistedCodes.userId, person.id));
    expect(stored.codeHash).not.toContain(issued!.code);
    const [audit] = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "assisted.code-issued"), eq(auditLog.subjectId, person.id)));
    expect(audit).toMatchObject({ actorUserId: hr.id, organisationId: council.organisation.id });

    expect(await issueAssistedCode(db, champion, person.id, request)).toBeNull();
    expect(await issueAssistedCode(db, asCurrentUser(other.hr, other.organisation), person.id, request)).toBeNull();
    expect(await issueAssistedCode(db, admin, person.id, request)).not.toBeNull();
  });

  it("are typed in any case, with or without the hyphen or spaces", () => {
    expect(normaliseCode(" k7qm 3xta ")).toBe("K7QM-3XTA");
    expect(normaliseCode("K7QM-3XTA")).toBe("K7QM-3XTA");
  });
});

describe("starting an assisted session", () => {
  it("refuses a wrong code, an expired one, a superseded one and one its issuer would witness, writing only the audit entry", async () => {
    const person = await aPersonToAssist();
    const first = await issueAssistedCode(db, hr, person.id, request);
    const second = await issueAssistedCode(db, admin, person.id, request);
    const sessionId = await witnessSession(champion);
    const before = await sessionCount();

    const wrong = await startAssistedSession(db, champion, sessionId, person.id, "ABCD-EFGH", request);
    expect(wrong).toMatchObject({ ok: false, status: 400, errors: { code: expect.stringContaining("not right") } });
    const superseded = await startAssistedSession(db, champion, sessionId, person.id, first!.code, request);
    expect(superseded).toMatchObject({ ok: false, errors: { code: expect.stringContaining("newer code") } });
    const late = new Date(now.getTime() + ASSISTED_CODE_LIFETIME_MS + 1000);
    const expired = await startAssistedSession(db, champion, sessionId, person.id, second!.code, {
      ...request,
      now: late,
    });
    expect(expired).toMatchObject({ ok: false, errors: { code: expect.stringContaining("expired") } });

    const byHr = await issueAssistedCode(db, hr, person.id, request);
    const hrSession = await witnessSession(hr);
    const issuerWitness = await startAssistedSession(db, hr, hrSession, person.id, byHr!.code, request);
    expect(issuerWitness).toMatchObject({
      ok: false,
      errors: { code: expect.stringContaining("cannot also witness") },
    });

    expect(await sessionCount()).toBe(before + 1);
    expect(await refusals(person.id)).toEqual(["wrong-code", "superseded-code", "expired-code", "issuer-as-witness"]);
    const [code] = await db
      .select()
      .from(assistedCodes)
      .where(eq(assistedCodes.codeHash, sha256Of(byHr!.code)));
    expect(code.usedBySession).toBeNull();
  });

  it("is 404 for a champion of another team and for another council, with the refusal audited", async () => {
    const person = await aPersonToAssist();
    const code = await issueAssistedCode(db, hr, person.id, request);
    const otherChampion = asCurrentUser(council.staff, council.organisation, [council.teamB.id]);
    await aChampion(db, council.staff.id, council.teamB.id);
    const otherHr = asCurrentUser(other.hr, other.organisation);
    for (const witness of [otherChampion, otherHr]) {
      const refused = await startAssistedSession(
        db,
        witness,
        await witnessSession(witness),
        person.id,
        code!.code,
        request,
      );
      expect(refused).toBeNull();
    }
    expect(await refusals(person.id)).toEqual(["not-yours", "not-yours"]);
    const [stored] = await db.select().from(assistedCodes).where(eq(assistedCodes.userId, person.id));
    expect(stored.usedBySession).toBeNull();
  });

  it("replaces the witness's session with the person's, reaching only their training and signing; a used code opens nothing else", async () => {
    const { person, code, witnessSessionId, token } = await anAssistedSession();
    const session = await findActiveSession(db, token, policy, now);
    expect(session?.user.id).toBe(person.id);
    expect(session?.assisted).toMatchObject({ witnessUserId: champion.id, reference: null });
    expect(session?.idleExpiresAt).toEqual(new Date(now.getTime() + ASSISTED_IDLE_MS));
    const [witnessRow] = await db.select().from(sessions).where(eq(sessions.id, witnessSessionId));
    expect(witnessRow.revokedAt).toEqual(now);

    const again = await startAssistedSession(db, hr, await witnessSession(hr), person.id, code, request);
    expect(again).toMatchObject({ ok: false, errors: { code: expect.stringContaining("already been used") } });

    for (const path of ["/assisted", "/training", "/training/test-module", "/code-of-conduct", "/sign-out"])
      expect(assistedMayReach({ reference: null }, path), path).toBe(true);
    for (const path of ["/teams", `/teams/${council.teamA.id}`, "/records", "/hr", "/admin/people", "/records/ATT-1"])
      expect(assistedMayReach({ reference: null }, path), path).toBe(false);
    expect(assistedMayReach({ reference: "ATT-AAAA-BBBB" }, "/records/ATT-AAAA-BBBB/certificate.pdf")).toBe(true);
    expect(assistedMayReach({ reference: "ATT-AAAA-BBBB" }, "/training")).toBe(false);
    expect(assistedMayReach({ reference: "ATT-AAAA-BBBB" }, "/records/ATT-CCCC-DDDD")).toBe(false);
  });

  it("ends after 15 minutes idle, once, and says so in the audit log", async () => {
    const { person, token } = await anAssistedSession();
    const justBefore = new Date(now.getTime() + ASSISTED_IDLE_MS - 1000);
    expect(await findActiveSession(db, token, policy, justBefore)).not.toBeNull();
    const after = new Date(justBefore.getTime() + ASSISTED_IDLE_MS + 1000);
    expect(await findActiveSession(db, token, policy, after)).toBeNull();
    expect(await findActiveSession(db, token, policy, justBefore)).toBeNull();
    const ended = await db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(and(eq(auditLog.action, "assisted.session-ended"), eq(auditLog.subjectId, person.id)));
    expect(ended).toEqual([{ details: { how: "timed-out", record: null } }]);
  });

  it("is ended and audited by the daily run when no request comes back to it, and only once", async () => {
    const { person, token } = await anAssistedSession();
    const plainSessionId = await witnessSession(hr);
    expect(await endLapsedAssistedSessions(db, policy, new Date(now.getTime() + ASSISTED_IDLE_MS - 1000))).toBe(0);
    // A person deactivated meanwhile, and a session past its greatest age though not idle: each ends at once, as a
    // request would end it.
    const deactivated = await anAssistedSession();
    await db.update(users).set({ active: false }).where(eq(users.id, deactivated.person.id));
    const aged = await anAssistedSession();
    await db
      .update(sessions)
      .set({ expiresAt: now })
      .where(eq(sessions.id, sha256Hex(aged.token)));
    expect(await endLapsedAssistedSessions(db, policy, now)).toBe(2);
    for (const { token: ended } of [deactivated, aged]) {
      const [gone] = await db
        .select()
        .from(sessions)
        .where(eq(sessions.id, sha256Hex(ended)));
      expect(gone.revokedAt).toEqual(now);
    }
    // Past every idle limit: the assisted sessions end, a plain session is left to its own rules.
    const later = new Date(now.getTime() + policy.idleMs + 60_000);
    expect(await endLapsedAssistedSessions(db, policy, later)).toBeGreaterThanOrEqual(1);
    const [own] = await db
      .select()
      .from(sessions)
      .where(eq(sessions.id, sha256Hex(token)));
    expect(own.revokedAt).toEqual(later);
    const [plain] = await db.select().from(sessions).where(eq(sessions.id, plainSessionId));
    expect(plain.revokedAt).toBeNull();
    expect(await endLapsedAssistedSessions(db, policy, later)).toBe(0);
    expect(await findActiveSession(db, token, policy, later)).toBeNull();
    const ended = await db
      .select({ details: auditLog.details, actor: auditLog.actorUserId })
      .from(auditLog)
      .where(and(eq(auditLog.action, "assisted.session-ended"), eq(auditLog.subjectId, person.id)));
    expect(ended).toEqual([{ details: { how: "timed-out", record: null }, actor: champion.id }]);
  });
});

describe("signing in an assisted session", () => {
  it("needs the witness's password, then writes the four fields and uses the code once, however often it is submitted", async () => {
    const { person, token } = await anAssistedSession();
    const session = (await findActiveSession(db, token, policy, now))!;
    const assisted = { sessionId: session.id, witnessUserId: champion.id, codeId: session.assisted!.codeId };

    const wrong = await signCodeOfConduct(db, person, signInput(person, "not the witness's password"), {
      ...request,
      assisted,
    });
    expect(wrong).toMatchObject({ ok: false, status: 400, errors: { password: expect.stringContaining("Witness") } });

    const results = await Promise.all(
      [1, 2].map(() => signCodeOfConduct(db, person, signInput(person, TEST_PASSWORD), { ...request, assisted })),
    );
    const signed = results.filter((r) => r.ok);
    expect(signed.length).toBeGreaterThanOrEqual(1);
    const records = await db.select().from(attestations).where(eq(attestations.userId, person.id));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      reauthMethod: "one-time-code",
      witnessUserId: champion.id,
      witnessReauthMethod: "password",
      codeIssuerUserId: hr.id,
      signerEmployeeNumber: expect.any(String),
    });
    const [used] = await db.select().from(assistedCodes).where(eq(assistedCodes.id, assisted.codeId));
    expect(used.usedAt).toEqual(now);
    const after = await findActiveSession(db, token, policy, now);
    expect(after?.assisted?.reference).toBe(records[0].reference);

    const later = await signCodeOfConduct(db, person, signInput(person, TEST_PASSWORD), { ...request, assisted });
    expect(later.ok).toBe(false);
    expect(await db.select().from(attestations).where(eq(attestations.userId, person.id))).toHaveLength(1);
  });
});

function sha256Of(code: string) {
  return sha256Hex(`assisted-code\u0000${normaliseCode(code)}`);
}
