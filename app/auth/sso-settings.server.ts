import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { FieldErrors } from "~/components/form-errors";
import type { Config } from "~/config.server";
import type { Db } from "~db/client.server";
import { identityProviders, organisations } from "~db/schema";
import { entraIssuer, type ProviderSettings } from "./sso-forms";

export type IdentityProvider = typeof identityProviders.$inferSelect;

/** AES-256-GCM under SSO_SECRET_KEY: `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export function encryptSecret(key: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

export function decryptSecret(key: Buffer, stored: string): string {
  const [version, iv, tag, body] = stored.split(".");
  if (version !== "v1" || !iv || !tag || body === undefined) throw new Error("Unreadable stored client secret");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}

/** A plain-http issuer is allowed only for a provider on this machine, and never in production. */
export function isLoopbackTestIssuer(issuer: string, config: Pick<Config, "isProduction">): boolean {
  if (config.isProduction || !URL.canParse(issuer)) return false;
  const url = new URL(issuer);
  return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

export class ProviderSecretError extends Error {}

/** The client secret, from the environment variable named or decrypted; never logged, never sent to a page. */
export function clientSecretOf(
  provider: IdentityProvider,
  config: Pick<Config, "ssoSecretKey">,
  env: Record<string, string | undefined> = process.env,
): string {
  if (provider.clientSecretEnv) {
    const value = env[provider.clientSecretEnv];
    if (!value) throw new ProviderSecretError(`The environment variable ${provider.clientSecretEnv} is not set`);
    return value;
  }
  if (!config.ssoSecretKey) throw new ProviderSecretError("SSO_SECRET_KEY is not set");
  return decryptSecret(config.ssoSecretKey, provider.clientSecretEncrypted!);
}

export async function providerOf(db: Db, organisationId: string): Promise<IdentityProvider | null> {
  const [row] = await db.select().from(identityProviders).where(eq(identityProviders.organisationId, organisationId));
  return row ?? null;
}

/** The council whose provider vouches for addresses at this domain, if one does. */
export async function providerForEmail(db: Db, email: string) {
  const domain = email.trim().toLowerCase().split("@").at(-1) ?? "";
  if (!domain || !email.includes("@")) return null;
  const [row] = await db
    .select({ provider: identityProviders, slug: organisations.slug, organisationName: organisations.name })
    .from(identityProviders)
    .innerJoin(organisations, eq(organisations.id, identityProviders.organisationId))
    .where(sql`${domain} = any(${identityProviders.emailDomains})`)
    .limit(1);
  return row ?? null;
}

export async function providerBySlug(db: Db, slug: string) {
  const [row] = await db
    .select({ provider: identityProviders, slug: organisations.slug, organisationName: organisations.name })
    .from(identityProviders)
    .innerJoin(organisations, eq(organisations.id, identityProviders.organisationId))
    .where(eq(organisations.slug, slug));
  return row ?? null;
}

/** Whether this person may sign in with a password: always where the council allows it, and admins always (break-glass). */
export function passwordSignInAllowed(
  provider: Pick<IdentityProvider, "passwordSignIn"> | null,
  role: string,
): boolean {
  return !provider || provider.passwordSignIn || role === "admin";
}

export type ConfigureResult = { ok: true; provider: IdentityProvider } | { ok: false; errors: FieldErrors };

/**
 * Sets a council's provider (an admin's page or the command line): the secret is stored encrypted, or only the
 * name of the environment variable that holds it. Leaving both empty keeps the secret already stored. Audited.
 */
export async function configureProvider(
  db: Db,
  config: Pick<Config, "isProduction" | "ssoSecretKey">,
  organisationId: string,
  input: ProviderSettings,
  actorUserId: string | null,
  request: RequestInfo & { now: Date },
): Promise<ConfigureResult> {
  let issuer = input.issuer;
  if (input.kind === "entra") {
    const pinned = entraIssuer(input.tenantId);
    // The loopback test provider stands in for Entra in tests; anywhere else the issuer is the tenant's own.
    if (issuer === "" || !isLoopbackTestIssuer(issuer, config)) issuer = pinned;
  } else {
    const url = new URL(issuer);
    if (url.protocol !== "https:" && !isLoopbackTestIssuer(issuer, config))
      return { ok: false, errors: { issuer: "The issuer must be an https address" } };
  }
  if (input.kind === "google" && issuer !== "https://accounts.google.com" && !isLoopbackTestIssuer(issuer, config))
    return { ok: false, errors: { issuer: "Google's issuer is https://accounts.google.com" } };
  const existing = await providerOf(db, organisationId);
  let secret: { clientSecretEnv: string | null; clientSecretEncrypted: string | null };
  if (input.clientSecret !== "" && input.clientSecretEnv !== "") {
    return { ok: false, errors: { clientSecret: "Give the client secret or the name of its variable, not both" } };
  } else if (input.clientSecret !== "") {
    if (!config.ssoSecretKey)
      return {
        ok: false,
        errors: { clientSecret: "Set SSO_SECRET_KEY to store a secret, or name the variable that holds it" },
      };
    secret = { clientSecretEnv: null, clientSecretEncrypted: encryptSecret(config.ssoSecretKey, input.clientSecret) };
  } else if (input.clientSecretEnv !== "") {
    secret = { clientSecretEnv: input.clientSecretEnv, clientSecretEncrypted: null };
  } else if (existing) {
    secret = { clientSecretEnv: existing.clientSecretEnv, clientSecretEncrypted: existing.clientSecretEncrypted };
  } else {
    return {
      ok: false,
      errors: { clientSecret: "Enter the client secret, or the name of the variable that holds it" },
    };
  }
  const values = {
    kind: input.kind,
    displayName: input.displayName,
    issuer,
    tenantId: input.kind === "entra" ? input.tenantId.toLowerCase() : null,
    clientId: input.clientId,
    ...secret,
    emailDomains: input.emailDomains,
    passwordSignIn: input.passwordSignIn === "yes",
    provesFreshAuth: input.kind !== "google" && input.provesFreshAuth === "yes",
    updatedAt: request.now,
  };
  const provider = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(identityProviders)
      .values({ organisationId, ...values })
      .onConflictDoUpdate({ target: identityProviders.organisationId, set: values })
      .returning();
    await writeAudit(
      tx,
      {
        action: existing ? "sso.provider-changed" : "sso.provider-added",
        organisationId,
        actorUserId,
        subjectType: "identity-provider",
        subjectId: organisationId,
        details: {
          kind: values.kind,
          issuer,
          clientId: values.clientId,
          emailDomains: values.emailDomains,
          passwordSignIn: values.passwordSignIn,
          provesFreshAuth: values.provesFreshAuth,
          secret:
            input.clientSecret !== ""
              ? "stored encrypted"
              : input.clientSecretEnv !== ""
                ? `from ${input.clientSecretEnv}`
                : "unchanged",
        },
      },
      request,
    );
    return row;
  });
  return { ok: true, provider };
}
