import { z } from "zod";

/** The range of the retention period an admin may set, in whole months. */
export const RETENTION_MONTHS_MIN = 1;
export const RETENTION_MONTHS_MAX = 120;

export const RETENTION_CHOICES = ["keep", "delete"] as const;

const monthsSchema = z
  .string()
  .trim()
  .min(1, "Enter the number of months")
  // Digits, as a person writes a number of months: Number() alone would also read "1e2" or "0x10".
  .regex(/^\d+(?:\.\d+)?$/, "Enter the number of months as a number")
  .transform(Number)
  .pipe(
    z
      .number("Enter the number of months as a number")
      .int("Enter the number of months as a whole number")
      .min(RETENTION_MONTHS_MIN, `The number of months must be ${RETENTION_MONTHS_MIN} or more`)
      .max(RETENTION_MONTHS_MAX, `The number of months must be ${RETENTION_MONTHS_MAX} or fewer`),
  );

/**
 * An admin's retention setting (docs/decisions/0021, "Retention"): keep evidence of people who have left, or delete
 * it a whole number of months after they leave. The months are read only when "delete" is chosen.
 */
export const retentionSchema = z
  .object({
    retention: z.enum(RETENTION_CHOICES, "Choose whether to keep evidence of people who have left"),
    months: z.string().optional(),
  })
  .transform((form, ctx) => {
    if (form.retention === "keep") return { months: null };
    const months = monthsSchema.safeParse(form.months ?? "");
    if (months.success) return { months: months.data };
    ctx.addIssue({ code: "custom", path: ["months"], message: months.error.issues[0].message });
    return z.NEVER;
  });

/** The address each day's signed checkpoint of the council's ledger is e-mailed to; empty: none. */
export const witnessSchema = z.object({
  email: z
    .string()
    .trim()
    .max(320, "The email address must be 320 characters or fewer")
    .transform((email) => (email === "" ? null : email.toLowerCase()))
    .pipe(z.email("Enter an email address in the correct format, like audit@example.gov.uk").nullable()),
});
