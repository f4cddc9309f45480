import { describe, expect, it } from "vitest";
import { parseModule, type TrainingModule } from "./content-schema";
import { absoluteCount, measureModule, sentencesOf, wordCount } from "./content-measures";

const citation = { document: "Test Council: Test Policy", section: "1.1", heading: "Personal use" };

/** A module of `slots` slots of two variants; `texts(slot, variant)` gives [right text, wrong text, wrong text]. */
function aModule(slots: number, texts: (slot: number, variant: number) => [string, string, string], extra = {}) {
  const parsed = parseModule(
    {
      formatVersion: 2,
      id: "measured",
      organisation: "wirral",
      title: "Measured",
      summary: "A module to measure.",
      passMark: 0.8,
      slots: Array.from({ length: slots }, (_, s) => ({
        id: `s${s}`,
        learningPoint: "A rule.",
        variants: [0, 1].map((v) => ({
          id: `s${s}-v${v}`,
          title: "A title",
          situation: "Something happened.",
          question: "What do you do?",
          choices: texts(s, v).map((text, i) => ({
            id: `c${i}`,
            text,
            correct: i === 0,
            feedback: "Because the policy says so.",
            citation,
          })),
        })),
      })),
      ...extra,
    },
    "m.json",
  );
  if (!parsed.module) throw new Error(JSON.stringify(parsed.problems));
  return parsed.module as TrainingModule;
}

// Right: neither the longest nor free of absolute words. Wrong: one longer, one short, neither absolute.
const sound: [string, string, string] = [
  "Check with your manager, as you must.",
  "Post the picture on your own page tonight.",
  "Ask a friend.",
];

describe("content measures", () => {
  it("counts absolute words and phrases, sentences and words", () => {
    expect(absoluteCount("You must never, under no circumstances, tell anyone. Always.")).toBe(4);
    expect(absoluteCount("Anyone mustard")).toBe(0);
    expect(sentencesOf("One two. Three four!\n\nFive six? seven")).toEqual([
      "One two.",
      "Three four!",
      "Five six? seven",
    ]);
    expect(wordCount("It is 9.30 - fine.")).toBe(4);
  });

  it("passes a module that gives no cue away", () => {
    const m = measureModule(aModule(5, () => sound));
    expect(m).toMatchObject({
      slots: 5,
      mainVariants: 10,
      longestRightShare: 0,
      longestLearnerBest: 0,
      fewestAbsoluteLearnerBest: 0,
      problems: [],
    });
    expect(m.maxWords).toBeLessThanOrEqual(30);
  });

  it("fails a module whose right choice is the longest in more than 40 % of main variants", () => {
    const longest: [string, string, string] = ["Check with your manager first, as you must do.", "Post it.", "Ask."];
    // 5 of 10 main variants: 50 %; the longest learner reaches 5 of 5 too.
    const m = measureModule(aModule(5, (_s, v) => (v === 0 ? longest : sound)));
    expect(m.longestRightShare).toBe(0.5);
    expect(m.problems[0]).toMatch(/longest in 50 % of main variants/);
  });

  it("fails a module where always picking the longest reaches the pass mark on some draw, counting ties as right", () => {
    const equal: [string, string, string] = ["Tell a manager, as you must.", "Post it on the page tonight.", "Ask."];
    expect(equal[0].length).toBe(equal[1].length);
    // Four of five slots have one variant where the right choice ties for longest: 4 of 10 = 40 % (allowed), but 4/5 passes.
    const m = measureModule(aModule(5, (s, v) => (s < 4 && v === 0 ? equal : sound)));
    expect(m.longestRightShare).toBe(0.4);
    expect(m.longestLearnerBest).toBe(4);
    expect(m.problems).toEqual(["A learner who always picks the longest choice can score 4 of 5 and pass"]);
    expect(measureModule(aModule(5, (s, v) => (s < 3 && v === 0 ? equal : sound))).problems).toEqual([]);
  });

  it("fails a module where always avoiding absolute words reaches the pass mark", () => {
    const absoluteWrongs: [string, string, string] = [
      "Check with your manager first.",
      "Always post the picture on your own page.",
      "Never ask.",
    ];
    const m = measureModule(aModule(5, (_s, v) => (v === 1 ? absoluteWrongs : sound)));
    expect(m.fewestAbsoluteLearnerBest).toBe(5);
    expect(m.problems).toEqual([
      "A learner who always picks the choice with the fewest absolute words can score 5 of 5 and pass",
    ]);
  });

  it("fails a sentence of more than 30 words, naming where it is", () => {
    const long = `${Array.from({ length: 31 }, () => "word").join(" ")}.`;
    const m = measureModule(aModule(5, () => sound, { summary: long }));
    expect(m.maxWords).toBe(31);
    expect(m.problems).toEqual([`summary: a sentence of 31 words (at most 30): "${long}"`]);
  });
});
