import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { END, formatProblem, parseModule, type ContentProblem, type TrainingModule } from "./content-schema";

export const MIN_MAIN_SCENARIOS = 8;
export const MIN_CHOICES = 3;
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

/**
 * Heading text as plain words: markdown link syntax `[text](#)`, escapes `\(` and emphasis removed,
 * white space folded. Case and wording are kept, so a wrong word still fails to match.
 */
export function normaliseHeading(text: string): string {
  return text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\\([()[\]*_])/g, "$1")
    .replace(/[*`]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The policy's heading lines: short lines that are not list items and do not end like a sentence or a
 * lead-in (".", ";", ":", ","). "2.4 Data Protection" gives section "2.4" and heading "Data Protection";
 * "Working from Home/Remote Working" gives section null.
 */
export function policyHeadings(policyText: string): { section: string | null; heading: string }[] {
  return policyText
    .split(/\r?\n/)
    .map((line) => normaliseHeading(line))
    .filter((line) => line.length > 0 && line.length <= 120 && !/^[-•*>]/.test(line) && !/[.;:,]$/.test(line))
    .map((line) => {
      const match = /^(\d+(?:\.\d+)*)\.?\s+(.*)$/.exec(line);
      return match ? { section: match[1], heading: match[2] } : { section: null, heading: line };
    });
}

/** The policy's title: its first non-blank line. */
export function policyTitle(policyText: string): string {
  return normaliseHeading(policyText.split(/\r?\n/).find((line) => line.trim().length > 0) ?? "");
}

/** The `document` every citation of a council's module must carry: "<council name>: <policy title>". */
export function citationDocument(organisationName: string, policyText: string): string {
  return `${organisationName}: ${policyTitle(policyText)}`;
}

/** True when the policy has this heading with this number (or, for section null, as an unnumbered heading). */
export function hasHeading(
  headings: { section: string | null; heading: string }[],
  section: string | null,
  heading: string,
): boolean {
  const wanted = normaliseHeading(heading);
  return headings.some((h) => h.heading === wanted && h.section === section);
}

/**
 * Cross-checks one parsed module: links, reachability, no loops, size, branching, and (given the
 * council's policy text) that every citation names that policy and one of its real headings.
 */
export function checkModule(
  module: TrainingModule,
  file: string,
  policyText: string | null,
  expectedDocument?: string,
): Problem[] {
  const problems: Problem[] = [];
  const ids = new Set(module.scenarios.map((s) => s.id));
  if (ids.size !== module.scenarios.length)
    problems.push(new Problem(file, "scenarios", "Scenario ids must be unique"));
  if (!ids.has(module.startScenario))
    problems.push(new Problem(file, "startScenario", `No scenario "${module.startScenario}"`));
  const headings = policyText ? policyHeadings(policyText) : [];
  module.scenarios.forEach((scenario, si) => {
    if (scenario.choices.length < MIN_CHOICES)
      problems.push(
        new Problem(
          file,
          `scenarios[${si}].choices`,
          `Has ${scenario.choices.length} choices; at least ${MIN_CHOICES} are needed`,
        ),
      );
    scenario.choices.forEach((choice, ci) => {
      const at = `scenarios[${si}].choices[${ci}]`;
      if (choice.next !== END && !ids.has(choice.next))
        problems.push(new Problem(file, `${at}.next`, `No scenario "${choice.next}"`));
      if (choice.next === scenario.id)
        problems.push(new Problem(file, `${at}.next`, "A choice cannot lead back to its own scenario"));
      if (expectedDocument !== undefined && choice.citation.document !== expectedDocument) {
        problems.push(new Problem(file, `${at}.citation.document`, `Must be "${expectedDocument}"`));
      }
      if (policyText && !hasHeading(headings, choice.citation.section, choice.citation.heading)) {
        const cited = `${choice.citation.section ? `${choice.citation.section} ` : ""}${choice.citation.heading}`;
        problems.push(
          new Problem(
            file,
            `${at}.citation.heading`,
            `"${cited}" is not a ${choice.citation.section ? "numbered" : "unnumbered"} heading of this council's policy`,
          ),
        );
      }
    });
  });
  // Every scenario reachable from the start, and every path ends (no loops).
  const byId = new Map(module.scenarios.map((s) => [s.id, s]));
  const reachable = new Set<string>();
  const onTrail = new Set<string>();
  const loops: string[] = [];
  const visit = (id: string, trail: string[]) => {
    if (onTrail.has(id)) {
      loops.push([...trail, id].join(" → "));
      return;
    }
    if (reachable.has(id)) return;
    const scenario = byId.get(id);
    if (!scenario) return;
    reachable.add(id);
    onTrail.add(id);
    for (const next of new Set(scenario.choices.map((c) => c.next))) if (next !== END) visit(next, [...trail, id]);
    onTrail.delete(id);
  };
  visit(module.startScenario, []);
  for (const loop of loops) problems.push(new Problem(file, "scenarios", `A path loops and never ends: ${loop}`));
  module.scenarios.forEach((s, i) => {
    if (!reachable.has(s.id))
      problems.push(
        new Problem(file, `scenarios[${i}]`, `Scenario "${s.id}" cannot be reached from "${module.startScenario}"`),
      );
  });
  const main = module.scenarios.filter((s) => s.kind === "main");
  if (main.length < MIN_MAIN_SCENARIOS)
    problems.push(
      new Problem(file, "scenarios", `Has ${main.length} main scenarios; at least ${MIN_MAIN_SCENARIOS} are needed`),
    );
  const branching = main.filter((s) => new Set(s.choices.map((c) => c.next)).size > 1).length;
  if (main.length > 0 && branching / main.length < MIN_BRANCHING_SHARE) {
    problems.push(
      new Problem(file, "scenarios", `${branching} of ${main.length} main scenarios branch; at least a quarter must`),
    );
  }
  return problems;
}

function readOrganisationName(dir: string): string | null {
  const file = join(dir, "organisation.json");
  if (!existsSync(file)) return null;
  try {
    const name = (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name;
    return typeof name === "string" ? name : null;
  } catch {
    return null;
  }
}

/** Reads, validates and cross-checks every module under <contentDir>/<organisation>/modules/*.json. */
export async function loadModules(
  contentDir = "content",
): Promise<{ modules: TrainingModule[]; problems: ContentProblem[] }> {
  const modules: TrainingModule[] = [];
  const problems: ContentProblem[] = [];
  const organisations = readdirSync(contentDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const organisation of organisations) {
    const dir = join(contentDir, organisation, "modules");
    if (!existsSync(dir)) continue;
    const policyFile = join(contentDir, organisation, "policy.txt");
    const policyText = existsSync(policyFile) ? readFileSync(policyFile, "utf8") : null;
    const organisationName = readOrganisationName(join(contentDir, organisation));
    const expectedDocument =
      policyText && organisationName ? citationDocument(organisationName, policyText) : undefined;
    for (const name of readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()) {
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
      const found: Problem[] = [];
      if (module.organisation !== organisation)
        found.push(new Problem(file, "organisation", `Must be "${organisation}", the folder it is in`));
      if (`${module.id}.json` !== name)
        found.push(new Problem(file, "id", `Must be "${name.replace(/\.json$/, "")}", the file's name`));
      if (!policyText) found.push(new Problem(file, "", `No policy text at ${policyFile} to check citations against`));
      found.push(...checkModule(module, file, policyText, expectedDocument));
      problems.push(...found);
      if (found.length === 0) modules.push(module);
    }
  }
  return { modules, problems };
}
