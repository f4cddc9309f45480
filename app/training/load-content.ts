import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { formatProblem, parseModule, type ContentProblem, type TrainingModule } from "./content-schema";
import { END } from "./machine";

export const MIN_MAIN_SCENARIOS = 8;
export const MIN_BRANCHING_SHARE = 0.25;

class Problem implements ContentProblem {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly message: string,
  ) {}
  toString() {
    return formatProblem(this);
  }
}

/** Policy headings as plain text: markdown link syntax and emphasis removed, whitespace folded. */
export function normaliseHeading(text: string): string {
  return text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
}

/** The policy's heading lines: "2.4 Data Protection" gives section "2.4" and heading "data protection". */
export function policyHeadings(policyText: string): { section: string | null; heading: string }[] {
  return policyText
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && line.length < 160)
    .map((line) => {
      const match = /^(\d+(?:\.\d+)*)\.?\s+(.*)$/.exec(line);
      return match ? { section: match[1], heading: normaliseHeading(match[2]) } : { section: null, heading: normaliseHeading(line) };
    });
}

/** Cross-checks one module: links, reachability, size, branching, and that every citation names a real heading. */
export function checkModule(module: TrainingModule, file: string, policyText: string | null): Problem[] {
  const problems: Problem[] = [];
  const ids = new Set(module.scenarios.map((s) => s.id));
  if (ids.size !== module.scenarios.length) problems.push(new Problem(file, "scenarios", "Scenario ids must be unique"));
  if (!ids.has(module.startScenario)) problems.push(new Problem(file, "startScenario", `No scenario "${module.startScenario}"`));
  const headings = policyText ? policyHeadings(policyText) : [];
  module.scenarios.forEach((scenario, si) => {
    scenario.choices.forEach((choice, ci) => {
      const at = `scenarios[${si}].choices[${ci}]`;
      if (choice.next !== END && !ids.has(choice.next)) problems.push(new Problem(file, `${at}.next`, `No scenario "${choice.next}"`));
      if (choice.next === scenario.id) problems.push(new Problem(file, `${at}.next`, "A choice cannot lead back to its own scenario"));
      if (policyText) {
        const heading = normaliseHeading(choice.citation.heading);
        const found = headings.some((h) => h.heading === heading && (choice.citation.section === null || h.section === choice.citation.section));
        if (!found) {
          problems.push(
            new Problem(file, `${at}.citation`, `"${choice.citation.section ? `${choice.citation.section} ` : ""}${choice.citation.heading}" is not a heading of this council's policy`),
          );
        }
      }
    });
  });
  // Every scenario reachable from the start, and every path ends (no cycles).
  const reachable = new Set<string>();
  const visit = (id: string, trail: string[]) => {
    if (trail.includes(id)) {
      problems.push(new Problem(file, "scenarios", `A path loops: ${[...trail, id].join(" → ")}`));
      return;
    }
    const scenario = module.scenarios.find((s) => s.id === id);
    if (!scenario) return;
    const firstVisit = !reachable.has(id);
    reachable.add(id);
    if (!firstVisit) return;
    for (const next of new Set(scenario.choices.map((c) => c.next))) if (next !== END) visit(next, [...trail, id]);
  };
  visit(module.startScenario, []);
  module.scenarios.forEach((s, i) => {
    if (!reachable.has(s.id)) problems.push(new Problem(file, `scenarios[${i}]`, `Scenario "${s.id}" cannot be reached`));
  });
  const main = module.scenarios.filter((s) => s.kind === "main");
  if (main.length < MIN_MAIN_SCENARIOS) problems.push(new Problem(file, "scenarios", `Has ${main.length} main scenarios; at least ${MIN_MAIN_SCENARIOS} are needed`));
  const branching = main.filter((s) => new Set(s.choices.map((c) => c.next)).size > 1).length;
  if (main.length > 0 && branching / main.length < MIN_BRANCHING_SHARE) {
    problems.push(new Problem(file, "scenarios", `${branching} of ${main.length} main scenarios branch; at least a quarter must`));
  }
  return problems;
}

/** Reads, validates and cross-checks every module under content/<organisation>/modules. */
export async function loadModules(contentDir = "content"): Promise<{ modules: TrainingModule[]; problems: ContentProblem[] }> {
  const modules: TrainingModule[] = [];
  const problems: ContentProblem[] = [];
  for (const organisation of readdirSync(contentDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const dir = join(contentDir, organisation, "modules");
    if (!existsSync(dir)) continue;
    const policyFile = join(contentDir, organisation, "policy.txt");
    const policyText = existsSync(policyFile) ? readFileSync(policyFile, "utf8") : null;
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const file = join(dir, name);
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, "utf8"));
      } catch (error) {
        problems.push(new Problem(file, "", `Not valid JSON: ${(error as Error).message}`));
        continue;
      }
      const parsed = parseModule(json, file);
      if (!parsed.module) {
        problems.push(...parsed.problems.map((p) => new Problem(p.file, p.path, p.message)));
        continue;
      }
      const module = parsed.module;
      if (module.organisation !== organisation) problems.push(new Problem(file, "organisation", `Must be "${organisation}", the folder it is in`));
      if (`${module.id}.json` !== name) problems.push(new Problem(file, "id", `Must be "${name.replace(/\.json$/, "")}", the file's name`));
      if (!policyText) problems.push(new Problem(file, "", `No policy text at ${policyFile} to check citations against`));
      const found = checkModule(module, file, policyText);
      problems.push(...found);
      if (found.length === 0) modules.push(module);
    }
  }
  return { modules, problems };
}
