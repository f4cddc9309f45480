import { z } from "zod";
import type { ReminderRhythm } from "~db/schema";
import { dateParam, optionalDateField } from "~/lib/date-fields";
import { EXEMPTION_REASONS } from "./statuses";

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

/** The reminder rhythms an admin can choose, in the order the form offers them (the database enum's values). */
export const REMINDER_RHYTHMS = ["daily", "weekly"] as const satisfies readonly ReminderRhythm[];
export const REMINDER_RHYTHM_LABELS: Record<ReminderRhythm, { label: string; hint: string }> = {
  daily: { label: "Every day", hint: "From when something is due soon until it is done" },
  weekly: {
    label: "Every day while due soon, then once a week once overdue",
    hint: "Someone overdue gets one reminder when they become overdue, then one a week until it is done",
  },
};

/** An admin's change to the organisation's reminder settings. */
export const trackingSettingsSchema = z.object({
  dueSoonDays: wholeNumber("the days before the due date", 1, 90),
  escalationOverdueDays: wholeNumber("the days overdue", 1, 365),
  reminderRhythm: z.enum(REMINDER_RHYTHMS, "Choose how often to remind people who are overdue"),
});

export const EXEMPTION_TEXT_MAX = 500;

/** Whom the requirement select means by "all": an exemption from every requirement. */
export const ALL_REQUIREMENTS = "all";

/**
 * An exemption as HR records it (or corrects one: `replacesId`). Dates are the GOV.UK date input's fields,
 * read with optionalDateField; the end date may be left empty (no end yet).
 */
export const exemptionSchema = z
  .object({
    replacesId: z.string().uuid("Choose an exemption from the list").optional(),
    requirementId: z.union(
      [z.literal(ALL_REQUIREMENTS), z.string().uuid()],
      "Choose which requirement the exemption is from",
    ),
    reason: z.enum(EXEMPTION_REASONS, "Choose a reason for the exemption"),
    reasonText: z
      .string()
      .trim()
      .max(EXEMPTION_TEXT_MAX, `The reason must be ${EXEMPTION_TEXT_MAX} characters or fewer`)
      .optional()
      .transform((v) => (v ? v : undefined)),
    startsOn: optionalDateField("The first day of the exemption"),
    endsOn: optionalDateField("The last day of the exemption"),
    approvedBy: z
      .string()
      .trim()
      .min(1, "Enter who approved the exemption")
      .max(200, "Who approved it must be 200 characters or fewer"),
  })
  .superRefine((value, ctx) => {
    if (!value.startsOn)
      ctx.addIssue({ code: "custom", path: ["startsOn"], message: "Enter the first day of the exemption" });
    if (value.reason === "other" && !value.reasonText)
      ctx.addIssue({ code: "custom", path: ["reasonText"], message: "Enter the reason for the exemption" });
    if (value.startsOn && value.endsOn && value.endsOn < value.startsOn)
      ctx.addIssue({
        code: "custom",
        path: ["endsOn"],
        message: "The last day of the exemption must be the same as or after its first day",
      });
  });
export type ExemptionInput = z.output<typeof exemptionSchema>;

/** Ending an exemption: its last day. */
export const endExemptionSchema = z.object({
  exemptionId: z.string().uuid("Choose an exemption from the list"),
  endsOn: optionalDateField("The last day of the exemption"),
});

export const EARLIER_TRAINING_TEXT_MAX = 500;

/** Training completed elsewhere, as HR records it (the evidence file is checked by the server). */
export const earlierTrainingSchema = z.object({
  requirementId: z.string().uuid("Choose which training module it counts for"),
  completedOn: optionalDateField("The day it was completed"),
  description: z
    .string()
    .trim()
    .min(1, "Enter what the training was and where it was done")
    .max(EARLIER_TRAINING_TEXT_MAX, `The description must be ${EARLIER_TRAINING_TEXT_MAX} characters or fewer`),
});

/** A posted form's text fields, with each named date input's three fields read as one value (optionalDateField). */
export function formWithDates(form: FormData, dates: readonly string[]): Record<string, unknown> {
  const params = new URLSearchParams();
  for (const [key, value] of form.entries()) if (typeof value === "string") params.append(key, value);
  const values: Record<string, unknown> = Object.fromEntries(params);
  for (const name of dates) values[name] = dateParam(params, name);
  return values;
}
