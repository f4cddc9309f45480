import { and, asc, desc, eq, inArray, lte, sql } from "drizzle-orm";
import { addMonths, londonDate } from "~/lib/dates";
import type { CurrentUser } from "~/auth/session.server";
import type { Db } from "~db/client.server";
import { attemptEvents, attempts, moduleVersions, requirements, trainingModules } from "~db/schema";
import type { TrainingModule } from "./content-schema";
import { answer, createModuleMachine, startAttempt, type PersistedAttempt } from "./machine";

type ModuleMachine = ReturnType<typeof createModuleMachine>;

// Compiled machines by module version id: a version's content never changes, so neither does its machine.
const machines = new Map<string, ModuleMachine>();
function machineFor(versionId: string, content: TrainingModule): ModuleMachine {
  let machine = machines.get(versionId);
  if (!machine) {
    machine = createModuleMachine(content);
    machines.set(versionId, machine);
  }
  return machine;
}

type Persisted = PersistedAttempt;

const FINAL = new Set(["passed", "failed"]);
const stateOf = (snapshot: Persisted) => String(snapshot.value);

export type ModuleStatus = "not-started" | "in-progress" | "passed" | "failed";

/**
 * The modules a person's organisation requires, each with where they stand now. A pass on any version
 * counts while it is within the requirement's renewal period.
 */
export async function requiredModulesFor(db: Db, user: CurrentUser, now: Date) {
  const modules = await db
    .select({ id: trainingModules.id, slug: trainingModules.slug, title: trainingModules.title, renewalMonths: requirements.renewalMonths })
    .from(requirements)
    .innerJoin(trainingModules, eq(trainingModules.id, requirements.moduleId))
    .where(and(eq(requirements.organisationId, user.organisationId), eq(requirements.kind, "module"), lte(requirements.effectiveFrom, londonDate(now))))
    .orderBy(asc(trainingModules.title));
  if (modules.length === 0) return [];
  const rows = await db
    .select({
      moduleId: attempts.moduleId,
      passedAt: sql<string | null>`max(${attempts.completedAt}) filter (where ${attempts.status} = 'passed')`,
      inProgress: sql<boolean>`bool_or(${attempts.status} = 'in_progress')`,
      failed: sql<boolean>`bool_or(${attempts.status} = 'failed')`,
    })
    .from(attempts)
    .where(and(eq(attempts.userId, user.id), inArray(attempts.moduleId, modules.map((m) => m.id))))
    .groupBy(attempts.moduleId);
  return modules.map(({ renewalMonths, ...m }) => {
    const r = rows.find((row) => row.moduleId === m.id);
    const passedAt = r?.passedAt ? new Date(r.passedAt) : null;
    const current = passedAt !== null && addMonths(passedAt, renewalMonths) > now;
    const status: ModuleStatus = current ? "passed" : r?.inProgress ? "in-progress" : r?.failed || passedAt ? "failed" : "not-started";
    return { ...m, status, passedAt: current ? passedAt.toISOString() : null };
  });
}

async function moduleBySlug(db: Db, user: CurrentUser, slug: string) {
  const [module] = await db
    .select({ id: trainingModules.id, slug: trainingModules.slug, title: trainingModules.title })
    .from(trainingModules)
    .where(and(eq(trainingModules.organisationId, user.organisationId), eq(trainingModules.slug, slug)));
  return module ?? null;
}

async function latestVersion(db: Db, moduleId: string) {
  const [version] = await db
    .select()
    .from(moduleVersions)
    .where(eq(moduleVersions.moduleId, moduleId))
    .orderBy(desc(moduleVersions.createdAt), desc(moduleVersions.id))
    .limit(1);
  return version ?? null;
}

/** A module's overview for one person: the current content's summary and their attempts, newest first. */
export async function moduleOverview(db: Db, user: CurrentUser, slug: string) {
  const module = await moduleBySlug(db, user, slug);
  if (!module) return null;
  const version = await latestVersion(db, module.id);
  if (!version) return null;
  const content = version.content as TrainingModule;
  const history = await db
    .select({
      id: attempts.id,
      status: attempts.status,
      score: attempts.score,
      answered: attempts.answered,
      startedAt: attempts.startedAt,
      completedAt: attempts.completedAt,
    })
    .from(attempts)
    .where(and(eq(attempts.userId, user.id), eq(attempts.moduleId, module.id)))
    .orderBy(desc(attempts.startedAt));
  return {
    module: { slug: module.slug, title: content.title, summary: content.summary, passMark: version.passMark },
    attempts: history,
  };
}

function isUniqueViolation(error: unknown) {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.code === "23505" || e?.cause?.code === "23505";
}

/** Resumes the person's attempt in progress, or starts one on the module's current version. Idempotent: two tabs get one attempt. */
export async function startOrResumeAttempt(db: Db, user: CurrentUser, slug: string, now: Date): Promise<string | null> {
  const module = await moduleBySlug(db, user, slug);
  if (!module) return null;
  const findInProgress = async () => {
    const [row] = await db
      .select({ id: attempts.id })
      .from(attempts)
      .where(and(eq(attempts.userId, user.id), eq(attempts.moduleId, module.id), eq(attempts.status, "in_progress")));
    return row?.id ?? null;
  };
  const existing = await findInProgress();
  if (existing) return existing;
  const version = await latestVersion(db, module.id);
  if (!version) return null;
  const snapshot = startAttempt(machineFor(version.id, version.content as TrainingModule));
  try {
    const [created] = await db
      .insert(attempts)
      .values({ userId: user.id, moduleId: module.id, moduleVersionId: version.id, snapshot, startedAt: now, updatedAt: now })
      .returning({ id: attempts.id });
    return created.id;
  } catch (error) {
    if (isUniqueViolation(error)) return findInProgress();
    throw error;
  }
}

async function loadAttempt(db: Db, user: CurrentUser, slug: string, attemptId: string) {
  const [row] = await db
    .select({ attempt: attempts, content: moduleVersions.content, passMark: moduleVersions.passMark, slug: trainingModules.slug })
    .from(attempts)
    .innerJoin(moduleVersions, eq(moduleVersions.id, attempts.moduleVersionId))
    .innerJoin(trainingModules, eq(trainingModules.id, attempts.moduleId))
    .where(and(eq(attempts.id, attemptId), eq(attempts.userId, user.id), eq(trainingModules.slug, slug)));
  return row ? { ...row, content: row.content as TrainingModule } : null;
}

function describeChoice(content: TrainingModule, scenarioId: string, choiceId: string) {
  const scenario = content.scenarios.find((s) => s.id === scenarioId);
  const choice = scenario?.choices.find((c) => c.id === choiceId);
  return scenario && choice ? { scenario, choice } : null;
}

/** Where an attempt stands: the question to answer now, or its result. Only the person's own attempt. */
export async function attemptState(db: Db, user: CurrentUser, slug: string, attemptId: string) {
  const row = await loadAttempt(db, user, slug, attemptId);
  if (!row) return null;
  const snapshot = row.attempt.snapshot as Persisted;
  const state = stateOf(snapshot);
  const base = {
    attemptId: row.attempt.id,
    module: { slug: row.slug, title: row.content.title, passMark: row.passMark },
    status: row.attempt.status,
    step: row.attempt.step,
    score: row.attempt.score,
    answered: row.attempt.answered,
    questionNumber: row.attempt.answered + 1,
  };
  if (FINAL.has(state) || row.attempt.status !== "in_progress") {
    const answers = snapshot.context.path.map((entry) => {
      const found = describeChoice(row.content, entry.scenarioId, entry.choiceId);
      const best = found?.scenario.choices.filter((c) => c.correct).map((c) => c.text) ?? [];
      return {
        question: found?.scenario.question ?? entry.scenarioId,
        title: found?.scenario.title ?? entry.scenarioId,
        answer: found?.choice.text ?? entry.choiceId,
        correct: entry.correct,
        feedback: found?.choice.feedback ?? "",
        citation: found?.choice.citation ?? null,
        bestAnswers: entry.correct ? [] : best,
      };
    });
    return { ...base, kind: "result" as const, answers, completedAt: row.attempt.completedAt };
  }
  const scenario = row.content.scenarios.find((s) => s.id === state);
  if (!scenario) throw new Error(`Attempt ${row.attempt.id} is in unknown state ${state}`);
  return {
    ...base,
    kind: "question" as const,
    scenario: {
      id: scenario.id,
      title: scenario.title,
      situation: scenario.situation,
      question: scenario.question,
      choices: scenario.choices.map((c) => ({ id: c.id, text: c.text })),
    },
  };
}

export type AnswerInput = { scenarioId: string; choiceId: string; step: number };
export type AnswerOutcome =
  | { outcome: "recorded"; step: number }
  | { outcome: "stale" }
  | { outcome: "invalid" }
  | { outcome: "not-found" };

/**
 * The server is authoritative: it restores the attempt's stored snapshot, checks the answer is for the
 * question now asked (the form's step must match), lets the machine decide, then stores the new snapshot and
 * an append-only event in one transaction. A replay, an old page or a second submit changes nothing.
 */
export async function answerQuestion(db: Db, user: CurrentUser, slug: string, attemptId: string, input: AnswerInput, now: Date): Promise<AnswerOutcome> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ attempt: attempts, content: moduleVersions.content })
      .from(attempts)
      .innerJoin(moduleVersions, eq(moduleVersions.id, attempts.moduleVersionId))
      .innerJoin(trainingModules, eq(trainingModules.id, attempts.moduleId))
      .where(and(eq(attempts.id, attemptId), eq(attempts.userId, user.id), eq(trainingModules.slug, slug)))
      .for("update", { of: attempts });
    if (!row) return { outcome: "not-found" as const };
    const current = row.attempt.snapshot as Persisted;
    if (row.attempt.status !== "in_progress" || input.step !== row.attempt.step || stateOf(current) !== input.scenarioId) {
      return { outcome: "stale" as const };
    }
    const machine = machineFor(row.attempt.moduleVersionId, row.content as TrainingModule);
    const result = answer(machine, current, { type: "answer.chosen", scenarioId: input.scenarioId, choiceId: input.choiceId });
    if (!result.accepted) return { outcome: "invalid" as const };
    const next = result.snapshot as Persisted;
    const last = next.context.path[next.context.path.length - 1];
    const state = stateOf(next);
    const status = state === "passed" ? "passed" : state === "failed" ? "failed" : "in_progress";
    const step = row.attempt.step + 1;
    await tx
      .update(attempts)
      .set({
        snapshot: next,
        step,
        score: next.context.score,
        answered: next.context.answered,
        status,
        updatedAt: now,
        completedAt: status === "in_progress" ? null : now,
      })
      .where(eq(attempts.id, row.attempt.id));
    await tx.insert(attemptEvents).values({
      attemptId: row.attempt.id,
      step,
      type: "answer.chosen",
      scenarioId: input.scenarioId,
      choiceId: input.choiceId,
      correct: last?.correct ?? false,
      at: now,
    });
    return { outcome: "recorded" as const, step };
  });
}

/** The feedback for one recorded answer of the person's own attempt. */
export async function answerFeedback(db: Db, user: CurrentUser, slug: string, attemptId: string, step: number) {
  const row = await loadAttempt(db, user, slug, attemptId);
  if (!row) return null;
  const [event] = await db
    .select()
    .from(attemptEvents)
    .where(and(eq(attemptEvents.attemptId, row.attempt.id), eq(attemptEvents.step, step)));
  if (!event) return null;
  const found = describeChoice(row.content, event.scenarioId, event.choiceId);
  if (!found) return null;
  return {
    module: { slug: row.slug, title: row.content.title },
    attemptId: row.attempt.id,
    finished: row.attempt.status !== "in_progress",
    isLatest: step === row.attempt.step,
    question: found.scenario.question,
    answer: found.choice.text,
    correct: event.correct,
    feedback: found.choice.feedback,
    citation: found.choice.citation,
    bestAnswers: event.correct ? [] : found.scenario.choices.filter((c) => c.correct).map((c) => c.text),
  };
}
