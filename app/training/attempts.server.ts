import { and, desc, eq, sql } from "drizzle-orm";
import { londonDate } from "~/lib/dates";
import type { CurrentUser } from "~/auth/session.server";
import { preparedPerDatabase, preparedSql } from "~/lib/prepared.server";
import { countingPass, exemptionsInForce, expiryOf, settingsInForce } from "~/tracking/status.server";
import { isUniqueViolation, type Db } from "~db/client.server";
import { attemptEvents, attempts, moduleVersions, requirements, trainingModules } from "~db/schema";
import { questionsOf, type Question, type TrainingModule } from "./content-schema";
import { newAttemptInput, type Pick } from "./draw";
import {
  answer,
  createModuleMachine,
  questionsToPass,
  startAttempt,
  type Draw,
  type PersistedAttempt,
} from "./machine";

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

/** True for content the format 2 engine runs; attempts on format 1 content were closed by migration 0011. */
function isFormat2(content: unknown): content is TrainingModule {
  return (content as { formatVersion?: unknown })?.formatVersion === 2;
}

// Every question of a version by its id, by module version id (a version's content never changes).
const questionMaps = new Map<string, Map<string, Question>>();
function questionsFor(versionId: string, content: unknown): Map<string, Question> {
  let questions = questionMaps.get(versionId);
  if (!questions) {
    questions = isFormat2(content) ? questionsOf(content) : new Map();
    questionMaps.set(versionId, questions);
  }
  return questions;
}

/** The machine of a version not compiled yet in this process: the only time an answer reads the content. */
async function compileVersion(db: Db, versionId: string): Promise<ModuleMachine> {
  const [version] = await db
    .select({ content: moduleVersions.content })
    .from(moduleVersions)
    .where(eq(moduleVersions.id, versionId));
  return machineFor(versionId, version.content as TrainingModule);
}

type Persisted = PersistedAttempt;

const FINAL = new Set(["passed", "failed"]);
const stateOf = (snapshot: Persisted) => String(snapshot.value);

export type ModuleStatus = "not-started" | "in-progress" | "passed" | "failed";

type Standing = {
  id: string;
  slug: string;
  title: string;
  passed_at: string | null;
  passed_attempt_id: string | null;
  /** The latest pass still counts: within the requirement's renewal period (the status query's rule, expiryOf). */
  current: boolean;
  /** Training completed elsewhere that still counts (docs/decisions/0021), when no pass of ours does. */
  earlier_training_id: string | null;
  in_progress: boolean;
  failed: boolean;
};

// One row per module requirement in force for the person (aimed at them, and not exempt today), with their latest
// pass (and the attempt that made it), whether it still counts, the training completed elsewhere that counts, and
// whether they have an attempt in progress or failed. The status query's rules: settingsInForce, exemptionsInForce,
// countingPass and expiryOf.
const moduleStandings = preparedSql<Standing>(
  "module_standings",
  sql`select m.id, m.slug, m.title, s.passed_at, s.passed_attempt_id,
        coalesce(${expiryOf("s.passed_at", "st.renewal_months")} > ${sql.placeholder("at")}::timestamptz, false) as current,
        case when ${expiryOf("et.completed_at", "st.renewal_months")} > ${sql.placeholder("at")}::timestamptz then et.id end as earlier_training_id,
        coalesce(s.in_progress, false) as in_progress, coalesce(s.failed, false) as failed
      from ${requirements} r
      join (${settingsInForce(sql`${sql.placeholder("organisationId")}::uuid`, sql`${sql.placeholder("at")}::timestamptz`)}) st on st.requirement_id = r.id
      join ${trainingModules} m on m.id = r.module_id
      left join lateral (
        select e.id, (e.completed_on::timestamp at time zone 'Europe/London') as completed_at
        from earlier_training e
        where e.user_id = ${sql.placeholder("userId")} and e.requirement_id = r.id
          and e.recorded_at <= ${sql.placeholder("at")}::timestamptz and e.completed_on <= ${sql.placeholder("today")}::date
        order by e.completed_on desc, e.recorded_at desc
        limit 1
      ) et on true
      left join lateral (
        select max(a.completed_at) filter (where ${countingPass("a", sql`${sql.placeholder("at")}::timestamptz`)}) as passed_at,
               (array_agg(a.id order by a.completed_at desc) filter (where ${countingPass("a", sql`${sql.placeholder("at")}::timestamptz`)}))[1] as passed_attempt_id,
               bool_or(a.status = 'in_progress') as in_progress,
               bool_or(a.status = 'failed') as failed
        from ${attempts} a
        where a.user_id = ${sql.placeholder("userId")} and a.module_id = m.id
      ) s on true
      where r.organisation_id = ${sql.placeholder("organisationId")} and r.kind = 'module' and r.effective_from <= ${sql.placeholder("today")}::date
        and (st.team_ids is null or exists (
          select 1 from team_memberships tm
          where tm.user_id = ${sql.placeholder("userId")} and tm.team_id = any(st.team_ids)
            and tm.started_on <= ${sql.placeholder("today")}::date and (tm.ended_on is null or tm.ended_on > ${sql.placeholder("today")}::date)))
        and not exists (
          select 1 from (${exemptionsInForce(sql`${sql.placeholder("at")}::timestamptz`)}) x
          where x.user_id = ${sql.placeholder("userId")} and (x.requirement_id is null or x.requirement_id = r.id)
            and x.starts_on <= ${sql.placeholder("today")}::date and (x.ends_on is null or x.ends_on >= ${sql.placeholder("today")}::date))
      order by m.title`,
);

const standingValues = (user: CurrentUser, now: Date) => ({
  userId: user.id,
  organisationId: user.organisationId,
  today: londonDate(now),
  at: now.toISOString(),
});

/** The read behind moduleStandingsFor, to send with others (`pipelined`); `standingsFrom` reads its rows. */
export const moduleStandingsQuery = (user: CurrentUser, now: Date) => moduleStandings.bind(standingValues(user, now));

/** Where the person stands on each required module: a pass on any version counts while within the renewal period. */
export function standingsFrom(rows: Standing[]) {
  return rows.map((r) => {
    const status: ModuleStatus =
      r.current || r.earlier_training_id
        ? "passed"
        : r.in_progress
          ? "in-progress"
          : r.failed || r.passed_at
            ? "failed"
            : "not-started";
    return {
      id: r.id,
      slug: r.slug,
      title: r.title,
      status,
      passedAt: r.current && r.passed_at ? new Date(r.passed_at).toISOString() : null,
      passedAttemptId: r.current ? r.passed_attempt_id : null,
      /** Counts instead of a pass of ours only when none counts: a pass of our module is named first. */
      earlierTrainingId: r.current ? null : r.earlier_training_id,
    };
  });
}

/**
 * The modules a person's organisation requires, each with where they stand now and, when passed, the attempt
 * that passed it. A pass on any version counts while it is within the requirement's renewal period.
 */
export async function moduleStandingsFor(db: Db, user: CurrentUser, now: Date) {
  return standingsFrom(await moduleStandings.run(db, standingValues(user, now)));
}

/** The modules a person's organisation requires, each with where they stand now (see moduleStandingsFor). */
export async function requiredModulesFor(db: Db, user: CurrentUser, now: Date) {
  return (await moduleStandingsFor(db, user, now)).map(({ passedAttemptId: _, earlierTrainingId: __, ...m }) => m);
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
    module: {
      slug: module.slug,
      title: content.title,
      summary: content.summary,
      passMark: version.passMark,
      questions: isFormat2(content) ? content.slots.length : 0,
      toPass: isFormat2(content) ? questionsToPass(content.slots.length, content.passMark) : 0,
    },
    attempts: history,
  };
}

/** Resumes the person's attempt in progress, or starts one on the module's current version. Idempotent: two tabs get one attempt. */
export async function startOrResumeAttempt(
  db: Db,
  user: CurrentUser,
  slug: string,
  now: Date,
  pick?: Pick,
): Promise<string | null> {
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
  const content = version.content as TrainingModule;
  // Earlier attempts' draws, oldest first: the new draw asks what the person has not seen, else what they saw longest ago.
  const earlier = await db
    .select({ draw: attempts.draw })
    .from(attempts)
    .where(and(eq(attempts.userId, user.id), eq(attempts.moduleId, module.id)))
    .orderBy(attempts.startedAt, attempts.id);
  const input = newAttemptInput(
    content,
    earlier.map((e) => e.draw as Draw),
    pick,
  );
  const snapshot = startAttempt(machineFor(version.id, content), input);
  try {
    const [created] = await db
      .insert(attempts)
      .values({
        userId: user.id,
        moduleId: module.id,
        moduleVersionId: version.id,
        snapshot,
        draw: input.draw,
        choiceOrder: input.order,
        startedAt: now,
        updatedAt: now,
      })
      .returning({ id: attempts.id });
    return created.id;
  } catch (error) {
    if (isUniqueViolation(error)) return findInProgress();
    throw error;
  }
}

async function loadAttempt(db: Db, user: CurrentUser, slug: string, attemptId: string) {
  const [row] = await db
    .select({
      attempt: attempts,
      content: moduleVersions.content,
      versionId: moduleVersions.id,
      passMark: moduleVersions.passMark,
      slug: trainingModules.slug,
    })
    .from(attempts)
    .innerJoin(moduleVersions, eq(moduleVersions.id, attempts.moduleVersionId))
    .innerJoin(trainingModules, eq(trainingModules.id, attempts.moduleId))
    .where(and(eq(attempts.id, attemptId), eq(attempts.userId, user.id), eq(trainingModules.slug, slug)));
  return row ? { ...row, content: row.content as TrainingModule } : null;
}

function describeChoice(questions: Map<string, Question>, scenarioId: string, choiceId: string) {
  const question = questions.get(scenarioId);
  const choice = question?.scenario.choices.find((c) => c.id === choiceId);
  return question && choice ? { question, choice } : null;
}

/** The right choices' texts of a question, for someone who chose wrongly. */
const rightAnswers = (question: Question) => question.scenario.choices.filter((c) => c.correct).map((c) => c.text);

/** Where an attempt stands: the question to answer now, or its result. Only the person's own attempt. */
export async function attemptState(db: Db, user: CurrentUser, slug: string, attemptId: string) {
  const row = await loadAttempt(db, user, slug, attemptId);
  if (!row) return null;
  const snapshot = row.attempt.snapshot as Persisted;
  const state = stateOf(snapshot);
  const questions = questionsFor(row.versionId, row.content);
  const totalQuestions = isFormat2(row.content) ? row.content.slots.length : row.attempt.answered;
  const base = {
    attemptId: row.attempt.id,
    module: { slug: row.slug, title: row.content.title, passMark: row.passMark },
    status: row.attempt.status,
    step: row.attempt.step,
    score: row.attempt.score,
    answered: row.attempt.answered,
    totalQuestions,
  };
  if (FINAL.has(state) || row.attempt.status !== "in_progress") {
    const answers = snapshot.context.path.map((entry) => {
      const found = describeChoice(questions, entry.scenarioId, entry.choiceId);
      // Format 1 paths have no `main`: every answer there was scored.
      const main = entry.main ?? true;
      return {
        main,
        questionNumber: found ? found.question.slotIndex + 1 : null,
        question: found?.question.scenario.question ?? entry.scenarioId,
        title: found?.question.scenario.title ?? entry.scenarioId,
        answer: found?.choice.text ?? entry.choiceId,
        correct: entry.correct,
        feedback: found?.choice.feedback ?? "",
        citation: found?.choice.citation ?? null,
        bestAnswers: entry.correct || !found ? [] : rightAnswers(found.question),
      };
    });
    return { ...base, kind: "result" as const, answers, completedAt: row.attempt.completedAt };
  }
  const question = questions.get(state);
  if (!question) throw new Error(`Attempt ${row.attempt.id} is in unknown state ${state}`);
  const order = (row.attempt.choiceOrder as Record<string, string[]>)[question.scenario.id] ?? [];
  const byId = new Map(question.scenario.choices.map((c) => [c.id, c]));
  const ordered = order.map((id) => byId.get(id)).filter((c) => c !== undefined);
  return {
    ...base,
    kind: "question" as const,
    /** The main question's number (1 to totalQuestions); a follow-up carries the number of the question it follows. */
    questionNumber: question.slotIndex + 1,
    followUp: question.kind === "follow-up",
    scenario: {
      id: question.scenario.id,
      title: question.scenario.title,
      situation: question.scenario.situation,
      question: question.scenario.question,
      // In the attempt's own order, kept from its start; every choice once even if the order were short.
      choices: (ordered.length === byId.size ? ordered : question.scenario.choices).map((c) => ({
        id: c.id,
        text: c.text,
      })),
    },
  };
}

/** After a pass: the next required module not passed yet, or signing the code of conduct once every one is passed. */
export async function nextStepAfterPass(db: Db, user: CurrentUser, now: Date) {
  const modules = await requiredModulesFor(db, user, now);
  const next = modules.find((m) => m.status !== "passed");
  return next
    ? { href: `/training/${next.slug}`, label: `Next: ${next.title}` }
    : { href: "/code-of-conduct", label: "Sign the code of conduct" };
}

/** An attempt's result page: its result, and after a pass the person's next step. Null while it is in progress. */
export async function attemptResult(db: Db, user: CurrentUser, slug: string, attemptId: string, now: Date) {
  const state = await attemptState(db, user, slug, attemptId);
  if (!state || state.kind !== "result") return state;
  return { ...state, next: state.status === "passed" ? await nextStepAfterPass(db, user, now) : null };
}

export type AnswerInput = { scenarioId: string; choiceId: string; step: number };
export type AnswerOutcome =
  { outcome: "recorded"; step: number } | { outcome: "stale" } | { outcome: "invalid" } | { outcome: "not-found" };

const attemptToAnswer = preparedPerDatabase((db) =>
  db
    .select({
      id: attempts.id,
      step: attempts.step,
      status: attempts.status,
      snapshot: attempts.snapshot,
      moduleVersionId: attempts.moduleVersionId,
    })
    .from(attempts)
    .innerJoin(trainingModules, eq(trainingModules.id, attempts.moduleId))
    .where(
      and(
        eq(attempts.id, sql.placeholder("attemptId")),
        eq(attempts.userId, sql.placeholder("userId")),
        eq(trainingModules.slug, sql.placeholder("slug")),
      ),
    )
    .prepare("attempt_to_answer"),
);

// Moves the attempt on only while it is still at the step that was read, in progress and this person's, and
// appends the event from the update's RETURNING: no row back means another answer got there first.
const recordAnswer = preparedSql<{ step: number }>(
  "record_answer",
  sql`with moved as (
        update ${attempts}
           set snapshot = ${sql.placeholder("snapshot")}::jsonb, step = ${sql.placeholder("step")}, score = ${sql.placeholder("score")},
               answered = ${sql.placeholder("answered")}, status = ${sql.placeholder("status")}, updated_at = ${sql.placeholder("at")}::timestamptz,
               completed_at = ${sql.placeholder("completedAt")}::timestamptz
         where id = ${sql.placeholder("attemptId")} and user_id = ${sql.placeholder("userId")} and step = ${sql.placeholder("readStep")} and status = 'in_progress'
     returning id, step
      )
      insert into ${attemptEvents} (attempt_id, step, type, scenario_id, choice_id, correct, at)
      select id, step, 'answer.chosen', ${sql.placeholder("scenarioId")}, ${sql.placeholder("choiceId")}, ${sql.placeholder("correct")}, ${sql.placeholder("at")}::timestamptz from moved
      returning step`,
);

/**
 * The server is authoritative: it restores the attempt's stored snapshot, checks the answer is for the
 * question now asked (the form's step must match), lets the machine decide, then stores the new snapshot and
 * an append-only event. A replay, an old page or a second submit changes nothing.
 *
 * Two round trips and no explicit transaction: a plain read, then one compare-and-set statement that updates
 * the attempt only while it is still at the step that was read (and in progress, and this person's) and inserts
 * the event from the update's RETURNING. One statement is atomic, and under READ COMMITTED a concurrent answer
 * that committed first makes the WHERE fail on the row's new version, so the later one records nothing.
 */
export async function answerQuestion(
  db: Db,
  user: CurrentUser,
  slug: string,
  attemptId: string,
  input: AnswerInput,
  now: Date,
): Promise<AnswerOutcome> {
  const [row] = await attemptToAnswer(db).execute({ attemptId, userId: user.id, slug });
  if (!row) return { outcome: "not-found" };
  const current = row.snapshot as Persisted;
  if (row.status !== "in_progress" || input.step !== row.step || stateOf(current) !== input.scenarioId) {
    return { outcome: "stale" };
  }
  const machine = machines.get(row.moduleVersionId) ?? (await compileVersion(db, row.moduleVersionId));
  const result = answer(machine, current, {
    type: "answer.chosen",
    scenarioId: input.scenarioId,
    choiceId: input.choiceId,
  });
  if (!result.accepted) return { outcome: "invalid" };
  const next = result.snapshot as Persisted;
  const last = next.context.path[next.context.path.length - 1];
  const state = stateOf(next);
  const status = state === "passed" ? "passed" : state === "failed" ? "failed" : "in_progress";
  const at = now.toISOString();
  const recorded = await recordAnswer.run(db, {
    attemptId: row.id,
    userId: user.id,
    readStep: row.step,
    step: row.step + 1,
    snapshot: JSON.stringify(next),
    score: next.context.score,
    answered: next.context.answered,
    status,
    at,
    completedAt: status === "in_progress" ? null : at,
    scenarioId: input.scenarioId,
    choiceId: input.choiceId,
    correct: last?.correct ?? false,
  });
  return recorded.length === 1 ? { outcome: "recorded", step: row.step + 1 } : { outcome: "stale" };
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
  const found = describeChoice(questionsFor(row.versionId, row.content), event.scenarioId, event.choiceId);
  if (!found) return null;
  return {
    module: { slug: row.slug, title: row.content.title },
    attemptId: row.attempt.id,
    totalQuestions: isFormat2(row.content) ? row.content.slots.length : row.attempt.answered,
    finished: row.attempt.status !== "in_progress",
    isLatest: step === row.attempt.step,
    followUp: found.question.kind === "follow-up",
    questionNumber: found.question.slotIndex + 1,
    question: found.question.scenario.question,
    answer: found.choice.text,
    correct: event.correct,
    feedback: found.choice.feedback,
    citation: found.choice.citation,
    bestAnswers: event.correct ? [] : rightAnswers(found.question),
  };
}
