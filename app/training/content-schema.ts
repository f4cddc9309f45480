import { z } from "zod";

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "Use lower-case words joined by hyphens");

export const citationSchema = z.object({
  document: z.string().min(1),
  section: z.string().regex(/^\d+(\.\d+)*$/).nullable(),
  heading: z.string().min(1),
});

export const choiceSchema = z.object({
  id: slug,
  text: z.string().min(1),
  correct: z.boolean(),
  feedback: z.string().min(20, "Feedback must explain why, in a sentence or more"),
  citation: citationSchema,
  next: z.string().min(1),
});

export const scenarioSchema = z
  .object({
    id: slug,
    kind: z.enum(["main", "follow-up"]),
    title: z.string().min(1),
    situation: z.string().min(1),
    question: z.string().min(1),
    choices: z.array(choiceSchema).min(3, "A scenario needs at least 3 choices"),
  })
  .refine((s) => s.choices.some((c) => c.correct), { message: "A scenario needs at least one correct choice", path: ["choices"] })
  .refine((s) => new Set(s.choices.map((c) => c.id)).size === s.choices.length, { message: "Choice ids must be unique", path: ["choices"] });

export const moduleSchema = z.object({
  id: slug,
  organisation: z.enum(["hertfordshire", "wirral"]),
  title: z.string().min(1),
  summary: z.string().min(1),
  passMark: z.number().min(0).max(1).default(0.8),
  startScenario: z.string().min(1),
  scenarios: z.array(scenarioSchema).min(1),
});

export type TrainingModule = z.infer<typeof moduleSchema>;
export type Scenario = TrainingModule["scenarios"][number];
export type Choice = Scenario["choices"][number];
export type Citation = z.infer<typeof citationSchema>;

export type ContentProblem = { file: string; path: string; message: string };

export function formatProblem(p: ContentProblem): string {
  return `${p.file}: ${p.path || "(module)"}: ${p.message}`;
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

export function parseModule(json: unknown, file: string): { module: TrainingModule; problems: [] } | { module: null; problems: ContentProblem[] } {
  const parsed = moduleSchema.safeParse(json);
  if (parsed.success) return { module: parsed.data, problems: [] };
  return { module: null, problems: parsed.error.issues.map((issue) => ({ file, path: pathOf(issue.path), message: issue.message })) };
}
