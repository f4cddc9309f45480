import { createHash } from "node:crypto";
import { assign, initialTransition, setup, transition } from "xstate";
import { canonicalJson } from "../lib/canonical-json";
import { END, type TrainingModule } from "./content-schema";

export { END };

export type PathEntry = { scenarioId: string; choiceId: string; correct: boolean };
export type QuizContext = { score: number; answered: number; path: PathEntry[] };
export type AnswerEvent = { type: "answer.chosen"; scenarioId: string; choiceId: string };
/** What is stored: plain JSON, restored with machine.resolveState. */
export type PersistedAttempt = { value: string; context: QuizContext };

/** The transient state between the last answer and the result. */
const DECIDING = "deciding";

/**
 * True when the share of questions answered right first time reaches the pass mark. Division, not
 * multiplication: `score / answered` is the double nearest the true ratio, as the pass mark literal is
 * the double nearest its decimal, so 4 of 5 meets 0.8 and 7 of 10 meets 0.7 exactly (7 * 0.1 would not).
 */
export function reachesPassMark(score: number, answered: number, passMark: number): boolean {
  return answered > 0 && score / answered >= passMark;
}

/**
 * Compiles a module into a machine: a state per scenario, a transition per choice (guarded by the
 * scenario and choice it names, so an answer to any other question, or to no real choice, is not taken),
 * then a transient decision into the final states `passed` or `failed`. The score counts answers right
 * first time; each scenario is visited at most once on a path, so score / answered is the share.
 */
export function createModuleMachine(module: TrainingModule) {
  const states: Record<string, object> = {};
  for (const scenario of module.scenarios) {
    states[scenario.id] = {
      on: {
        "answer.chosen": scenario.choices.map((choice) => ({
          guard: { type: "isChoice", params: { scenarioId: scenario.id, choiceId: choice.id } },
          target: choice.next === END ? DECIDING : choice.next,
          actions: {
            type: "recordAnswer",
            params: { scenarioId: scenario.id, choiceId: choice.id, correct: choice.correct },
          },
        })),
      },
    };
  }
  states[DECIDING] = { always: [{ guard: "reachedPassMark", target: "passed" }, { target: "failed" }] };
  states.passed = { type: "final" };
  states.failed = { type: "final" };

  return setup({
    types: { context: {} as QuizContext, events: {} as AnswerEvent },
    guards: {
      isChoice: ({ event }, params: { scenarioId: string; choiceId: string }) =>
        event.type === "answer.chosen" && event.scenarioId === params.scenarioId && event.choiceId === params.choiceId,
      reachedPassMark: ({ context }) => reachesPassMark(context.score, context.answered, module.passMark),
    },
    actions: {
      recordAnswer: assign(({ context }, params: PathEntry) => ({
        score: context.score + (params.correct ? 1 : 0),
        answered: context.answered + 1,
        path: [...context.path, { scenarioId: params.scenarioId, choiceId: params.choiceId, correct: params.correct }],
      })),
    },
  }).createMachine({
    id: module.id,
    initial: module.startScenario,
    context: { score: 0, answered: 0, path: [] },
    // Built from data, so typed loosely here; the content schema, load-content's checks and the path tests check the shape.
    states: states as never,
  });
}

export type ModuleMachine = ReturnType<typeof createModuleMachine>;

function persist(snapshot: { value: unknown; context: QuizContext }): PersistedAttempt {
  return { value: String(snapshot.value), context: snapshot.context };
}

/** The first snapshot of a new attempt, computed with no actor. */
export function startAttempt(machine: ModuleMachine): PersistedAttempt {
  const [snapshot] = initialTransition(machine);
  return persist(snapshot);
}

/**
 * Recomputes one step from a stored snapshot, with no actor and no timers. An event the current state
 * does not take (another scenario's, a replay, an unknown choice, anything after the end, or a stored
 * snapshot that is not a state of this machine) changes nothing: `accepted` is false and the same
 * snapshot comes back.
 */
export function answer(
  machine: ModuleMachine,
  persisted: PersistedAttempt,
  event: AnswerEvent,
): { accepted: boolean; snapshot: PersistedAttempt } {
  const refused = { accepted: false, snapshot: persisted };
  if (
    typeof persisted.value !== "string" ||
    !Object.hasOwn(machine.states, persisted.value) ||
    persisted.value === DECIDING
  )
    return refused;
  let state;
  try {
    state = machine.resolveState({ value: persisted.value, context: persisted.context });
  } catch {
    return refused;
  }
  if (state.status !== "active" || !state.can(event)) return refused;
  const [next] = transition(machine, state, event);
  return { accepted: true, snapshot: persist(next) };
}

/** A module version's identity: sha256 (hex) over its canonical JSON (sorted keys), so key order and formatting make no new version. */
export function moduleContentHash(module: TrainingModule): string {
  return createHash("sha256").update(canonicalJson(module)).digest("hex");
}
