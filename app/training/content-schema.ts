import { z } from "zod";

/** State names the machine adds after the questions; no variant or follow-up may use them as its id. */
export const RESERVED_IDS = ["deciding", "passed", "failed"] as const;

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "Use lower-case words joined by hyphens");
/** An organisation's slug, as `npm run council:create` takes it and as its folder in content/ is named. */
export const organisationSlugSchema = z
  .string()
  .max(40, "Use at most 40 characters")
  .regex(
    /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
    "Use lower-case letters and digits, words joined by hyphens (like east-borough)",
  );
const text = z.string().regex(/\S/, "Must not be blank");
const scenarioId = slug.refine((id) => !(RESERVED_IDS as readonly string[]).includes(id), {
  message: `Must not be one of ${RESERVED_IDS.join(", ")}`,
});

export const citationSchema = z.strictObject({
  /** "<council name>: <the policy's own title>", e.g. "East Borough Council: Social Media Policy". */
  document: text,
  /** The section number as printed ("2.6", "3"), or null for an unnumbered heading. */
  section: z
    .string()
    .regex(/^\d+(\.\d+)*$/, 'Use a section number such as "2.6", or null')
    .nullable(),
  /** The heading's words exactly as the policy prints them (markdown link brackets left out). */
  heading: text,
});

const choiceFields = {
  id: slug,
  text,
  correct: z.boolean(),
  feedback: z.string().min(20, "Feedback must explain why, in a sentence or more"),
  citation: citationSchema,
};

/** A follow-up's choice: no further follow-up. */
export const followUpChoiceSchema = z.strictObject(choiceFields);

type ChoiceLike = { id: string; correct: boolean };

function checkChoices(choices: ChoiceLike[], ctx: z.RefinementCtx, exactlyOneRight: boolean) {
  const right = choices.filter((c) => c.correct).length;
  if (exactlyOneRight && right !== 1)
    ctx.addIssue({ code: "custom", path: ["choices"], message: `Needs exactly one correct choice (has ${right})` });
  if (!exactlyOneRight && right < 1)
    ctx.addIssue({ code: "custom", path: ["choices"], message: "Needs at least one correct choice" });
  const seen = new Set<string>();
  choices.forEach((choice, i) => {
    if (seen.has(choice.id))
      ctx.addIssue({ code: "custom", path: ["choices", i, "id"], message: `Choice id "${choice.id}" is used twice` });
    seen.add(choice.id);
  });
}

/** A question asked after a main choice: it teaches and never scores. */
export const followUpSchema = z
  .strictObject({
    id: scenarioId,
    title: text,
    situation: text,
    question: text,
    choices: z.array(followUpChoiceSchema).min(3, "A follow-up needs at least 3 choices"),
  })
  .superRefine((followUp, ctx) => checkChoices(followUp.choices, ctx, false));

export const mainChoiceSchema = z.strictObject({ ...choiceFields, followUp: followUpSchema.optional() });

/** One situation testing a slot's learning point: a main question, which scores. */
export const variantSchema = z
  .strictObject({
    id: scenarioId,
    title: text,
    /** What happened; paragraphs are separated by a blank line. */
    situation: text,
    question: text,
    choices: z
      .array(mainChoiceSchema)
      .min(3, "A main question needs 3 or 4 choices")
      .max(4, "A main question needs 3 or 4 choices"),
  })
  .superRefine((variant, ctx) => checkChoices(variant.choices, ctx, true));

/** A learning point, asked once per attempt through one of its variants. */
export const slotSchema = z.strictObject({
  id: slug,
  learningPoint: text,
  variants: z.array(variantSchema).min(2, "A slot needs at least 2 variants"),
});

export const moduleSchema = z
  .strictObject({
    formatVersion: z.literal(2),
    id: slug,
    /** The slug of the organisation whose content/<slug>/modules folder holds it. */
    organisation: organisationSlugSchema,
    title: text,
    summary: text,
    /** Share of main questions (one per slot) right needed to pass. */
    passMark: z.number().min(0).max(1).default(0.8),
    /** When true, publishing this version makes passes of earlier versions stop counting. */
    requiresRetake: z.boolean().optional(),
    slots: z.array(slotSchema).min(1),
  })
  .superRefine((module, ctx) => {
    const slotIds = new Set<string>();
    const ids = new Set<string>();
    const once = (id: string, path: (string | number)[]) => {
      if (ids.has(id))
        ctx.addIssue({ code: "custom", path, message: `Question id "${id}" is used twice in the module` });
      ids.add(id);
    };
    module.slots.forEach((slot, si) => {
      if (slotIds.has(slot.id))
        ctx.addIssue({ code: "custom", path: ["slots", si, "id"], message: `Slot id "${slot.id}" is used twice` });
      slotIds.add(slot.id);
      slot.variants.forEach((variant, vi) => {
        once(variant.id, ["slots", si, "variants", vi, "id"]);
        variant.choices.forEach((choice, ci) => {
          if (choice.followUp) once(choice.followUp.id, ["slots", si, "variants", vi, "choices", ci, "followUp", "id"]);
        });
      });
    });
  });

export type TrainingModule = z.infer<typeof moduleSchema>;
export type Slot = TrainingModule["slots"][number];
export type Variant = Slot["variants"][number];
export type MainChoice = Variant["choices"][number];
export type FollowUp = NonNullable<MainChoice["followUp"]>;
export type FollowUpChoice = FollowUp["choices"][number];
export type Choice = MainChoice | FollowUpChoice;
export type Citation = z.infer<typeof citationSchema>;

/** Any question of a module: a slot's variant (main, scoring) or a follow-up (teaching only). */
export type Question =
  | { kind: "main"; slotIndex: number; slot: Slot; scenario: Variant }
  | { kind: "follow-up"; slotIndex: number; slot: Slot; scenario: FollowUp; after: Variant };

/** Every question of a module by its id. */
export function questionsOf(module: TrainingModule): Map<string, Question> {
  const questions = new Map<string, Question>();
  module.slots.forEach((slot, slotIndex) =>
    slot.variants.forEach((variant) => {
      questions.set(variant.id, { kind: "main", slotIndex, slot, scenario: variant });
      for (const choice of variant.choices)
        if (choice.followUp)
          questions.set(choice.followUp.id, {
            kind: "follow-up",
            slotIndex,
            slot,
            scenario: choice.followUp,
            after: variant,
          });
    }),
  );
  return questions;
}

export type ContentProblem = { file: string; path: string; message: string };

export function formatProblem(p: ContentProblem): string {
  return `${p.file}: ${p.path || "(module)"}: ${p.message}`;
}

/** A zod issue path as JSON path text: ["slots", 3, "variants", 1, "id"] gives "slots[3].variants[1].id". */
export function pathOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

/** Validates one module's JSON. Problems name the file and the JSON path, e.g. `slots[3].variants[1].choices[0].citation.heading: Required`. */
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
