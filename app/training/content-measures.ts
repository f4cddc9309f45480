import type { TrainingModule, Variant } from "./content-schema";
import { reachesPassMark } from "./machine";

/**
 * How guessable and how readable a module is: the one home of the cue rules of the content format
 * (docs/decisions/0014). `npm run content:check` prints these and fails on any problem.
 */

/** Words that make a choice sound absolute; a learner who avoids them must not be able to pass. */
export const ABSOLUTE_WORDS = [
  "always",
  "never",
  "nothing",
  "no one",
  "nobody",
  "none",
  "every",
  "everyone",
  "all",
  "any",
  "only",
  "must",
  "no exceptions",
  "under no circumstances",
  "completely",
  "entirely",
  "immediately",
] as const;

/** The most a module may have its right choice as the longest, over its main variants. */
export const MAX_LONGEST_RIGHT_SHARE = 0.4;
/** The longest sentence allowed anywhere, in words. */
export const MAX_SENTENCE_WORDS = 30;

const absolutePatterns = ABSOLUTE_WORDS.map((w) => new RegExp(`\\b${w}\\b`, "g"));

/** How many absolute words (and phrases) a text has. */
export function absoluteCount(text: string): number {
  const lower = text.toLowerCase();
  return absolutePatterns.reduce((n, pattern) => n + (lower.match(pattern)?.length ?? 0), 0);
}

/** A text's sentences: paragraphs split on blank lines, then after ".", "!" or "?" before a capital or digit. */
export function sentencesOf(text: string): string[] {
  return text
    .split(/\n\n+/)
    .flatMap((p) => p.split(/(?<=[.!?]["”’)]?)\s+(?=["“‘(]?[A-Z0-9])/))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Words in a sentence: white-space separated pieces with a letter or digit. */
export function wordCount(sentence: string): number {
  return sentence.split(/\s+/).filter((w) => /[A-Za-z0-9]/.test(w)).length;
}

/** True when the right choice is the longest (by characters); a tie for longest that includes it counts. */
export function rightIsLongest(variant: Variant): boolean {
  const max = Math.max(...variant.choices.map((c) => c.text.length));
  return variant.choices.some((c) => c.correct && c.text.length === max);
}

/** True when the right choice has the fewest absolute words; a tie for fewest that includes it counts. */
export function rightHasFewestAbsolutes(variant: Variant): boolean {
  const min = Math.min(...variant.choices.map((c) => absoluteCount(c.text)));
  return variant.choices.some((c) => c.correct && absoluteCount(c.text) === min);
}

/**
 * The best score a learner who always follows a cue can get over every combination of drawn variants: a slot
 * counts when some variant of it gives the cue's pick as right (ties that include the right choice count).
 */
export function bestCueScore(module: TrainingModule, cueFindsRight: (variant: Variant) => boolean): number {
  return module.slots.filter((slot) => slot.variants.some(cueFindsRight)).length;
}

/** Every text a learner reads in a module, with where it is. */
export function textsOf(module: TrainingModule): { at: string; text: string }[] {
  const texts: { at: string; text: string }[] = [
    { at: "title", text: module.title },
    { at: "summary", text: module.summary },
  ];
  const scenario = (
    at: string,
    s: { title: string; situation: string; question: string; choices: { text: string; feedback: string }[] },
  ) => {
    texts.push({ at: `${at}.title`, text: s.title });
    texts.push({ at: `${at}.situation`, text: s.situation });
    texts.push({ at: `${at}.question`, text: s.question });
    s.choices.forEach((c, ci) => {
      texts.push({ at: `${at}.choices[${ci}].text`, text: c.text });
      texts.push({ at: `${at}.choices[${ci}].feedback`, text: c.feedback });
    });
  };
  module.slots.forEach((slot, si) => {
    texts.push({ at: `slots[${si}].learningPoint`, text: slot.learningPoint });
    slot.variants.forEach((v, vi) => {
      scenario(`slots[${si}].variants[${vi}]`, v);
      v.choices.forEach((c, ci) => {
        if (c.followUp) scenario(`slots[${si}].variants[${vi}].choices[${ci}].followUp`, c.followUp);
      });
    });
  });
  return texts;
}

export type ModuleMeasures = {
  slots: number;
  mainVariants: number;
  passMark: number;
  /** Share of main variants whose right choice is the longest. */
  longestRightShare: number;
  /** Best score of a learner who always picks the longest choice. */
  longestLearnerBest: number;
  /** Best score of a learner who always picks the choice with the fewest absolute words. */
  fewestAbsoluteLearnerBest: number;
  sentences: number;
  averageWords: number;
  maxWords: number;
  problems: string[];
};

/** The cue and plain-English measures of one module, and the problems they show. */
export function measureModule(module: TrainingModule): ModuleMeasures {
  const mains = module.slots.flatMap((s) => s.variants);
  const slots = module.slots.length;
  const longestRightShare = mains.filter(rightIsLongest).length / Math.max(1, mains.length);
  const longestLearnerBest = bestCueScore(module, rightIsLongest);
  const fewestAbsoluteLearnerBest = bestCueScore(module, rightHasFewestAbsolutes);
  const sentences = textsOf(module).flatMap(({ at, text }) =>
    sentencesOf(text).map((sentence) => ({ at, sentence, words: wordCount(sentence) })),
  );
  const totalWords = sentences.reduce((n, s) => n + s.words, 0);
  const problems: string[] = [];
  const percent = (x: number) => `${Math.round(x * 100)} %`;
  if (longestRightShare > MAX_LONGEST_RIGHT_SHARE)
    problems.push(
      `The right choice is the longest in ${percent(longestRightShare)} of main variants (at most ${percent(MAX_LONGEST_RIGHT_SHARE)})`,
    );
  if (reachesPassMark(longestLearnerBest, slots, module.passMark))
    problems.push(`A learner who always picks the longest choice can score ${longestLearnerBest} of ${slots} and pass`);
  if (reachesPassMark(fewestAbsoluteLearnerBest, slots, module.passMark))
    problems.push(
      `A learner who always picks the choice with the fewest absolute words can score ${fewestAbsoluteLearnerBest} of ${slots} and pass`,
    );
  for (const s of sentences)
    if (s.words > MAX_SENTENCE_WORDS)
      problems.push(`${s.at}: a sentence of ${s.words} words (at most ${MAX_SENTENCE_WORDS}): "${s.sentence}"`);
  return {
    slots,
    mainVariants: mains.length,
    passMark: module.passMark,
    longestRightShare,
    longestLearnerBest,
    fewestAbsoluteLearnerBest,
    sentences: sentences.length,
    averageWords: sentences.length ? totalWords / sentences.length : 0,
    maxWords: Math.max(0, ...sentences.map((s) => s.words)),
    problems,
  };
}

/** A measure's problem as `npm run content:check` prints it, and the admin pages show it: "<council>/<module>: <problem>". */
export function measureProblemLines(
  module: TrainingModule,
  measures: ModuleMeasures = measureModule(module),
): string[] {
  return measures.problems.map((p) => `${module.organisation}/${module.id}: ${p}`);
}
