import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatProblem, parseModule, type Choice, type ContentProblem, type TrainingModule } from "./content-schema";

/** Slots a module needs at the least: with fewer, a pass mark says little. */
export const MIN_SLOTS = 3;

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

/** Every choice of a module (main and follow-up) with its JSON path. */
export function choicesWithPaths(module: TrainingModule): { at: string; choice: Choice }[] {
  const found: { at: string; choice: Choice }[] = [];
  module.slots.forEach((slot, si) =>
    slot.variants.forEach((variant, vi) =>
      variant.choices.forEach((choice, ci) => {
        const at = `slots[${si}].variants[${vi}].choices[${ci}]`;
        found.push({ at, choice });
        choice.followUp?.choices.forEach((c, fi) => found.push({ at: `${at}.followUp.choices[${fi}]`, choice: c }));
      }),
    ),
  );
  return found;
}

/**
 * Cross-checks one parsed module beyond its schema: its size, and (given the council's policy text) that every
 * citation names that policy and one of its real headings.
 */
export function checkModule(
  module: TrainingModule,
  file: string,
  policyText: string | null,
  expectedDocument?: string,
): Problem[] {
  const problems: Problem[] = [];
  if (module.slots.length < MIN_SLOTS)
    problems.push(new Problem(file, "slots", `Has ${module.slots.length} slots; at least ${MIN_SLOTS} are needed`));
  const headings = policyText ? policyHeadings(policyText) : [];
  for (const { at, choice } of choicesWithPaths(module)) {
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

/** What a module is checked against: the council it belongs to and the text of its code of conduct. */
export type ModuleCouncil = {
  slug: string;
  /** Why the module's organisation must be that slug: ", the folder it is in". */
  slugReason: string;
  /** The council's name, which starts every citation's document; null when unknown (citations' document unchecked). */
  name: string | null;
  policyText: string | null;
  /** The problem to report when there is no policy text to check citations against. */
  noPolicy: string;
};

/**
 * The one check of one module's JSON text, for `npm run content:check` and the admin pages alike: valid JSON,
 * the schema, the council it names, its id (when the file's name fixes it), its size and its citations. Every
 * problem names the file and the JSON path.
 */
export function checkModuleText(
  text: string,
  file: string,
  council: ModuleCouncil,
  expectedId?: string,
): { module: TrainingModule | null; problems: ContentProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { module: null, problems: [new Problem(file, "", `Not valid JSON: ${(error as Error).message}`)] };
  }
  const parsed = parseModule(json, file);
  if (!parsed.module)
    return { module: null, problems: parsed.problems.map((p) => new Problem(p.file, p.path, p.message)) };
  const module = parsed.module;
  const found: Problem[] = [];
  if (module.organisation !== council.slug)
    found.push(new Problem(file, "organisation", `Must be "${council.slug}"${council.slugReason}`));
  if (expectedId !== undefined && module.id !== expectedId)
    found.push(new Problem(file, "id", `Must be "${expectedId}", the file's name`));
  if (!council.policyText) found.push(new Problem(file, "", council.noPolicy));
  const expectedDocument =
    council.policyText && council.name ? citationDocument(council.name, council.policyText) : undefined;
  found.push(...checkModule(module, file, council.policyText, expectedDocument));
  return found.length === 0 ? { module, problems: [] } : { module: null, problems: found };
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
    const council: ModuleCouncil = {
      slug: organisation,
      slugReason: ", the folder it is in",
      name: readOrganisationName(join(contentDir, organisation)),
      policyText: existsSync(policyFile) ? readFileSync(policyFile, "utf8") : null,
      noPolicy: `No policy text at ${policyFile} to check citations against`,
    };
    for (const name of readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()) {
      const file = join(dir, name);
      const checked = checkModuleText(readFileSync(file, "utf8"), file, council, name.replace(/\.json$/, ""));
      problems.push(...checked.problems);
      if (checked.module) modules.push(checked.module);
    }
  }
  return { modules, problems };
}
