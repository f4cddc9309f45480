import { formatProblem } from "../app/training/content-schema";
import { loadModules } from "../app/training/load-content";

// `npm run content:check [-- <content dir>]`: every problem in the training content with its file and
// JSON path (exit 1), or a one-line summary per council (exit 0).
const contentDir = process.argv[2] ?? "content";
const { modules, problems } = await loadModules(contentDir);
if (problems.length > 0) {
  for (const problem of problems) console.error(formatProblem(problem));
  console.error(`${problems.length} problem(s) in the training content.`);
  process.exit(1);
}
const byCouncil = new Map<string, { modules: number; scenarios: number; choices: number }>();
for (const m of modules) {
  const entry = byCouncil.get(m.organisation) ?? { modules: 0, scenarios: 0, choices: 0 };
  entry.modules++;
  entry.scenarios += m.scenarios.length;
  entry.choices += m.scenarios.reduce((n, s) => n + s.choices.length, 0);
  byCouncil.set(m.organisation, entry);
}
console.log(
  `Training content is valid: ${[...byCouncil].map(([org, e]) => `${org} ${e.modules} modules, ${e.scenarios} scenarios, ${e.choices} choices`).join("; ") || "no modules"}.`,
);
