import { z } from "zod";

export const NUDGE_MESSAGE_MAX = 500;

/** The nudge form, shared by the browser (react-hook-form) and the server. */
export const nudgeSchema = z.object({
  target: z.enum(["person", "everyone"], "Choose who to nudge"),
  personId: z.string().max(40).optional(),
  message: z
    .string()
    .trim()
    .max(NUDGE_MESSAGE_MAX, `Your message must be ${NUDGE_MESSAGE_MAX} characters or fewer`)
    .optional()
    .transform((v) => (v ? v : undefined)),
});
