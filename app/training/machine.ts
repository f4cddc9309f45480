import { createHash } from "node:crypto";
import { assign, initialTransition, setup, transition } from "xstate";
import { canonicalJson } from "../lib/canonical-json";
import type { TrainingModule } from "./content-schema";

/** Which variant each slot asks in one attempt: slot id -> variant id. */
export type Draw = Record<string, string>;
/** The order an attempt shows each question's choices in: question id -> choice ids. */
export type ChoiceOrder = Record<string, string[]>;
/** What an attempt is fixed to at its start, and stored with it, so a resume is the same attempt. */
export type AttemptInput = { draw: Draw; order: ChoiceOrder };

/** One answer on the path; `main` answers score, follow-ups (main false) teach and do not. */
export type PathEntry = { scenarioId: string; choiceId: string; correct: boolean; main: boolean };
export type QuizContext = AttemptInput & {
  /** Main questions answered right. */
  score: number;
  /** Main questions answered. */
  answered: number;
  path: PathEntry[];
};
export type AnswerEvent = { type: "answer.chosen"; scenarioId: string; choiceId: string };
/** What is stored: plain JSON, restored with machine.resolveState. */
export type PersistedAttempt = { value: string; context: QuizContext };

/** The transient state between the last answer and the result. */
const DECIDING = "deciding";
/** The transient state that enters a slot's drawn variant. Colons never occur in content ids (slugs). */
const slotState = (slotId: string) => `slot:${slotId}`;

/**
 * True when the share of main questions answered right reaches the pass mark. Division, not multiplication:
 * `score / questions` is the double nearest the true ratio, as the pass mark literal is the double nearest its
 * decimal, so 4 of 5 meets 0.8 and 7 of 10 meets 0.7 exactly (7 * 0.1 would not).
 */
export function reachesPassMark(score: number, questions: number, passMark: number): boolean {
  return questions > 0 && score / questions >= passMark;
}

/** The fewest right main answers that pass, by reachesPassMark itself (so pages say what the machine decides). */
export function questionsToPass(questions: number, passMark: number): number {
  for (let n = 0; n <= questions; n++) if (reachesPassMark(n, questions, passMark)) return n;
  return questions;
}

/**
 * Compiles a module into one machine for every attempt at it. The attempt's draw and choice order are its
 * input, kept in its context. Each slot has a transient state that enters the variant the draw names; each
 * variant and follow-up is a state with a transition per choice, guarded by the question and choice it names (so
 * an answer to any other question, or to no real choice, is not taken). A main choice with a follow-up leads to
 * it; every other answer leads to the next slot, and after the last slot a transient decision leads to `passed`
 * or `failed`. Main answers score; follow-ups are recorded on the path and never score.
 */
export function createModuleMachine(module: TrainingModule) {
  const states: Record<string, object> = {};
  const questions = module.slots.length;
  module.slots.forEach((slot, i) => {
    const next = i + 1 < module.slots.length ? slotState(module.slots[i + 1].id) : DECIDING;
    states[slotState(slot.id)] = {
      always: slot.variants.map((variant) => ({
        guard: { type: "isDrawn", params: { slotId: slot.id, variantId: variant.id } },
        target: variant.id,
      })),
    };
    for (const variant of slot.variants) {
      states[variant.id] = {
        on: {
          "answer.chosen": variant.choices.map((choice) => ({
            guard: { type: "isChoice", params: { scenarioId: variant.id, choiceId: choice.id } },
            target: choice.followUp ? choice.followUp.id : next,
            actions: {
              type: "recordAnswer",
              params: { scenarioId: variant.id, choiceId: choice.id, correct: choice.correct, main: true },
            },
          })),
        },
      };
      for (const choice of variant.choices) {
        const followUp = choice.followUp;
        if (!followUp) continue;
        states[followUp.id] = {
          on: {
            "answer.chosen": followUp.choices.map((c) => ({
              guard: { type: "isChoice", params: { scenarioId: followUp.id, choiceId: c.id } },
              target: next,
              actions: {
                type: "recordAnswer",
                params: { scenarioId: followUp.id, choiceId: c.id, correct: c.correct, main: false },
              },
            })),
          },
        };
      }
    }
  });
  states[DECIDING] = { always: [{ guard: "reachedPassMark", target: "passed" }, { target: "failed" }] };
  states.passed = { type: "final" };
  states.failed = { type: "final" };

  return setup({
    types: {
      context: {} as QuizContext,
      events: {} as AnswerEvent,
      input: {} as AttemptInput,
    },
    guards: {
      isDrawn: ({ context }, params: { slotId: string; variantId: string }) =>
        context.draw[params.slotId] === params.variantId,
      isChoice: ({ event }, params: { scenarioId: string; choiceId: string }) =>
        event.type === "answer.chosen" && event.scenarioId === params.scenarioId && event.choiceId === params.choiceId,
      reachedPassMark: ({ context }) => reachesPassMark(context.score, questions, module.passMark),
    },
    actions: {
      recordAnswer: assign(({ context }, params: PathEntry) => ({
        score: context.score + (params.main && params.correct ? 1 : 0),
        answered: context.answered + (params.main ? 1 : 0),
        path: [...context.path, { ...params }],
      })),
    },
  }).createMachine({
    id: module.id,
    initial: slotState(module.slots[0].id),
    context: ({ input }) => ({ draw: input.draw, order: input.order, score: 0, answered: 0, path: [] }),
    // Built from data, so typed loosely here; the content schema and the path tests check the shape.
    states: states as never,
  });
}

export type ModuleMachine = ReturnType<typeof createModuleMachine>;

function persist(snapshot: { value: unknown; context: QuizContext }): PersistedAttempt {
  return { value: String(snapshot.value), context: snapshot.context };
}

/**
 * True when the input fits the module: every slot drawn to one of its own variants, and an order for each
 * question the draw can ask that is a permutation of its choices.
 */
export function fitsModule(module: TrainingModule, input: AttemptInput): boolean {
  const samePermutation = (ids: string[] | undefined, choices: { id: string }[]) =>
    Array.isArray(ids) &&
    ids.length === choices.length &&
    [...ids].sort().join("\n") ===
      choices
        .map((c) => c.id)
        .sort()
        .join("\n");
  return module.slots.every((slot) => {
    const variant = slot.variants.find((v) => v.id === input.draw[slot.id]);
    if (!variant || !samePermutation(input.order[variant.id], variant.choices)) return false;
    return variant.choices.every((c) => !c.followUp || samePermutation(input.order[c.followUp.id], c.followUp.choices));
  });
}

/** The first snapshot of a new attempt with this draw and choice order, computed with no actor. */
export function startAttempt(machine: ModuleMachine, input: AttemptInput): PersistedAttempt {
  const [snapshot] = initialTransition(machine, input);
  return persist(snapshot);
}

/** Every state of the machine that asks a question (a variant or a follow-up). */
function isQuestionState(machine: ModuleMachine, value: string): boolean {
  return (
    Object.hasOwn(machine.states, value) &&
    value !== DECIDING &&
    !value.startsWith("slot:") &&
    value !== "passed" &&
    value !== "failed"
  );
}

/**
 * Recomputes one step from a stored snapshot, with no actor and no timers. An event the current state
 * does not take (another question's, a replay, an unknown choice, anything after the end, or a stored
 * snapshot that is not a question of this machine) changes nothing: `accepted` is false and the same
 * snapshot comes back.
 */
export function answer(
  machine: ModuleMachine,
  persisted: PersistedAttempt,
  event: AnswerEvent,
): { accepted: boolean; snapshot: PersistedAttempt } {
  const refused = { accepted: false, snapshot: persisted };
  if (typeof persisted.value !== "string" || !isQuestionState(machine, persisted.value)) return refused;
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
