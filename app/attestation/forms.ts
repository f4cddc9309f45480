import { z } from "zod";

// Shared by the browser and the server (not a .server module, so the browser bundle has it too).

/** The declarations a person ticks; the exact text shown is stored in their record. */
export const DECLARATIONS = [
  { name: "declarationRead", text: "I have read and understood this code of conduct." },
  {
    name: "declarationFollow",
    text: "I will follow this code of conduct in my personal and professional use of social media.",
  },
  {
    name: "declarationConsequences",
    text: "I understand that a breach of this code of conduct may lead to disciplinary action and may be reported to my professional regulator.",
  },
] as const;
export const DECLARATION_TEXT = DECLARATIONS.map((d) => d.text).join("\n");

const tick = (message: string) => z.literal("yes", { error: message });
export const signSchema = z.object({
  policyVersionId: z.string().uuid("This version of the code of conduct cannot be signed"),
  declarationRead: tick("Confirm that you have read and understood the code of conduct"),
  declarationFollow: tick("Confirm that you will follow the code of conduct"),
  declarationConsequences: tick("Confirm that you understand what a breach may lead to"),
  typedName: z.string().trim().min(1, "Enter your full name").max(200, "Your name must be 200 characters or fewer"),
  // A password or signing passphrase, or empty when the council's provider re-authenticated the person (decision
  // 0022): signCodeOfConduct says which is needed, and asks for it when it is missing.
  password: z.string().max(1000, "Password must be 1,000 characters or fewer").default(""),
});
export type SignInput = z.infer<typeof signSchema>;

export const withdrawSchema = z.object({
  reference: z.string().trim().min(1, "Enter the record's reference").max(40),
  reason: z
    .string()
    .trim()
    .min(10, "Give the reason for withdrawing the record, in a sentence or more")
    .max(2000, "The reason must be 2,000 characters or fewer"),
});

/** A record's reference and hash, as /verify takes them: whoever holds them may have the council's checkpoint. */
export const recordHolderSchema = z.object({
  reference: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .transform((r) => r.toUpperCase()),
  hash: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F]{64}$/)
    .transform((h) => h.toLowerCase()),
});

const treeSize = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** A consistency proof asked for by a record's holder: from the tree of `from` records to that of `to` (or the latest). */
export const consistencyQuerySchema = recordHolderSchema.extend({ from: treeSize, to: treeSize.optional() });
