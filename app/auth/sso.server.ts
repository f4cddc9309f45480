import { and, eq, sql } from "drizzle-orm";
import * as oidc from "openid-client";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { Config } from "~/config.server";
import type { Db } from "~db/client.server";
import { sessions, userIdentities, users } from "~db/schema";
import { createSession, revokeAllSessions, type SessionPolicy } from "./session.server";
import type { SsoRefusal } from "./sso-forms";
import { clientSecretOf, isLoopbackTestIssuer, type IdentityProvider } from "./sso-settings.server";

/** The ID token's auth_time must be at most this old when the callback arrives (and not ahead of our clock by more than the skew). */
export const FRESH_AUTH_SECONDS = 300;
const CLOCK_SKEW_SECONDS = 60;
const DISCOVERY_TIMEOUT_SECONDS = 10;

/** What the browser carries, signed, from the start of a sign-in to its callback (the `sso` cookie, 10 minutes). */
export type SsoTransaction = {
  state: string;
  nonce: string;
  verifier: string;
  organisationId: string;
  purpose: "sign-in" | "reauth";
  returnTo: string;
  /** For "reauth": the session it was started from, which the callback must still be. */
  sessionId: string | null;
};

const configurations = new Map<string, Promise<oidc.Configuration>>();

/** The provider's metadata and keys (discovered once per setting and cached; a failed discovery is tried again next time). */
export function providerConfiguration(
  provider: IdentityProvider,
  config: Pick<Config, "isProduction" | "ssoSecretKey">,
): Promise<oidc.Configuration> {
  const key = `${provider.organisationId}:${provider.updatedAt.getTime()}`;
  let found = configurations.get(key);
  if (!found) {
    const insecure = isLoopbackTestIssuer(provider.issuer, config);
    if (new URL(provider.issuer).protocol !== "https:" && !insecure)
      return Promise.reject(new Error("A plain-http issuer is allowed only for the loopback test provider"));
    found = oidc.discovery(
      new URL(provider.issuer),
      provider.clientId,
      undefined,
      oidc.ClientSecretPost(clientSecretOf(provider, config)),
      {
        // openid-client does not check the signature of an ID token from the token endpoint unless told to (its
        // enableNonRepudiationChecks note: TLS stands in for it). We check it, so a forged token never passes.
        execute: insecure
          ? [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks]
          : [oidc.enableNonRepudiationChecks],
        timeout: DISCOVERY_TIMEOUT_SECONDS,
      },
    );
    configurations.set(key, found);
    found.catch(() => configurations.delete(key));
  }
  return found;
}

export class ProviderDownError extends Error {}

/** Whether an error means the provider did not answer (or answered 5xx), rather than refused. */
function isProviderDown(error: unknown): boolean {
  if (error instanceof oidc.ResponseBodyError) return error.status >= 500;
  if (error instanceof oidc.AuthorizationResponseError) return false;
  if (error instanceof oidc.ClientError) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Response ? cause.status >= 500 : error.code === "OAUTH_TIMEOUT";
  }
  return true;
}

export function callbackUrl(base: string): string {
  return new URL("/sso/callback", base).toString();
}

/** Where to send the browser to sign in (or, for "reauth", to authenticate again), and what to remember meanwhile. */
export async function startSso(
  provider: IdentityProvider,
  config: Pick<Config, "isProduction" | "ssoSecretKey">,
  input: {
    purpose: "sign-in" | "reauth";
    returnTo: string;
    loginHint?: string;
    sessionId?: string | null;
    baseUrl: string;
  },
): Promise<{ ok: true; url: string; transaction: SsoTransaction } | { ok: false; reason: "provider-down" }> {
  let configuration: oidc.Configuration;
  try {
    configuration = await providerConfiguration(provider, config);
  } catch {
    return { ok: false, reason: "provider-down" };
  }
  const transaction: SsoTransaction = {
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    verifier: oidc.randomPKCECodeVerifier(),
    organisationId: provider.organisationId,
    purpose: input.purpose,
    returnTo: input.returnTo,
    sessionId: input.purpose === "reauth" ? (input.sessionId ?? null) : null,
  };
  const parameters: Record<string, string> = {
    redirect_uri: callbackUrl(input.baseUrl),
    scope: "openid email profile",
    response_type: "code",
    response_mode: "query",
    code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
    code_challenge_method: "S256",
    state: transaction.state,
    nonce: transaction.nonce,
  };
  if (input.loginHint) parameters.login_hint = input.loginHint;
  if (input.purpose === "reauth") {
    parameters.prompt = "login";
    parameters.max_age = "0";
  }
  return { ok: true, url: oidc.buildAuthorizationUrl(configuration, parameters).toString(), transaction };
}

export type { SsoRefusal };

export type SsoResult =
  | { ok: true; kind: "signed-in"; token: string; userId: string; returnTo: string }
  | { ok: true; kind: "reauthenticated"; userId: string; returnTo: string }
  | { ok: false; reason: SsoRefusal; organisationId: string | null };

type Claims = oidc.IDToken;

/** Which e-mail claim the provider vouches for, per decision 0022; null when it vouches for none. */
export function vouchedEmail(provider: Pick<IdentityProvider, "kind">, claims: Record<string, unknown>): string | null {
  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : null;
  if (!email) return null;
  switch (provider.kind) {
    // Entra's email claim is whatever the directory holds, which can be set to anyone's address (nOAuth); only the
    // optional claim xms_edov (email domain owner verified) says the tenant owns that address's domain.
    case "entra":
      return claims.xms_edov === true || claims.xms_edov === "1" || claims.xms_edov === "true" ? email : null;
    // Google vouches for a Workspace address when it says it is verified and hd names the Workspace domain.
    case "google":
      return claims.email_verified === true &&
        typeof claims.hd === "string" &&
        email.endsWith(`@${claims.hd.toLowerCase()}`)
        ? email
        : null;
    default:
      return claims.email_verified === true ? email : null;
  }
}

/** The provider's stable identifier for the person: Entra `tid:oid` (sub differs per app registration), elsewhere `sub`. */
export function stableSubject(
  provider: Pick<IdentityProvider, "kind">,
  claims: Record<string, unknown>,
): string | null {
  if (provider.kind === "entra") {
    return typeof claims.tid === "string" && typeof claims.oid === "string" ? `${claims.tid}:${claims.oid}` : null;
  }
  return typeof claims.sub === "string" && claims.sub !== "" ? claims.sub : null;
}

/**
 * The provider's callback: exchanges the code (PKCE, state and nonce checked by openid-client, which also checks
 * the ID token's signature, issuer, audience and expiry), then finds the person, links them on their first
 * sign-in, and starts a session, or (purpose "reauth") records a fresh authentication on the session. Nobody is
 * created. A refusal writes one audit entry and nothing else.
 */
export async function finishSso(
  db: Db,
  config: Pick<Config, "isProduction" | "ssoSecretKey">,
  provider: IdentityProvider | null,
  transaction: SsoTransaction | null,
  input: { callbackQuery: string; baseUrl: string; currentSessionId: string | null },
  policy: SessionPolicy,
  request: RequestInfo & { now: Date },
): Promise<SsoResult> {
  const refuse = async (reason: SsoRefusal, details: Record<string, unknown> = {}, userId: string | null = null) => {
    await writeAudit(
      db,
      {
        action: "auth.sso-refused",
        organisationId: provider?.organisationId ?? null,
        actorUserId: userId,
        subjectType: userId ? "user" : null,
        subjectId: userId,
        details: { reason, purpose: transaction?.purpose ?? null, ...details },
      },
      request,
    );
    return { ok: false as const, reason, organisationId: provider?.organisationId ?? null };
  };
  const query = new URLSearchParams(input.callbackQuery);
  if (!transaction || !provider || transaction.organisationId !== provider.organisationId)
    return refuse("no-transaction");
  if (query.get("state") !== transaction.state) return refuse("no-transaction", { stateMatched: false });

  let claims: Claims;
  try {
    const configuration = await providerConfiguration(provider, config);
    const current = new URL(callbackUrl(input.baseUrl));
    current.search = input.callbackQuery;
    const tokens = await oidc.authorizationCodeGrant(configuration, current, {
      pkceCodeVerifier: transaction.verifier,
      expectedState: transaction.state,
      expectedNonce: transaction.nonce,
      idTokenExpected: true,
    });
    claims = tokens.claims()!;
  } catch (error) {
    if (isProviderDown(error)) return refuse("provider-down", { error: describe(error) });
    return refuse("refused", { error: describe(error) });
  }
  // openid-client compares iss with the discovered issuer; compare with the council's pinned one as well.
  if (claims.iss !== provider.issuer) return refuse("refused", { error: "issuer differs from the council's" });
  if (provider.kind === "entra" && claims.tid !== provider.tenantId)
    return refuse("wrong-tenant", { tid: typeof claims.tid === "string" ? claims.tid : null });
  const subject = stableSubject(provider, claims);
  if (!subject) return refuse("refused", { error: "no stable identifier in the ID token" });

  const [linked] = await db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.issuer, provider.issuer), eq(userIdentities.subject, subject)));
  let userId = linked?.userId ?? null;
  let link = false;
  if (!userId) {
    const email = vouchedEmail(provider, claims);
    if (!email) return refuse("email-not-vouched");
    const domain = email.split("@").at(-1)!;
    if (!provider.emailDomains.includes(domain)) return refuse("outside-domains", { domain });
    const [person] = await db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(sql`lower(${users.email})`, email), eq(users.organisationId, provider.organisationId)));
    if (!person) return refuse("unknown-person", { domain });
    const [other] = await db
      .select({ subject: userIdentities.subject })
      .from(userIdentities)
      .where(and(eq(userIdentities.userId, person.id), eq(userIdentities.issuer, provider.issuer)));
    if (other) return refuse("linked-to-another", {}, person.id);
    userId = person.id;
    link = true;
  }
  const [person] = await db
    .select({ id: users.id, active: users.active, organisationId: users.organisationId })
    .from(users)
    .where(eq(users.id, userId));
  if (!person || person.organisationId !== provider.organisationId) return refuse("unknown-person");
  if (!person.active) {
    // Whatever the provider says, a deactivated person is refused, and any session of theirs ends.
    await revokeAllSessions(db, person.id, request.now);
    return refuse("deactivated", {}, person.id);
  }

  if (transaction.purpose === "reauth") {
    if (!transaction.sessionId || transaction.sessionId !== input.currentSessionId) return refuse("wrong-person");
    const [session] = await db
      .select({ userId: sessions.userId })
      .from(sessions)
      .where(eq(sessions.id, transaction.sessionId));
    if (!session || session.userId !== person.id) return refuse("wrong-person", {}, person.id);
    if (typeof claims.auth_time !== "number") return refuse("no-auth-time", {}, person.id);
    const age = request.now.getTime() / 1000 - claims.auth_time;
    if (age > FRESH_AUTH_SECONDS || age < -CLOCK_SKEW_SECONDS)
      return refuse("stale-auth-time", { ageSeconds: Math.round(age) }, person.id);
    await db.update(sessions).set({ providerReauthAt: request.now }).where(eq(sessions.id, transaction.sessionId));
    await writeAudit(
      db,
      {
        action: "auth.reauthenticated",
        organisationId: person.organisationId,
        actorUserId: person.id,
        subjectType: "user",
        subjectId: person.id,
        details: { method: "provider", authTime: new Date(claims.auth_time * 1000).toISOString() },
      },
      request,
    );
    return { ok: true, kind: "reauthenticated", userId: person.id, returnTo: transaction.returnTo };
  }

  if (link) {
    // Two first sign-ins at once: the unique keys let only one link stand; the other is refused, not doubled.
    const inserted = await db
      .insert(userIdentities)
      .values({ userId: person.id, organisationId: person.organisationId, issuer: provider.issuer, subject })
      .onConflictDoNothing()
      .returning({ id: userIdentities.id });
    if (inserted.length === 0) {
      const [again] = await db
        .select({ userId: userIdentities.userId })
        .from(userIdentities)
        .where(and(eq(userIdentities.issuer, provider.issuer), eq(userIdentities.subject, subject)));
      if (again?.userId !== person.id) return refuse("linked-to-another", {}, person.id);
    } else {
      await writeAudit(
        db,
        {
          action: "auth.sso-linked",
          organisationId: person.organisationId,
          actorUserId: person.id,
          subjectType: "user",
          subjectId: person.id,
          details: { issuer: provider.issuer, subject },
        },
        request,
      );
    }
  }
  const token = await createSession(db, person.id, policy, {
    ip: request.ip,
    userAgent: request.userAgent ?? null,
    now: request.now,
    method: "provider",
  });
  await writeAudit(
    db,
    {
      action: "auth.signed-in",
      organisationId: person.organisationId,
      actorUserId: person.id,
      subjectType: "user",
      subjectId: person.id,
      details: { method: "provider" },
    },
    request,
  );
  return { ok: true, kind: "signed-in", token, userId: person.id, returnTo: transaction.returnTo };
}

/** What went wrong, for the audit entry: each error's code and message down the cause chain, and the claim at fault. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const e = current as { code?: unknown; message?: unknown; error?: unknown; claim?: unknown; cause?: unknown };
    if (typeof e.error === "string") parts.push(e.error);
    if (typeof e.code === "string") parts.push(e.code);
    if (typeof e.message === "string") parts.push(e.message);
    if (typeof e.claim === "string") parts.push(`(${e.claim})`);
    current = e.cause;
  }
  return parts.join(" ").slice(0, 500) || "unknown";
}

/** The provider's sign-out address, where it has one (end_session_endpoint). */
export async function providerSignOutUrl(
  provider: IdentityProvider,
  config: Pick<Config, "isProduction" | "ssoSecretKey">,
  baseUrl: string,
): Promise<string | null> {
  try {
    const configuration = await providerConfiguration(provider, config);
    if (!configuration.serverMetadata().end_session_endpoint) return null;
    return oidc
      .buildEndSessionUrl(configuration, { post_logout_redirect_uri: new URL("/signed-out", baseUrl).toString() })
      .toString();
  } catch {
    return null;
  }
}
