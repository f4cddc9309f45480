import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { bodySignatureCheck, GENESIS_HASH, rowCheck } from "~/attestation/ledger.server";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { isUuid, type CurrentUser } from "~/auth/access.server";
import { personStatus, type RequirementStatusRow } from "~/tracking/status.server";
import type { Db } from "~db/client.server";
import { questionsOf, type TrainingModule } from "~/training/content-schema";
import {
  attemptEvents,
  attempts,
  attestations,
  moduleVersions,
  nudgeDeliveries,
  nudges,
  organisations,
  policyVersions,
  teamMemberships,
  teams,
  trainingModules,
  users,
} from "~db/schema";

/**
 * Everything HR keeps as evidence about one person, for audits, disciplinary and regulator proceedings
 * and subject access requests: every attempt with its answers in words, every ledger record with whether
 * it still verifies, and every nudge with its deliveries. The HTML view and the PDF pack show the same data.
 */
export type EvidenceAnswer = {
  step: number;
  scenarioId: string;
  scenarioTitle: string | null;
  question: string | null;
  choiceId: string;
  choiceText: string | null;
  correct: boolean;
  at: string;
};

export type EvidenceAttempt = {
  id: string;
  moduleTitle: string;
  moduleSlug: string;
  moduleVersionId: string;
  contentHash: string;
  passMarkPercent: number;
  status: "in_progress" | "passed" | "failed";
  score: number;
  answered: number;
  scorePercent: number | null;
  startedAt: string;
  completedAt: string | null;
  answers: EvidenceAnswer[];
};

export type RecordVerification = {
  /** The record's contents still hash to its stored hash. */
  hashMatches: boolean;
  /** Its previous hash is the hash of the record before it in the chain (or the genesis hash for the first). */
  linked: boolean;
  /** Format 2: its body carries a valid signature of the service's key; null for a format 1 record, which has none. */
  serviceSigned: boolean | null;
  intact: boolean;
};

export type EvidenceAttestation = {
  seq: number;
  reference: string;
  kind: "signed" | "withdrawn";
  recordedAt: string;
  policyVersionLabel: string;
  policySha256: string;
  declarationText: string;
  typedName: string | null;
  /** Format 2 (decision 0015): the account's name and employee number at signing, and how the signer re-authenticated. */
  formatVersion: number;
  signerName: string | null;
  signerEmployeeNumber: string | null;
  reauthMethod: string | null;
  /** The service key that signed the record's body (format 2). */
  keyId: string | null;
  ip: string | null;
  userAgent: string | null;
  qualifyingAttemptIds: string[];
  /** For a withdrawal: the record withdrawn, who withdrew it and why. */
  subjectReference: string | null;
  actorName: string | null;
  reason: string | null;
  /** For a signature: the withdrawal that cancelled it, if any. */
  withdrawnBy: string | null;
  previousHash: string;
  hash: string;
  verification: RecordVerification;
};

export type EvidenceNudge = {
  id: string;
  kind: "nudge" | "reminder" | "escalation";
  day: string;
  createdAt: string;
  senderName: string | null;
  teamName: string | null;
  message: string | null;
  deliveries: {
    channel: "in-app" | "email";
    status: "delivered" | "sent" | "failed" | "skipped";
    error: string | null;
    at: string;
  }[];
};

export type ChainHeadAtProduction = { seq: number; reference: string; hash: string; recordedAt: string };

export type PersonEvidence = {
  producedAt: string;
  organisation: { id: string; name: string };
  person: {
    id: string;
    name: string;
    email: string | null;
    employeeNumber: string;
    role: "staff" | "hr" | "admin";
    team: string | null;
    startDate: string;
    leavingDate: string | null;
    active: boolean;
  };
  memberships: { team: string; startedOn: string; endedOn: string | null }[];
  requirements: RequirementStatusRow[];
  attempts: EvidenceAttempt[];
  attestations: EvidenceAttestation[];
  nudges: EvidenceNudge[];
  /** The organisation's newest ledger record when this evidence was produced: what a later check can compare against. */
  chainHead: ChainHeadAtProduction | null;
};

/** Format 1 content (before docs/decisions/0014): a flat list of scenarios. */
type FormatOneContent = {
  scenarios?: { id: string; title?: string; question?: string; choices?: { id: string; text?: string }[] }[];
};

/** The question an answer was to, in either content format. */
function questionIn(content: unknown, scenarioId: string) {
  if ((content as { formatVersion?: unknown } | null)?.formatVersion === 2)
    return questionsOf(content as TrainingModule).get(scenarioId)?.scenario;
  return (content as FormatOneContent | null)?.scenarios?.find((s) => s.id === scenarioId);
}

/** Question and answer text from the module version the attempt was taken on, so answers read as they were shown. */
function answerText(content: unknown, scenarioId: string, choiceId: string) {
  const scenario = questionIn(content, scenarioId);
  const choice = scenario?.choices?.find((c) => c.id === choiceId);
  return {
    scenarioTitle: scenario?.title ?? null,
    question: scenario?.question ?? null,
    choiceText: choice?.text ?? null,
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The evidence held about one person of an organisation, as it stands at `now`; null for anyone else's person.
 * Read in one REPEATABLE READ snapshot, so the chain head given is the one the records shown were part of.
 */
export async function personEvidence(
  db: Db,
  organisationId: string,
  userId: string,
  now: Date,
): Promise<PersonEvidence | null> {
  if (!isUuid(userId)) return null;
  return db.transaction((tx) => readEvidence(tx, organisationId, userId, now), {
    isolationLevel: "repeatable read",
    accessMode: "read only",
  });
}

async function readEvidence(db: Db, organisationId: string, userId: string, now: Date): Promise<PersonEvidence | null> {
  const [found] = await db
    .select({ person: users, organisationName: organisations.name, teamName: teams.name })
    .from(users)
    .innerJoin(organisations, eq(organisations.id, users.organisationId))
    .leftJoin(teams, eq(teams.id, users.teamId))
    .where(and(eq(users.id, userId), eq(users.organisationId, organisationId)));
  if (!found) return null;

  const predecessor = alias(attestations, "predecessor");
  const withdrawal = alias(attestations, "withdrawal");
  const actor = alias(users, "actor");
  const sender = alias(users, "sender");

  const [memberships, requirements, attemptRows, ledgerRows, nudgeRows, [head]] = await Promise.all([
    db
      .select({ team: teams.name, startedOn: teamMemberships.startedOn, endedOn: teamMemberships.endedOn })
      .from(teamMemberships)
      .innerJoin(teams, eq(teams.id, teamMemberships.teamId))
      .where(eq(teamMemberships.userId, userId))
      .orderBy(asc(teamMemberships.startedOn), asc(teamMemberships.createdAt)),
    personStatus(db, organisationId, userId, { now }),
    db
      .select({
        attempt: attempts,
        moduleTitle: moduleVersions.title,
        moduleSlug: trainingModules.slug,
        contentHash: moduleVersions.contentHash,
        content: moduleVersions.content,
        passMark: moduleVersions.passMark,
      })
      .from(attempts)
      .innerJoin(moduleVersions, eq(moduleVersions.id, attempts.moduleVersionId))
      .innerJoin(trainingModules, eq(trainingModules.id, attempts.moduleId))
      .where(and(eq(attempts.userId, userId), eq(trainingModules.organisationId, organisationId)))
      .orderBy(asc(attempts.startedAt), asc(attempts.id)),
    db
      .select({
        record: attestations,
        versionLabel: policyVersions.versionLabel,
        predecessorHash: predecessor.hash,
        actorName: actor.name,
        withdrawnBy: withdrawal.reference,
      })
      .from(attestations)
      .innerJoin(policyVersions, eq(policyVersions.id, attestations.policyVersionId))
      .leftJoin(
        predecessor,
        and(
          eq(predecessor.organisationId, attestations.organisationId),
          eq(predecessor.seq, sql`${attestations.seq} - 1`),
        ),
      )
      .leftJoin(actor, eq(actor.id, attestations.actorUserId))
      .leftJoin(
        withdrawal,
        and(eq(withdrawal.subjectReference, attestations.reference), eq(withdrawal.kind, "withdrawn")),
      )
      .where(and(eq(attestations.userId, userId), eq(attestations.organisationId, organisationId)))
      .orderBy(asc(attestations.seq)),
    db
      .select({ nudge: nudges, senderName: sender.name, teamName: teams.name })
      .from(nudges)
      .leftJoin(sender, eq(sender.id, nudges.senderUserId))
      .leftJoin(teams, eq(teams.id, nudges.teamId))
      .where(and(eq(nudges.recipientUserId, userId), eq(nudges.organisationId, organisationId)))
      .orderBy(asc(nudges.createdAt), asc(nudges.id)),
    db
      .select({
        seq: attestations.seq,
        reference: attestations.reference,
        hash: attestations.hash,
        recordedAt: attestations.recordedAt,
      })
      .from(attestations)
      .where(eq(attestations.organisationId, organisationId))
      .orderBy(desc(attestations.seq))
      .limit(1),
  ]);

  const attemptIds = attemptRows.map((r) => r.attempt.id);
  const nudgeIds = nudgeRows.map((r) => r.nudge.id);
  const [events, deliveries] = await Promise.all([
    attemptIds.length
      ? db
          .select()
          .from(attemptEvents)
          .where(inArray(attemptEvents.attemptId, attemptIds))
          .orderBy(asc(attemptEvents.attemptId), asc(attemptEvents.step))
      : [],
    nudgeIds.length
      ? db
          .select()
          .from(nudgeDeliveries)
          .where(inArray(nudgeDeliveries.nudgeId, nudgeIds))
          .orderBy(asc(nudgeDeliveries.at), asc(nudgeDeliveries.id))
      : [],
  ]);

  const { person } = found;
  return {
    producedAt: now.toISOString(),
    organisation: { id: organisationId, name: found.organisationName },
    person: {
      id: person.id,
      name: person.name,
      email: person.email,
      employeeNumber: person.employeeNumber,
      role: person.role,
      team: found.teamName,
      startDate: person.startDate,
      leavingDate: person.leavingDate,
      active: person.active,
    },
    memberships,
    requirements,
    attempts: attemptRows.map(({ attempt, moduleTitle, moduleSlug, contentHash, content, passMark }) => ({
      id: attempt.id,
      moduleTitle,
      moduleSlug,
      moduleVersionId: attempt.moduleVersionId,
      contentHash,
      passMarkPercent: passMark,
      status: attempt.status,
      score: attempt.score,
      answered: attempt.answered,
      scorePercent: attempt.answered > 0 ? Math.round((attempt.score / attempt.answered) * 100) : null,
      startedAt: attempt.startedAt.toISOString(),
      completedAt: iso(attempt.completedAt),
      answers: events
        .filter((e) => e.attemptId === attempt.id)
        .map((e) => ({
          step: e.step,
          scenarioId: e.scenarioId,
          choiceId: e.choiceId,
          correct: e.correct,
          at: e.at.toISOString(),
          ...answerText(content, e.scenarioId, e.choiceId),
        })),
    })),
    attestations: ledgerRows.map(({ record, versionLabel, predecessorHash, actorName, withdrawnBy }) => {
      const hashMatches = rowCheck(record) !== "altered";
      const signature = bodySignatureCheck(record);
      const serviceSigned = signature === null ? null : signature === "valid";
      const linked =
        record.seq === 1
          ? record.previousHash === GENESIS_HASH
          : predecessorHash !== null && predecessorHash === record.previousHash;
      return {
        seq: record.seq,
        reference: record.reference,
        kind: record.kind,
        recordedAt: record.recordedAt.toISOString(),
        policyVersionLabel: versionLabel,
        policySha256: record.policySha256,
        declarationText: record.declarationText,
        typedName: record.typedName,
        ip: record.ip,
        userAgent: record.userAgent,
        qualifyingAttemptIds: record.qualifyingAttemptIds,
        subjectReference: record.subjectReference,
        actorName,
        reason: record.reason,
        withdrawnBy: record.kind === "signed" ? withdrawnBy : null,
        previousHash: record.previousHash,
        hash: record.hash,
        formatVersion: record.formatVersion,
        signerName: record.signerName,
        signerEmployeeNumber: record.signerEmployeeNumber,
        reauthMethod: record.reauthMethod,
        keyId: record.keyId,
        verification: { hashMatches, linked, serviceSigned, intact: hashMatches && linked && serviceSigned !== false },
      };
    }),
    nudges: nudgeRows.map(({ nudge, senderName, teamName }) => ({
      id: nudge.id,
      kind: nudge.kind,
      day: nudge.day,
      createdAt: nudge.createdAt.toISOString(),
      senderName,
      teamName,
      message: nudge.message,
      deliveries: deliveries
        .filter((d) => d.nudgeId === nudge.id)
        .map((d) => ({ channel: d.channel, status: d.status, error: d.error, at: d.at.toISOString() })),
    })),
    chainHead: head
      ? { seq: head.seq, reference: head.reference, hash: head.hash, recordedAt: head.recordedAt.toISOString() }
      : null,
  };
}

export type EvidencePurpose = "viewed" | "downloaded";

/**
 * HR opening a person's evidence: loads it and writes the opening to the audit log (`evidence.viewed` for the
 * page, `evidence.downloaded` for the PDF). Another organisation's person, or no such person, gives null and
 * writes nothing. The entry is written before anything is shown, so no opening goes unrecorded.
 */
export async function openEvidence(
  db: Db,
  viewer: CurrentUser,
  userId: string,
  purpose: EvidencePurpose,
  request: RequestInfo,
  now: Date,
) {
  const evidence = await personEvidence(db, viewer.organisationId, userId, now);
  if (!evidence) return null;
  await writeAudit(
    db,
    {
      action: `evidence.${purpose}`,
      organisationId: viewer.organisationId,
      actorUserId: viewer.id,
      subjectType: "user",
      subjectId: evidence.person.id,
      details: {
        producedAt: evidence.producedAt,
        chainHead: evidence.chainHead?.reference ?? null,
        records: evidence.attestations.length,
      },
    },
    request,
  );
  return evidence;
}
