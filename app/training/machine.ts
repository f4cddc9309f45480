import { createHash } from "node:crypto";
import { assign, initialTransition, setup, transition } from "xstate";
import { canonicalJson } from "~/lib/canonical-json";
import type { TrainingModule } from "./content-schema";

export type PathEntry = { scenarioId: string; choiceId: string; correct: boolean };
export type QuizContext = { score: number; answered: number; path: PathEntry[] };
export type AnswerEvent = { type: "answer.chosen"; scenarioId: string; choiceId: string };
/** What is stored: plain JSON, restored with machine.resolveState. */
export type PersistedAttempt = { value: string; context: QuizContext };

export const END = "end";

/**
 * One machine factory: a state per scenario, a transition per choice (guarded by the scenario and
 * choice it names, so an answer to any other question is simply not taken), then `passed` or `failed`.
 * The score counts answers right first time; each scenario is visited at most once on a path.
 */
export function createModuleMachine(module: TrainingModule) {
  const passPercent = Math.round(module.passMark * 100);
  const states: Record<string, object> = {};
  for (const scenario of module.scenarios) {
    states[scenario.id] = {
      on: {
        "answer.chosen": scenario.choices.map((choice) => ({
          guard: { type: "isChoice", params: { scenarioId: scenario.id, choiceId: choice.id } },
          target: choice.next === END ? "deciding" : choice.next,
          actions: { type: "recordAnswer", params: { scenarioId: scenario.id, choiceId: choice.id, correct: choice.correct } },
        })),
      },
    };
  }
  states.deciding = { always: [{ guard: "reachedPassMark", target: "passed" }, { target: "failed" }] };
  states.passed = { type: "final" };
  states.failed = { type: "final" };

  return setup({
    types: { context: {} as QuizContext, events: {} as AnswerEvent },
    guards: {
      isChoice: ({ event }, params: { scenarioId: string; choiceId: string }) =>
        event.scenarioId === params.scenarioId && event.choiceId === params.choiceId,
      // Whole numbers, so 4 of 5 at an 80 % pass mark passes with no rounding surprise.
      reachedPassMark: ({ context }) => context.answered > 0 && context.score * 100 >= passPercent * context.answered,
    },
    actions: {
      recordAnswer: assign(({ context }, params: PathEntry) => ({
        score: context.score + (params.correct ? 1 : 0),
        answered: context.answered + 1,
        path: [...context.path, params],
      })),
    },
  }).createMachine({
    id: module.id,
    initial: module.startScenario,
    context: { score: 0, answered: 0, path: [] },
    // The states are built from data; their shape is checked by the content schema and the path tests.
    states: states as never,
  });
}

export type ModuleMachine = ReturnType<typeof createModuleMachine>;

function persist(snapshot: { value: unknown; context: QuizContext }): PersistedAttempt {
  return { value: String(snapshot.value), context: snapshot.context };
}

/** The first snapshot of a new attempt. */
export function startAttempt(machine: ModuleMachine): PersistedAttempt {
  const [snapshot] = initialTransition(machine);
  return persist(snapshot);
}

/** Recomputes one step from a stored snapshot, with no actor and no timers. An event the current state does not take changes nothing. */
export function answer(machine: ModuleMachine, persisted: PersistedAttempt, event: AnswerEvent): { accepted: boolean; snapshot: PersistedAttempt } {
  const state = machine.resolveState({ value: persisted.value, context: persisted.context });
  if (state.status !== "active" || !state.can(event)) return { accepted: false, snapshot: persisted };
  const [next] = transition(machine, state, event);
  return { accepted: true, snapshot: persist(next) };
}

/** A module version's identity: sha256 over its canonical JSON (sorted keys), so formatting changes make no new version. */
export function moduleContentHash(module: TrainingModule): string {
  return createHash("sha256").update(canonicalJson(module)).digest("hex");
}
