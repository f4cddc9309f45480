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

const wholeNumber = (label: string, min: number, max: number) =>
  z.coerce
    .number(`Enter ${label} as a number`)
    .int(`Enter ${label} as a whole number`)
    .min(min, `${label[0].toUpperCase()}${label.slice(1)} must be ${min} or more`)
    .max(max, `${label[0].toUpperCase()}${label.slice(1)} must be ${max} or fewer`);

/** An admin's change to one requirement's periods. */
export const requirementSchema = z.object({
  requirementId: z.string().uuid("Choose a requirement from the list"),
  dueWithinDays: wholeNumber("the days to complete it in", 0, 365),
  renewalMonths: wholeNumber("the months before it must be renewed", 1, 60),
});

/** An admin's change to the organisation's reminder settings. */
export const trackingSettingsSchema = z.object({
  dueSoonDays: wholeNumber("the days before the due date", 1, 90),
  escalationOverdueDays: wholeNumber("the days overdue", 1, 365),
});
