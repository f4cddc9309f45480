import { questionsOf, type Question, type TrainingModule } from "./content-schema";
import { newAttemptInput } from "./draw";
import {
  answer,
  createModuleMachine,
  fitsModule,
  questionsToPass,
  startAttempt,
  type AttemptInput,
  type PersistedAttempt,
} from "./machine";

/**
 * An admin takes an uploaded module as staff would, and nothing is recorded: the draw, the choice order and the
 * answers so far travel in the address (`?s=`), and each page replays them through the same machine staff
 * attempts run on. A page is a GET, so a preview writes no row and needs no form token.
 */
type PreviewState = { input: AttemptInput; answers: string[] };

const encode = (state: PreviewState) => Buffer.from(JSON.stringify(state), "utf8").toString("base64url");

function decode(value: string): PreviewState | null {
  try {
    const state = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as PreviewState;
    const isStrings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === "string");
    if (
      typeof state?.input?.draw !== "object" ||
      typeof state.input.order !== "object" ||
      !isStrings(state.answers) ||
      state.answers.length > 1000
    )
      return null;
    return state;
  } catch {
    return null;
  }
}

/** The first address of a new preview: a draw and choice order made as for a person's first attempt. */
export function newPreview(module: TrainingModule): string {
  return encode({ input: newAttemptInput(module, []), answers: [] });
}

function replay(module: TrainingModule, state: PreviewState): PersistedAttempt | null {
  if (!fitsModule(module, state.input)) return null;
  const machine = createModuleMachine(module);
  let snapshot = startAttempt(machine, state.input);
  for (const choiceId of state.answers) {
    const step = answer(machine, snapshot, { type: "answer.chosen", scenarioId: snapshot.value, choiceId });
    if (!step.accepted) return null;
    snapshot = step.snapshot;
  }
  return snapshot;
}

const rightAnswers = (question: Question) => question.scenario.choices.filter((c) => c.correct).map((c) => c.text);

/**
 * One page of a preview: the question now asked, the feedback on the answer just chosen, or the result. An
 * address that does not replay (edited, or from an earlier upload) is `invalid`; an answer that is not one of the
 * question's choices comes back as the question with `unanswered`.
 */
export function previewPage(module: TrainingModule, s: string, choiceId?: string) {
  const state = decode(s);
  const snapshot = state ? replay(module, state) : null;
  if (!state || !snapshot) return { kind: "invalid" as const };
  const questions = questionsOf(module);
  const totalQuestions = module.slots.length;
  const value = snapshot.value;
  if (value === "passed" || value === "failed") {
    return {
      kind: "result" as const,
      passed: value === "passed",
      score: snapshot.context.score,
      totalQuestions,
      toPass: questionsToPass(totalQuestions, module.passMark),
      answers: snapshot.context.path.map((entry) => {
        const question = questions.get(entry.scenarioId)!;
        const choice = question.scenario.choices.find((c) => c.id === entry.choiceId)!;
        return {
          questionNumber: question.slotIndex + 1,
          followUp: !entry.main,
          title: question.scenario.title,
          question: question.scenario.question,
          answer: choice.text,
          correct: entry.correct,
          feedback: choice.feedback,
          citation: choice.citation,
          bestAnswers: entry.correct ? [] : rightAnswers(question),
        };
      }),
    };
  }
  const question = questions.get(value)!;
  const chosen = choiceId ? question.scenario.choices.find((c) => c.id === choiceId) : undefined;
  if (chosen) {
    const next = encode({ ...state, answers: [...state.answers, chosen.id] });
    const after = replay(module, { ...state, answers: [...state.answers, chosen.id] })!;
    return {
      kind: "feedback" as const,
      next,
      finished: after.value === "passed" || after.value === "failed",
      questionNumber: question.slotIndex + 1,
      followUp: question.kind === "follow-up",
      totalQuestions,
      question: question.scenario.question,
      answer: chosen.text,
      correct: chosen.correct,
      feedback: chosen.feedback,
      citation: chosen.citation,
      bestAnswers: chosen.correct ? [] : rightAnswers(question),
    };
  }
  const byId = new Map(question.scenario.choices.map((c) => [c.id, c]));
  return {
    kind: "question" as const,
    s,
    unanswered: choiceId !== undefined,
    questionNumber: question.slotIndex + 1,
    followUp: question.kind === "follow-up",
    totalQuestions,
    scenario: {
      id: question.scenario.id,
      title: question.scenario.title,
      situation: question.scenario.situation,
      question: question.scenario.question,
      choices: (state.input.order[question.scenario.id] ?? []).map((id) => ({ id, text: byId.get(id)!.text })),
    },
  };
}
