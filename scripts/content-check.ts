import { formatProblem } from "../app/training/content-schema";
import { measureModule, measureProblemLines } from "../app/training/content-measures";
import { loadModules } from "../app/training/load-content";

// `npm run content:check [-- <content dir>]`: every module validated (schema, citations) and measured for cues and
// plain English (app/training/content-measures.ts). Prints a table of the measures and every problem with its file;
// exits 1 when there is any problem.
const contentDir = process.argv[2] ?? "content";
const { modules, problems } = await loadModules(contentDir);
for (const problem of problems) console.error(formatProblem(problem));

const rows = modules.map((m) => ({ module: m, name: `${m.organisation}/${m.id}`, measures: measureModule(m) }));
const header = [
  "module",
  "slots",
  "variants",
  "longest right",
  "longest learner",
  "fewest-absolute learner",
  "pass needs",
  "sentences",
  "avg words",
  "max words",
];
const table = rows.map(({ name, measures: x }) => [
  name,
  String(x.slots),
  String(x.mainVariants),
  `${Math.round(x.longestRightShare * 100)} %`,
  `${x.longestLearnerBest}/${x.slots}`,
  `${x.fewestAbsoluteLearnerBest}/${x.slots}`,
  `${Math.round(x.passMark * 100)} %`,
  String(x.sentences),
  x.averageWords.toFixed(1),
  String(x.maxWords),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(line(header));
for (const r of table) console.log(line(r));

let count = problems.length;
for (const { module, measures } of rows) {
  for (const line of measureProblemLines(module, measures)) console.error(line);
  count += measures.problems.length;
}
if (count > 0) {
  console.error(`${count} problem(s) in the training content.`);
  process.exit(1);
}
console.log(`Training content is valid: ${modules.length} modules, no problems.`);
