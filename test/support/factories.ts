import { randomBytes } from "node:crypto";
import { providerSettingsSchema, type ProviderSettingsInput } from "~/auth/sso-forms";
import { configureProvider } from "~/auth/sso-settings.server";
import { loadConfig } from "~/config.server";
import { hashPassword } from "~/auth/password.server";
import type { CurrentUser } from "~/auth/session.server";
import type { Db } from "~db/client.server";
import { and, eq } from "drizzle-orm";
import {
  attempts,
  auditLog,
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
  return { ...person, email: person.email ?? "" };
}

/** A person with no work e-mail address and no password, known by their employee number (decision 0025). */
export async function aPersonWithoutEmail(db: Db, options: Omit<PersonOptions, "email" | "password">) {
  const person = await aPerson(db, { ...options, password: null });
  const [row] = await db.update(users).set({ email: null }).where(eq(users.id, person.id)).returning();
  return row;
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

/**
 * A small valid format 2 module: three slots (s1, s2, s3) of two variants each (s1-v1, s1-v2, ...). Every
 * question's right choice is "a" and its wrong ones "b" and "c"; choice "b" of each of slot s1's variants leads
 * to a follow-up (s1-v1-follow-up, s1-v2-follow-up) whose right choice is also "a".
 */
export function aModuleContent(organisation: string, overrides: Record<string, unknown> = {}) {
  const citation = { document: "Test council social media policy", section: "1.1", heading: "Personal use" };
  const choice = (id: string, correct: boolean, extra: Record<string, unknown> = {}) => ({
    id,
    text: `Answer ${id}`,
    correct,
    feedback: `Because ${id} is what the policy says.`,
    citation,
    ...extra,
  });
  const followUp = (id: string) => ({
    id,
    title: "Follow-up",
    situation: "Think again.",
    question: "And now?",
    choices: [choice("a", true), choice("b", false), choice("c", false)],
  });
  const slot = (n: number) => ({
    id: `s${n}`,
    learningPoint: `Learning point ${n}.`,
    variants: [1, 2].map((v) => ({
      id: `s${n}-v${v}`,
      title: `Question ${n}, variant ${v}`,
      situation: `Situation ${n}.${v}.\n\nMore of it.`,
      question: `What do you do in ${n}.${v}?`,
      choices: [
        choice("a", true),
        choice("b", false, n === 1 ? { followUp: followUp(`s${n}-v${v}-follow-up`) } : {}),
        choice("c", false),
      ],
    })),
  });
  return {
    formatVersion: 2,
    id: "test-module",
    organisation,
    title: "Test module",
    summary: "A module for tests.",
    passMark: 0.8,
    slots: [slot(1), slot(2), slot(3)],
    ...overrides,
  };
}

/** What a signed-in person looks like to domain functions, built from a factory row. */
export function asCurrentUser(
  person: Omit<typeof users.$inferSelect, "email"> & { email: string | null },
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
      // Recorded when it took effect, as its first settings row is, so that tests' clocks see the settings in order.
      createdAt: new Date(`${options.effectiveFrom ?? "2020-01-01"}T00:00:00Z`),
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

/**
 * Answers every question of an attempt as the engine asks it (its draw decides which variant), choosing
 * `choose(questionId)`: by default "a", the right choice of every aModuleContent question. `at` dates each answer.
 */
export async function answerEveryQuestion(
  db: Db,
  user: CurrentUser,
  slug: string,
  attemptId: string,
  at: Date | ((step: number) => Date) = new Date(),
  choose: (questionId: string) => string = () => "a",
) {
  const { answerQuestion, attemptState } = await import("~/training/attempts.server");
  for (let i = 0; i < 100; i++) {
    const state = await attemptState(db, user, slug, attemptId);
    if (!state || state.kind !== "question") return state;
    await answerQuestion(
      db,
      user,
      slug,
      attemptId,
      { scenarioId: state.scenario.id, choiceId: choose(state.scenario.id), step: state.step },
      typeof at === "function" ? at(state.step) : at,
    );
  }
  throw new Error("the attempt did not end");
}

/** The id of the question an attempt asks now (which variant depends on its draw). */
export async function questionAskedNow(db: Db, user: CurrentUser, slug: string, attemptId: string) {
  const { attemptState } = await import("~/training/attempts.server");
  const state = await attemptState(db, user, slug, attemptId);
  if (state?.kind !== "question") throw new Error("the attempt asks no question now");
  return state.scenario.id;
}

/** An audit log entry at a chosen moment, as the audit writer records it (a plain insert: the log is append-only). */
export async function anAuditEntry(
  db: Db,
  options: {
    organisationId: string | null;
    action: string;
    at: Date;
    actorUserId?: string | null;
    subjectType?: string | null;
    subjectId?: string | null;
    details?: Record<string, unknown>;
  },
) {
  const { auditLog } = await import("~db/schema");
  const [entry] = await db
    .insert(auditLog)
    .values({
      organisationId: options.organisationId,
      action: options.action,
      at: options.at,
      actorUserId: options.actorUserId ?? null,
      subjectType: options.subjectType ?? null,
      subjectId: options.subjectId ?? null,
      details: options.details ?? {},
    })
    .returning();
  return entry;
}

/** content/wirral's code of conduct and one of its modules: real content that passes every check of `npm run content:check`. */
const CONTENT_POLICY = "content/wirral/policy.txt";
const CONTENT_MODULE = "content/wirral/modules/personal-use.json";
const CONTENT_COUNCIL_NAME = "Wirral Council";

/**
 * A council named as content/wirral's, with its code of conduct in force since 2026-01-01, and a module file
 * for it (content/wirral's personal-use module, its `organisation` this council's slug) that passes every check.
 * `moduleFile` changes the module before it is written as JSON text.
 */
export async function aCouncilReadyForModules(db: Db) {
  const { readFileSync } = await import("node:fs");
  const organisation = await anOrganisation(db, { name: CONTENT_COUNCIL_NAME });
  const team = await aTeam(db, organisation.id, "Team A");
  const admin = await aPerson(db, { organisationId: organisation.id, teamId: team.id, role: "admin" });
  const staff = await aPerson(db, { organisationId: organisation.id, teamId: team.id, role: "staff" });
  const policy = await aPolicyVersion(db, organisation.id, {
    label: "1",
    body: readFileSync(CONTENT_POLICY, "utf8"),
    effectiveDate: "2026-01-01",
  });
  const module = JSON.parse(readFileSync(CONTENT_MODULE, "utf8")) as Record<string, unknown>;
  const moduleFile = (change: (m: Record<string, unknown>) => Record<string, unknown> = (m) => m) =>
    JSON.stringify(change({ ...structuredClone(module), organisation: organisation.slug }), null, 2);
  return { organisation, team, admin, staff, policy, moduleFile };
}

/** A council's OpenID provider, set through the same domain function as the admin page (the secret stored encrypted). */
export async function anIdentityProvider(
  db: Db,
  organisationId: string,
  provider: { issuer: string; clientId: string; clientSecret: string },
  overrides: Partial<ProviderSettingsInput> = {},
) {
  const input = providerSettingsSchema.parse({
    kind: "oidc",
    displayName: "Test Provider",
    issuer: provider.issuer,
    tenantId: "",
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    emailDomains: "council.example",
    passwordSignIn: "yes",
    provesFreshAuth: "yes",
    ...overrides,
  });
  const result = await configureProvider(db, loadConfig({ NODE_ENV: "test" }), organisationId, input, null, {
    ip: null,
    requestId: null,
    now: new Date(),
  });
  if (!result.ok) throw new Error(`Provider not configured: ${JSON.stringify(result.errors)}`);
  return result.provider;
}

/** A council (aCouncil) with its admin as the signed-in user, `me`. */
export async function aCouncilWithAdmin(db: Db) {
  const council = await aCouncil(db);
  return { ...council, me: asCurrentUser(council.admin, council.organisation) };
}

/** Who did `action` to `subjectId`, and its details, from the audit log. */
export function auditOf(db: Db, action: string, subjectId: string) {
  return db
    .select({ actor: auditLog.actorUserId, details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.subjectId, subjectId)));
}
