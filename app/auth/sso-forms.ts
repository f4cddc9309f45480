import { z } from "zod";

// The provider settings form, shared by the admin page (browser and server) and the command line.

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]{0,99}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const PROVIDER_KINDS = [
  { value: "entra", text: "Microsoft Entra ID" },
  { value: "google", text: "Google Workspace" },
  { value: "oidc", text: "Another OpenID Connect provider" },
] as const;

export const providerSettingsSchema = z
  .object({
    kind: z.enum(["entra", "google", "oidc"], { error: "Select the kind of provider" }),
    displayName: z
      .string()
      .trim()
      .min(1, "Enter the provider's name as staff know it, like Microsoft")
      .max(60, "The provider's name must be 60 characters or fewer"),
    issuer: z.string().trim().max(500, "The issuer must be 500 characters or fewer").default(""),
    tenantId: z.string().trim().max(100).default(""),
    clientId: z.string().trim().min(1, "Enter the client ID").max(500, "The client ID must be 500 characters or fewer"),
    clientSecret: z.string().max(2000, "The client secret must be 2,000 characters or fewer").default(""),
    clientSecretEnv: z.string().trim().max(100).default(""),
    emailDomains: z
      .string()
      .trim()
      .min(1, "Enter the email domains your staff's addresses end with")
      .max(2000)
      .transform((v) => [
        ...new Set(
          v
            .toLowerCase()
            .split(/[\s,]+/)
            .filter(Boolean),
        ),
      ]),
    passwordSignIn: z.enum(["yes", "no"], { error: "Select whether staff may still sign in with a password" }),
    provesFreshAuth: z.enum(["yes", "no"]).default("no"),
  })
  .superRefine((v, ctx) => {
    const bad = v.emailDomains.find((d) => !DOMAIN.test(d));
    if (bad)
      ctx.addIssue({ code: "custom", path: ["emailDomains"], message: `${bad} is not a domain like council.gov.uk` });
    if (v.kind === "entra" && !GUID.test(v.tenantId))
      ctx.addIssue({
        code: "custom",
        path: ["tenantId"],
        message: "Enter your Entra tenant ID, like 72f988bf-86f1-41af-91ab-2d7cd011db47",
      });
    if (v.kind !== "entra" && !URL.canParse(v.issuer))
      ctx.addIssue({ code: "custom", path: ["issuer"], message: "Enter the issuer, like https://accounts.google.com" });
    if (v.kind === "google" && v.provesFreshAuth === "yes")
      ctx.addIssue({
        code: "custom",
        path: ["provesFreshAuth"],
        message: "Google does not send auth_time: staff without a password sign with a signing passphrase",
      });
    if (v.clientSecretEnv !== "" && !ENV_NAME.test(v.clientSecretEnv))
      ctx.addIssue({
        code: "custom",
        path: ["clientSecretEnv"],
        message: "Enter a variable name like SSO_WIRRAL_SECRET",
      });
  });
export type ProviderSettingsInput = z.input<typeof providerSettingsSchema>;
export type ProviderSettings = z.output<typeof providerSettingsSchema>;

/** Entra's issuer for one tenant: the only issuer accepted for that council (never the multi-tenant template). */
export function entraIssuer(tenantId: string): string {
  return `https://login.microsoftonline.com/${tenantId.toLowerCase()}/v2.0`;
}

export const signingPassphraseSchema = z
  .object({
    passphrase: z
      .string()
      .min(12, "Your signing passphrase must be 12 characters or more")
      .max(200, "Your signing passphrase must be 200 characters or fewer"),
    confirmPassphrase: z.string().min(1, "Enter your signing passphrase again"),
  })
  .refine((v) => v.passphrase === v.confirmPassphrase, {
    path: ["confirmPassphrase"],
    message: "The passphrases do not match",
  });

export const SSO_REFUSALS = [
  "no-transaction",
  "provider-down",
  "refused",
  "wrong-tenant",
  "unknown-person",
  "deactivated",
  "email-not-vouched",
  "outside-domains",
  "linked-to-another",
  "wrong-person",
  "no-auth-time",
  "stale-auth-time",
] as const;
export type SsoRefusal = (typeof SSO_REFUSALS)[number];

/** What the refusal page says for each reason a provider's sign-in was refused (the audit entry has the detail). */
export const MESSAGES: Record<SsoRefusal, string> = {
  "no-transaction":
    "This sign-in did not start here, or took more than 10 minutes. Nothing has been changed. Start again.",
  "provider-down":
    "Your council's sign-in is not answering just now. Nothing has been changed. Try again in a few minutes.",
  refused: "Your council's sign-in did not confirm who you are. Nothing has been changed. Start again.",
  "wrong-tenant": "That account belongs to another organisation's directory. Sign in with your council account.",
  "unknown-person":
    "There is no account for you in this service. Ask your HR team or administrator to add you, then try again.",
  deactivated: "Your account in this service has been closed. Ask your administrator if you think this is wrong.",
  "email-not-vouched":
    "Your council's sign-in did not confirm your email address, so we cannot match you to your account. Ask your administrator.",
  "outside-domains": "That email address is not one of your council's. Sign in with your council account.",
  "linked-to-another":
    "Your account in this service is already linked to a different council sign-in. Ask your administrator.",
  "wrong-person":
    "You confirmed who you are as a different person from the one signed in here. Nothing has been signed.",
  "no-auth-time":
    "Your council's sign-in did not say when you signed in, so it cannot confirm you before signing. Sign with your signing passphrase instead.",
  "stale-auth-time":
    "Your council's sign-in did not ask you to sign in again just now. Nothing has been signed. Try again.",
};
