import type { z } from "zod";

export type FieldErrors = Record<string, string | undefined>;

/** Field messages from a failed zod parse, first message per field. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const result: FieldErrors = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    result[field] ??= issue.message;
  }
  return result;
}
