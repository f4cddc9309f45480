import { randomBytes } from "node:crypto";
import { hashPassword } from "~/auth/password.server";
import type { CurrentUser } from "~/auth/session.server";
import type { Db } from "~db/client.server";
import { and, eq } from "drizzle-orm";
import {
  attempts,
  moduleVersions,
  organisations,
  requirements,
  teamChampions,
  teamMemberships,
  teams,
  trainingModules,
  users,
  type Role,
} from "~db/schema";

export const TEST_PASSWORD = "test-password-long-enough";
let passwordHash: Promise<string> | undefined;
const unique = () => randomBytes(4).toString("hex");

export async function anOrganisation(db: Db, overrides: Partial<typeof organisations.$inferInsert> = {}) {
  const id = unique();
  const [org] = await db
    .insert(organisations)
    .values({ slug: `council-${id}`, name: `Council ${id}`, ...overrides })
    .returning();
  return org;
}

export async function aTeam(db: Db, organisationId: string, name = `Team ${unique()}`) {
  const [team] = await db.insert(teams).values({ organisationId, name }).returning();
  return team;
}

export type PersonOptions = {
  organisationId: string;
  teamId?: string | null;
  role?: Role;
  name?: string;
  email?: string;
  password?: string | null;
  active?: boolean;
  startDate?: string;
  leavingDate?: string | null;
};

/** A person who can sign in with TEST_PASSWORD unless told otherwise. */
export async function aPerson(db: Db, options: PersonOptions) {
  const id = unique();
  const hash =
    options.password === null
      ? null
      : options.password === undefined
        ? await (passwordHash ??= hashPassword(TEST_PASSWORD))
        : await hashPassword(options.password);
  const [person] = await db
    .insert(users)
    .values({
      organisationId: options.organisationId,
      teamId: options.teamId ?? null,
      role: options.role ?? "staff",
      employeeNumber: `E${id}`,
      name: options.name ?? `Person ${id}`,
      email: options.email ?? `person-${id}@example.test`,
      passwordHash: hash,
      active: options.active ?? true,
      startDate: options.startDate ?? "2025-01-06",
      leavingDate: options.leavingDate ?? null,
    })
    .returning();
  if (person.teamId)
    await db
      .insert(teamMemberships)
      .values({ userId: person.id, teamId: person.teamId, startedOn: person.startDate, endedOn: person.leavingDate });
  return person;
}

export async function aChampion(db: Db, userId: string, teamId: string) {
  await db.insert(teamChampions).values({ userId, teamId });
}

/** One council with two teams and a person of each kind: staff, champion of team A, HR and admin. */
export async function aCouncil(db: Db) {
  const organisation = await anOrganisation(db);
  const teamA = await aTeam(db, organisation.id, "Team A");
  const teamB = await aTeam(db, organisation.id, "Team B");
  const staff = await aPerson(db, { organisationId: organisation.id, teamId: teamA.id, role: "staff" });
  const champion = await aPerson(db, { organisationId: organisation.id, teamId: teamA.id, role: "staff" });
  await aChampion(db, champion.id, teamA.id);
  const hr = await aPerson(db, { organisationId: organisation.id, teamId: teamB.id, role: "hr" });
  const admin = await aPerson(db, { organisationId: organisation.id, teamId: teamB.id, role: "admin" });
  return { organisation, teamA, teamB, staff, champion, hr, admin };
}

/** A small valid module: three questions, the first branching to a follow-up on its wrong answer. */
export function aModuleContent(organisation: string, overrides: Record<string, unknown> = {}) {
  const citation = { document: "Test council social media policy", section: "1.1", heading: "Personal use" };
  const choice = (id: string, correct: boolean, next: string) => ({
    id,
    text: `Answer ${id}`,
    correct,
    feedback: `Because ${id}.`,
    citation,
    next,
  });
  return {
    id: "test-module",
    organisation,
    title: "Test module",
    summary: "A module for tests.",
    passMark: 0.8,
    startScenario: "q1",
    scenarios: [
      {
        id: "q1",
        kind: "main",
        title: "First",
        situation: "A situation.\n\nMore of it.",
        question: "What do you do first?",
        choices: [choice("a", true, "q2"), choice("b", false, "q1-follow-up"), choice("c", false, "q2")],
      },
      {
        id: "q1-follow-up",
        kind: "follow-up",
        title: "Follow-up",
        situation: "Think again.",
        question: "And now?",
        choices: [choice("a", true, "q2"), choice("b", false, "q2"), choice("c", false, "q2")],
      },
      {
        id: "q2",
        kind: "main",
        title: "Second",
        situation: "Another situation.",
        question: "What next?",
        choices: [choice("a", true, "q3"), choice("b", false, "q3"), choice("c", false, "q3")],
      },
      {
        id: "q3",
        kind: "main",
        title: "Third",
        situation: "A last situation.",
        question: "Finally?",
        choices: [choice("a", true, "end"), choice("b", false, "end"), choice("c", false, "end")],
      },
    ],
    ...overrides,
  };
}

/** What a signed-in person looks like to domain functions, built from a factory row. */
export function asCurrentUser(
  person: typeof users.$inferSelect,
  organisation: { name: string; slug: string },
  championTeamIds: string[] = [],
): CurrentUser {
  return {
    id: person.id,
    name: person.name,
    email: person.email,
    role: person.role,
    organisationId: person.organisationId,
    organisationName: organisation.name,
    organisationSlug: organisation.slug,
    teamId: person.teamId,
    championTeamIds,
  };
}

/** The database's own message for a refused statement (drizzle wraps it as the error's cause). */
export async function databaseError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { cause?: Error };
    return e.cause?.message ?? e.message;
  }
  return "no error";
}

/** Publishes a policy version for an organisation, in force from `effectiveDate`. */
export async function aPolicyVersion(
  db: Db,
  organisationId: string,
  options: {
    label?: string;
    body?: string;
    effectiveDate?: string;
    requiresReattestation?: boolean;
    publishedAt?: Date;
  } = {},
) {
  const effectiveDate = options.effectiveDate ?? "2026-01-01";
  const { publishPolicyVersion } = await import("~/attestation/policies.server");
  return publishPolicyVersion(
    db,
    organisationId,
    {
      versionLabel: options.label ?? `v-${randomBytes(3).toString("hex")}`,
      body: options.body ?? "1. Personal use\n\nDo not accept service users as friends.\n",
      effectiveDate,
      requiresReattestation: options.requiresReattestation ?? true,
    },
    // Published the day it takes effect unless told otherwise, so a test's clock sees it from then.
    {
      userId: null,
      request: { ip: null, requestId: null },
      now: options.publishedAt ?? new Date(`${effectiveDate}T00:00:00Z`),
    },
  );
}

/** A training module of an organisation, required of everyone from `effectiveFrom`, with one version. */
export async function aRequiredModule(
  db: Db,
  organisationId: string,
  options: {
    slug?: string;
    title?: string;
    dueWithinDays?: number;
    renewalMonths?: number;
    effectiveFrom?: string;
  } = {},
) {
  const slug = options.slug ?? `module-${unique()}`;
  const [module] = await db
    .insert(trainingModules)
    .values({ organisationId, slug, title: options.title ?? `Module ${slug}` })
    .returning();
  const content = aModuleContent("test", { id: slug, title: module.title });
  const [version] = await db
    .insert(moduleVersions)
    .values({ moduleId: module.id, contentHash: unique(), content, title: module.title, passMark: 80 })
    .returning();
  const [requirement] = await db
    .insert(requirements)
    .values({
      organisationId,
      kind: "module",
      moduleId: module.id,
      dueWithinDays: options.dueWithinDays ?? 28,
      renewalMonths: options.renewalMonths ?? 12,
      effectiveFrom: options.effectiveFrom ?? "2020-01-01",
    })
    .returning();
  return { module, version, requirement };
}

/** An attempt row as the engine leaves it (for tracking tests, which read attempts but do not take them). */
export async function anAttempt(
  db: Db,
  person: { id: string },
  required: { module: { id: string }; version: { id: string } },
  options: { status: "in_progress" | "passed" | "failed"; startedAt: Date; completedAt?: Date },
) {
  const [attempt] = await db
    .insert(attempts)
    .values({
      userId: person.id,
      moduleId: required.module.id,
      moduleVersionId: required.version.id,
      status: options.status,
      snapshot: { value: options.status, context: {} },
      startedAt: options.startedAt,
      updatedAt: options.completedAt ?? options.startedAt,
      completedAt: options.status === "in_progress" ? null : (options.completedAt ?? options.startedAt),
    })
    .returning();
  return attempt;
}

/** A signature of a policy version, appended to the ledger as the signing flow would. */
export async function aSignature(
  db: Db,
  person: { id: string; organisationId: string; name: string },
  version: { id: string; sha256: string },
  recordedAt: Date,
) {
  const { appendRecord } = await import("~/attestation/ledger.server");
  const { record } = await appendRecord(db, {
    organisationId: person.organisationId,
    kind: "signed",
    userId: person.id,
    policyVersionId: version.id,
    policySha256: version.sha256,
    declarationText: "I have read and understood the code of conduct.",
    typedName: person.name,
    recordedAt,
    ip: null,
    userAgent: null,
    qualifyingAttemptIds: [],
    subjectReference: null,
    actorUserId: person.id,
    reason: null,
  });
  return record;
}

/** The requirement to sign an organisation's code of conduct (made when its first version is published). */
export async function policyRequirementOf(db: Db, organisationId: string) {
  const [row] = await db
    .select()
    .from(requirements)
    .where(and(eq(requirements.organisationId, organisationId), eq(requirements.kind, "policy")));
  return row;
}

/** A nudge, reminder or escalation as the tracking code records it, with its delivery tries (plain inserts). */
export async function aNudge(
  db: Db,
  options: {
    organisationId: string;
    recipientUserId: string;
    senderUserId?: string | null;
    teamId?: string | null;
    kind?: "nudge" | "reminder" | "escalation";
    day: string;
    message?: string | null;
    createdAt?: Date;
    deliveries?: {
      channel: "in-app" | "email";
      status: "delivered" | "sent" | "failed" | "skipped";
      error?: string | null;
      at?: Date;
    }[];
  },
) {
  const { nudges, nudgeDeliveries } = await import("~db/schema");
  const createdAt = options.createdAt ?? new Date(`${options.day}T09:00:00Z`);
  const [nudge] = await db
    .insert(nudges)
    .values({
      organisationId: options.organisationId,
      kind: options.kind ?? "nudge",
      recipientUserId: options.recipientUserId,
      senderUserId: options.senderUserId ?? null,
      teamId: options.teamId ?? null,
      day: options.day,
      message: options.message ?? null,
      createdAt,
    })
    .returning();
  for (const d of options.deliveries ?? []) {
    await db.insert(nudgeDeliveries).values({
      nudgeId: nudge.id,
      channel: d.channel,
      status: d.status,
      error: d.error ?? null,
      at: d.at ?? createdAt,
    });
  }
  return nudge;
}

/** An answer recorded on an attempt, as the training engine appends it. */
export async function anAnswer(
  db: Db,
  attempt: { id: string },
  options: { step: number; scenarioId: string; choiceId: string; correct: boolean; at: Date },
) {
  const { attemptEvents } = await import("~db/schema");
  const [event] = await db
    .insert(attemptEvents)
    .values({
      attemptId: attempt.id,
      step: options.step,
      type: "answer.chosen",
      scenarioId: options.scenarioId,
      choiceId: options.choiceId,
      correct: options.correct,
      at: options.at,
    })
    .returning();
  return event;
}
