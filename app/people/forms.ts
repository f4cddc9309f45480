import { z } from "zod";

export const TEAM_NAME_MAX = 100;

/** A team's name, as an admin types it: spaces at either end dropped, runs of spaces made one. */
export const teamNameSchema = z.object({
  name: z
    .string("Enter the team's name")
    .transform((v) => v.trim().replace(/\s+/g, " "))
    .pipe(
      z
        .string()
        .min(1, "Enter the team's name")
        .max(TEAM_NAME_MAX, `The team's name must be ${TEAM_NAME_MAX} characters or fewer`),
    ),
});

const id = (message: string) => z.string(message).uuid(message);

/** Closing a team; `moveTo` is needed only while people are in it. */
export const closeTeamSchema = z.object({
  moveTo: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined))
    .pipe(id("Choose the team to move its people to").optional()),
});

export const championSchema = z.object({ teamId: id("Choose a team") });

export const moveSchema = z.object({ teamId: id("Choose the team to move them to") });

export const ROLE_CHOICES = [
  { value: "staff", label: "Staff", hint: "Takes the training and signs the code of conduct" },
  { value: "hr", label: "HR officer", hint: "Also sees the council's report, evidence and exports" },
  { value: "admin", label: "Administrator", hint: "Also runs teams, champions, people and settings" },
] as const;

export const roleSchema = z.object({ role: z.enum(["staff", "hr", "admin"], "Choose a role") });

/** An admin sets a person's e-mail address, or empties the field to remove it (decision 0025). */
export const emailSchema = z.object({
  email: z
    .string()
    .trim()
    .max(254, "The email address must be 254 characters or fewer")
    .transform((v) => (v === "" ? null : v))
    .pipe(z.email("Enter an email address in the correct format, like name@example.gov.uk").nullable()),
});

export const SEARCH_MAX = 200;

/** A person search: whatever the admin typed, bounded. */
export const searchSchema = z.object({
  q: z
    .string()
    .max(SEARCH_MAX)
    .catch("")
    .transform((v) => v.trim()),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});
