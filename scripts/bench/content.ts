import { measureModule } from "~/training/content-measures";
import { loadModules } from "~/training/load-content";
import { writeSection } from "./lib";

/**
 * `npm run bench -- content`: per module, what `npm run content:check` measures of its cues and plain English
 * (app/training/content-measures.ts, the rules' one home), written to docs/benchmarks.md. A measure of the text,
 * so it needs no machine line: the same content gives the same figures anywhere.
 */
export async function benchContent() {
  const { modules, problems } = await loadModules("content");
  if (problems.length > 0) throw new Error(`The content has problems: run npm run content:check`);
  const percent = (x: number) => `${Math.round(x * 100)} %`;
  const rows = modules.map((module) => {
    const m = measureModule(module);
    return `| ${module.organisation} ${module.id} | ${m.slots} | ${m.mainVariants} | ${percent(m.longestRightShare)} | ${m.longestLearnerBest} of ${m.slots} | ${m.fewestAbsoluteLearnerBest} of ${m.slots} | ${Math.ceil(m.passMark * m.slots - 1e-9)} of ${m.slots} | ${m.sentences} | ${m.averageWords.toFixed(1)} | ${m.maxWords} |`;
  });
  writeSection(
    "content",
    `## Training content: cues and plain English

Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- content\` (scripts/bench/content.ts), from the same
measures as \`npm run content:check\`. A cue-only learner's best is over every combination of drawn variants, a tie
for the cue that includes the right choice counted as right. Before format 2 (issue 16's count of the format 1
modules): the right answer was the longest choice in 63 of 71 scenarios, and always picking the longest passed four
of the five modules (90 %, 100 %, 100 %, 100 %); feedback averaged 15–16 words a sentence, the longest 44.

| module | questions (slots) | main variants | right choice longest | always-longest learner's best | fewest-absolute-words learner's best | pass needs | sentences | average words | longest sentence |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}`,
  );
  console.error(`Measured ${modules.length} modules.`);
}
