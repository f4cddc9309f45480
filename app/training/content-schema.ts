import { z } from "zod";

/** The literal a choice's `next` uses to finish the module. */
export const END = "end";
/** State names the machine adds after the scenarios; no scenario may use them (or END) as its id. */
export const RESERVED_IDS = [END, "deciding", "passed", "failed"] as const;

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "Use lower-case words joined by hyphens");
const text = z.string().regex(/\S/, "Must not be blank");

export const citationSchema = z.strictObject({
  /** The policy's own title, e.g. "Hertfordshire County Council: Social Media Policy". */
  document: text,
  /** The section number as printed ("2.6", "3"), or null for an unnumbered heading. */
  section: z
    .string()
    .regex(/^\d+(\.\d+)*$/, 'Use a section number such as "2.6", or null')
    .nullable(),
  /** The heading's words exactly as the policy prints them (markdown link brackets left out). */
  heading: text,
});

export const choiceSchema = z.strictObject({
  id: slug,
  text,
  correct: z.boolean(),
  feedback: z.string().min(20, "Feedback must explain why, in a sentence or more"),
  citation: citationSchema,
  /** Another scenario's id, or "end". */
  next: slug,
});

export const scenarioSchema = z
  .strictObject({
    id: slug.refine((id) => !(RESERVED_IDS as readonly string[]).includes(id), {
      message: `Must not be one of ${RESERVED_IDS.join(", ")}`,
    }),
    kind: z.enum(["main", "follow-up"]),
    title: text,
    /** What happened; paragraphs are separated by a blank line. */
    situation: text,
    question: text,
    choices: z.array(choiceSchema).min(3, "A scenario needs at least 3 choices"),
  })
  .superRefine((scenario, ctx) => {
    if (!scenario.choices.some((c) => c.correct))
      ctx.addIssue({ code: "custom", path: ["choices"], message: "A scenario needs at least one correct choice" });
    const seen = new Set<string>();
    scenario.choices.forEach((choice, i) => {
      if (seen.has(choice.id))
        ctx.addIssue({ code: "custom", path: ["choices", i, "id"], message: `Choice id "${choice.id}" is used twice` });
      seen.add(choice.id);
      if (choice.next === scenario.id)
        ctx.addIssue({
          code: "custom",
          path: ["choices", i, "next"],
          message: "A choice cannot lead back to its own scenario",
        });
    });
  });

export const moduleSchema = z
  .strictObject({
    id: slug,
    organisation: z.enum(["hertfordshire", "wirral"]),
    title: text,
    summary: text,
    passMark: z.number().min(0).max(1).default(0.8),
    startScenario: slug,
    scenarios: z.array(scenarioSchema).min(1),
  })
  .superRefine((module, ctx) => {
    const ids = new Set<string>();
    module.scenarios.forEach((s, i) => {
      if (ids.has(s.id))
        ctx.addIssue({ code: "custom", path: ["scenarios", i, "id"], message: `Scenario id "${s.id}" is used twice` });
      ids.add(s.id);
    });
    if (!ids.has(module.startScenario))
      ctx.addIssue({ code: "custom", path: ["startScenario"], message: `No scenario "${module.startScenario}"` });
    module.scenarios.forEach((s, si) =>
      s.choices.forEach((c, ci) => {
        if (c.next !== END && !ids.has(c.next))
          ctx.addIssue({
            code: "custom",
            path: ["scenarios", si, "choices", ci, "next"],
            message: `No scenario "${c.next}"`,
          });
      }),
    );
  });

export type TrainingModule = z.infer<typeof moduleSchema>;
export type Scenario = TrainingModule["scenarios"][number];
export type Choice = Scenario["choices"][number];
export type Citation = z.infer<typeof citationSchema>;

export type ContentProblem = { file: string; path: string; message: string };

export function formatProblem(p: ContentProblem): string {
  return `${p.file}: ${p.path || "(module)"}: ${p.message}`;
}

/** A zod issue path as JSON path text: ["scenarios", 3, "choices", 1, "id"] gives "scenarios[3].choices[1].id". */
export function pathOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

/** Validates one module's JSON. Problems name the file and the JSON path, e.g. `scenarios[3].choices[1].citation.heading: Required`. */
export function parseModule(
  json: unknown,
  file: string,
): { module: TrainingModule; problems: [] } | { module: null; problems: ContentProblem[] } {
  const parsed = moduleSchema.safeParse(json, {
    // A missing member reads "Required" rather than zod's "expected string, received undefined".
    error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "Required" : undefined),
  });
  if (parsed.success) return { module: parsed.data, problems: [] };
  return {
    module: null,
    problems: parsed.error.issues.map((issue) => ({ file, path: pathOf(issue.path), message: issue.message })),
  };
}
