import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { attemptEvents, attempts } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aModuleContent, aPerson, asCurrentUser, databaseError } from "../../test/support/factories";
import type { CurrentUser } from "~/auth/session.server";
import {
  answerFeedback,
  answerQuestion,
  attemptState,
  requiredModulesFor,
  startOrResumeAttempt,
} from "./attempts.server";
import type { TrainingModule } from "./content-schema";
import { syncTrainingModules } from "./content-sync.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-03-02T10:00:00Z");
let council: Awaited<ReturnType<typeof aCouncil>>;
let staff: CurrentUser;
let other: CurrentUser;
let content: TrainingModule;

beforeAll(async () => {
  council = await aCouncil(db);
  staff = asCurrentUser(council.staff, council.organisation);
  other = asCurrentUser(council.hr, council.organisation);
  content = aModuleContent(council.organisation.slug) as unknown as TrainingModule;
  await syncTrainingModules(db, [content], now);
});

async function eventsOf(attemptId: string) {
  return db.select().from(attemptEvents).where(eq(attemptEvents.attemptId, attemptId)).orderBy(attemptEvents.step);
}

async function answerAll(user: CurrentUser, attemptId: string, choose: (scenarioId: string) => string) {
  for (let i = 0; i < 10; i++) {
    const state = await attemptState(db, user, "test-module", attemptId);
    if (!state || state.kind === "result") return state;
    const result = await answerQuestion(
      db,
      user,
      "test-module",
      attemptId,
      { scenarioId: state.scenario.id, choiceId: choose(state.scenario.id), step: state.step },
      now,
    );
    expect(result.outcome).toBe("recorded");
  }
  throw new Error("the attempt did not end");
}

/** The question an attempt asks now (its id depends on the attempt's draw). */
async function asked(user: CurrentUser, attemptId: string) {
  const state = await attemptState(db, user, "test-module", attemptId);
  if (state?.kind !== "question") throw new Error("expected a question");
  return state.scenario.id;
}

describe("attempts", () => {
  it("makes a module required for its organisation when first recorded", async () => {
    const modules = await requiredModulesFor(db, staff, now);
    expect(modules).toEqual([expect.objectContaining({ slug: "test-module", status: "not-started" })]);
  });

  it("gives one attempt however often, and from however many tabs, a person starts", async () => {
    const person = asCurrentUser(council.admin, council.organisation);
    const ids = await Promise.all([1, 2, 3].map(() => startOrResumeAttempt(db, person, "test-module", now)));
    expect(new Set(ids).size).toBe(1);
    expect(await startOrResumeAttempt(db, person, "test-module", now)).toBe(ids[0]);
  });

  it("refuses a module of another organisation or one that does not exist", async () => {
    const elsewhere = await aCouncil(db);
    const outsider = asCurrentUser(elsewhere.staff, elsewhere.organisation);
    expect(await startOrResumeAttempt(db, outsider, "test-module", now)).toBeNull();
    expect(await startOrResumeAttempt(db, staff, "no-such-module", now)).toBeNull();
  });

  it("records an answer with its event, then refuses the same answer replayed, and changes nothing", async () => {
    const attemptId = (await startOrResumeAttempt(db, staff, "test-module", now))!;
    const q1 = await asked(staff, attemptId);
    const first = await answerQuestion(
      db,
      staff,
      "test-module",
      attemptId,
      { scenarioId: q1, choiceId: "a", step: 0 },
      now,
    );
    expect(first).toEqual({ outcome: "recorded", step: 1 });
    const [before] = await db.select().from(attempts).where(eq(attempts.id, attemptId));
    const replay = await answerQuestion(
      db,
      staff,
      "test-module",
      attemptId,
      { scenarioId: q1, choiceId: "b", step: 0 },
      now,
    );
    expect(replay).toEqual({ outcome: "stale" });
    const [after] = await db.select().from(attempts).where(eq(attempts.id, attemptId));
    expect(after).toEqual(before);
    expect(await eventsOf(attemptId)).toHaveLength(1);
    const feedback = await answerFeedback(db, staff, "test-module", attemptId, 1);
    expect(feedback).toMatchObject({
      correct: true,
      feedback: "Because a is what the policy says.",
      citation: { heading: "Personal use" },
    });
  });

  it("refuses an answer to a question that is not the current one, even with the right step", async () => {
    const attemptId = (await startOrResumeAttempt(db, staff, "test-module", now))!;
    const state = await attemptState(db, staff, "test-module", attemptId);
    expect(state?.kind).toBe("question");
    const result = await answerQuestion(
      db,
      staff,
      "test-module",
      attemptId,
      { scenarioId: "s3-v1", choiceId: "a", step: state!.step },
      now,
    );
    expect(result).toEqual({ outcome: "stale" });
  });

  it("refuses a choice the question does not have, and writes nothing", async () => {
    const attemptId = (await startOrResumeAttempt(db, staff, "test-module", now))!;
    const state = await attemptState(db, staff, "test-module", attemptId);
    if (state?.kind !== "question") throw new Error("expected a question");
    const before = await eventsOf(attemptId);
    const result = await answerQuestion(
      db,
      staff,
      "test-module",
      attemptId,
      { scenarioId: state.scenario.id, choiceId: "zzz", step: state.step },
      now,
    );
    expect(result).toEqual({ outcome: "invalid" });
    expect(await eventsOf(attemptId)).toEqual(before);
  });

  it("treats another person's attempt as not found", async () => {
    const attemptId = (await startOrResumeAttempt(db, staff, "test-module", now))!;
    expect(await attemptState(db, other, "test-module", attemptId)).toBeNull();
    expect(
      await answerQuestion(
        db,
        other,
        "test-module",
        attemptId,
        { scenarioId: await asked(staff, attemptId), choiceId: "a", step: 0 },
        now,
      ),
    ).toEqual({ outcome: "not-found" });
  });

  it("records one answer when the same form is submitted twice at once", async () => {
    const person = asCurrentUser(council.champion, council.organisation);
    const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
    const q1 = await asked(person, attemptId);
    const results = await Promise.all([
      answerQuestion(db, person, "test-module", attemptId, { scenarioId: q1, choiceId: "a", step: 0 }, now),
      answerQuestion(db, person, "test-module", attemptId, { scenarioId: q1, choiceId: "a", step: 0 }, now),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["recorded", "stale"]);
    expect(await eventsOf(attemptId)).toHaveLength(1);
  });

  it("records exactly one of many different answers sent at once, and the stored snapshot agrees with its event", async () => {
    const person = asCurrentUser(
      await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id }),
      council.organisation,
    );
    const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
    const q1 = await asked(person, attemptId);
    const choices = ["a", "b", "a", "b", "a", "b", "a", "b"];
    const results = await Promise.all(
      choices.map((choiceId) =>
        answerQuestion(db, person, "test-module", attemptId, { scenarioId: q1, choiceId, step: 0 }, now),
      ),
    );
    expect(results.filter((r) => r.outcome === "recorded")).toEqual([{ outcome: "recorded", step: 1 }]);
    expect(results.filter((r) => r.outcome !== "recorded").every((r) => r.outcome === "stale")).toBe(true);
    const events = await eventsOf(attemptId);
    expect(events).toHaveLength(1);
    const [attempt] = await db.select().from(attempts).where(eq(attempts.id, attemptId));
    const snapshot = attempt.snapshot as { value: string; context: { score: number; path: { choiceId: string }[] } };
    expect(attempt).toMatchObject({ step: 1, answered: 1, status: "in_progress", updatedAt: now, completedAt: null });
    expect(snapshot.context.path).toEqual([
      expect.objectContaining({ scenarioId: q1, choiceId: events[0].choiceId, correct: events[0].correct }),
    ]);
    expect(snapshot.value).toMatch(events[0].choiceId === "a" ? /^s2-v[12]$/ : new RegExp(`^${q1}-follow-up$`));
    expect(attempt.score).toBe(events[0].correct ? 1 : 0);
  });

  it("records the last answer, its result and when it finished, in the same write", async () => {
    const person = asCurrentUser(
      await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id }),
      council.organisation,
    );
    const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
    const finished = new Date(now.getTime() + 60_000);
    const drawn: string[] = [];
    for (const step of [0, 1, 2]) {
      const scenarioId = await asked(person, attemptId);
      drawn.push(scenarioId);
      expect(
        await answerQuestion(
          db,
          person,
          "test-module",
          attemptId,
          { scenarioId, choiceId: "a", step },
          step === 2 ? finished : now,
        ),
      ).toEqual({ outcome: "recorded", step: step + 1 });
    }
    const [attempt] = await db.select().from(attempts).where(eq(attempts.id, attemptId));
    expect(attempt).toMatchObject({
      status: "passed",
      step: 3,
      score: 3,
      answered: 3,
      updatedAt: finished,
      completedAt: finished,
    });
    expect((await eventsOf(attemptId)).map((e) => [e.step, e.scenarioId, e.at.toISOString()])).toEqual([
      [1, drawn[0], now.toISOString()],
      [2, drawn[1], now.toISOString()],
      [3, drawn[2], finished.toISOString()],
    ]);
    expect(
      await answerQuestion(db, person, "test-module", attemptId, { scenarioId: drawn[2], choiceId: "a", step: 3 }, now),
    ).toEqual({ outcome: "stale" });
  });

  it("passes the best path, scoring the main questions", async () => {
    const attemptId = (await startOrResumeAttempt(db, staff, "test-module", now))!;
    const result = await answerAll(staff, attemptId, () => "a");
    expect(result).toMatchObject({ kind: "result", status: "passed", score: 3, answered: 3 });
    expect((await requiredModulesFor(db, staff, now))[0].status).toBe("passed");
  });

  it("asks the follow-up a wrong answer leads to without scoring it, and fails when too few are right", async () => {
    const person = asCurrentUser(council.hr, council.organisation);
    const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
    const result = await answerAll(person, attemptId, (scenarioId) => (scenarioId.endsWith("follow-up") ? "a" : "b"));
    if (result?.kind !== "result") throw new Error("expected a result");
    expect(result.answers.map((a) => [a.main, a.questionNumber])).toEqual([
      [true, 1],
      [false, 1],
      [true, 2],
      [true, 3],
    ]);
    expect(result.answers.map((a) => a.title)[1]).toBe("Follow-up");
    expect(result).toMatchObject({ status: "failed", score: 0, answered: 3, totalQuestions: 3 });
    expect(result.answers[0].bestAnswers).toEqual(["Answer a"]);
    expect((await requiredModulesFor(db, person, now))[0].status).toBe("failed");
    // A retake starts a new attempt; the failed one stays as it was.
    const retake = await startOrResumeAttempt(db, person, "test-module", now);
    expect(retake).not.toBe(attemptId);
  });

  it("keeps an attempt on the version it began with after the content changes", async () => {
    const person = asCurrentUser(
      await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id }),
      council.organisation,
    );
    const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
    const changed = {
      ...content,
      slots: content.slots.map((slot, i) =>
        i === 0
          ? { ...slot, variants: slot.variants.map((v) => ({ ...v, question: "A reworded first question?" })) }
          : slot,
      ),
    };
    const synced = await syncTrainingModules(db, [changed], new Date(now.getTime() + 1000));
    expect(synced.newVersions).toBe(1);
    const state = await attemptState(db, person, "test-module", attemptId);
    expect(state).toMatchObject({
      kind: "question",
      scenario: { question: expect.stringMatching(/^What do you do in 1\.[12]\?$/) },
    });
    const another = asCurrentUser(await aPerson(db, { organisationId: council.organisation.id }), council.organisation);
    const fresh = (await startOrResumeAttempt(db, another, "test-module", now))!;
    expect(await attemptState(db, another, "test-module", fresh)).toMatchObject({
      scenario: { question: "A reworded first question?" },
    });
    // Recording the same content again makes no new version.
    expect((await syncTrainingModules(db, [changed], now)).newVersions).toBe(0);
  });

  it("fixes the draw and the choice order at the start, shows choices in that order, and resumes the same attempt", async () => {
    const person = asCurrentUser(await aPerson(db, { organisationId: council.organisation.id }), council.organisation);
    const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
    const [row] = await db.select().from(attempts).where(eq(attempts.id, attemptId));
    expect(Object.keys(row.draw).sort()).toEqual(["s1", "s2", "s3"]);
    const state = await attemptState(db, person, "test-module", attemptId);
    if (state?.kind !== "question") throw new Error("expected a question");
    expect(state.scenario.id).toBe(row.draw.s1);
    expect(state.scenario.choices.map((c) => c.id)).toEqual(row.choiceOrder[row.draw.s1]);
    expect(state).toMatchObject({ questionNumber: 1, totalQuestions: 3, followUp: false });
    expect(await startOrResumeAttempt(db, person, "test-module", now)).toBe(attemptId);
    const again = await attemptState(db, person, "test-module", attemptId);
    expect(again).toEqual(state);
  });

  it("draws, for each slot, a variant the person has not seen, then the one seen longest ago", async () => {
    const person = asCurrentUser(await aPerson(db, { organisationId: council.organisation.id }), council.organisation);
    const draws: Record<string, string>[] = [];
    for (let i = 0; i < 3; i++) {
      const attemptId = (await startOrResumeAttempt(db, person, "test-module", new Date(now.getTime() + i * 1000)))!;
      draws.push((await db.select().from(attempts).where(eq(attempts.id, attemptId)))[0].draw);
      await answerAll(person, attemptId, () => "c");
    }
    for (const slot of ["s1", "s2", "s3"]) {
      expect(draws[1][slot]).not.toBe(draws[0][slot]);
      expect(draws[2][slot]).toBe(draws[0][slot]);
    }
  });

  it("keeps passes of earlier versions unless a new version requires a retake", async () => {
    const elsewhere = await aCouncil(db);
    const person = asCurrentUser(elsewhere.staff, elsewhere.organisation);
    const module = aModuleContent(elsewhere.organisation.slug) as unknown as TrainingModule;
    await syncTrainingModules(db, [module], now);
    const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
    await answerAll(person, attemptId, () => "a");
    const later = new Date(now.getTime() + 3600_000);
    await syncTrainingModules(db, [{ ...module, summary: "Reworded." }], later);
    expect((await requiredModulesFor(db, person, later))[0].status).toBe("passed");
    const retakeAt = new Date(now.getTime() + 7200_000);
    await syncTrainingModules(db, [{ ...module, summary: "Rewritten.", requiresRetake: true }], retakeAt);
    expect((await requiredModulesFor(db, person, later))[0].status).toBe("passed");
    expect((await requiredModulesFor(db, person, retakeAt))[0].status).toBe("not-started");
    // The status query (home page, reports) follows the same rule.
    const { personStatus } = await import("~/tracking/status.server");
    const statusAt = async (at: Date) =>
      (await personStatus(db, elsewhere.organisation.id, person.id, { now: at })).find((r) => r.kind === "module")
        ?.status;
    expect(await statusAt(later)).toBe("complete");
    expect(await statusAt(retakeAt)).not.toBe("complete");
  });

  it("keeps every answer: attempt_events refuses UPDATE, DELETE and TRUNCATE", async () => {
    expect((await db.select().from(attemptEvents)).length).toBeGreaterThan(0);
    for (const statement of [
      sql`update attempt_events set correct = not correct`,
      sql`delete from attempt_events`,
      sql`truncate attempt_events cascade`,
    ]) {
      await expect(databaseError(db.execute(statement))).resolves.toMatch(/append-only/);
    }
  });
});
