import { eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { Db } from "~db/client.server";
import { users } from "~db/schema";
import type { SignInInput } from "./forms";

export type { SignInInput };
import { verifyPassword } from "./password.server";
import { createSession, revokeSession, type SessionPolicy } from "./session.server";
import { providerOf, passwordSignInAllowed } from "./sso-settings.server";
import { isThrottled, normaliseEmail, recordAttempt } from "./throttle.server";

export type SignInResult =
  | { ok: true; token: string; userId: string }
  | { ok: false; reason: "invalid" | "throttled" }
  | { ok: false; reason: "provider-only"; providerName: string };

/** `request.device` is the known device this browser is for the account (knownDeviceFor), or null. */
export async function signIn(
  db: Db,
  input: SignInInput,
  policy: SessionPolicy,
  request: RequestInfo & { now: Date; device?: string | null },
): Promise<SignInResult> {
  const email = normaliseEmail(input.email);
  const device = request.device ?? null;
  if (await isThrottled(db, "sign-in", email, request.ip, request.now, device)) {
    await recordAttempt(db, "sign-in", email, request.ip, false, request.now, device);
    return { ok: false, reason: "throttled" };
  }
  const [user] = await db
    .select({
      id: users.id,
      passwordHash: users.passwordHash,
      active: users.active,
      role: users.role,
      organisationId: users.organisationId,
    })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email));
  // verifyPassword runs even when there is no such user, so timing does not reveal who has an account.
  const passwordOk = await verifyPassword(input.password, user?.passwordHash);
  if (!user || !user.active || !passwordOk) {
    await recordAttempt(db, "sign-in", email, request.ip, false, request.now, device);
    return { ok: false, reason: "invalid" };
  }
  // A council that signs in only through its provider: the right password is still refused, except an admin's
  // (the documented break-glass account, decision 0022).
  const provider = await providerOf(db, user.organisationId);
  if (!passwordSignInAllowed(provider, user.role)) {
    await writeAudit(
      db,
      {
        action: "auth.password-sign-in-refused",
        organisationId: user.organisationId,
        actorUserId: user.id,
        subjectType: "user",
        subjectId: user.id,
      },
      request,
    );
    return { ok: false, reason: "provider-only", providerName: provider!.displayName };
  }
  await recordAttempt(db, "sign-in", email, request.ip, true, request.now, device);
  const token = await createSession(db, user.id, policy, {
    ip: request.ip,
    userAgent: request.userAgent ?? null,
    now: request.now,
  });
  await writeAudit(
    db,
    {
      action: "auth.signed-in",
      organisationId: user.organisationId,
      actorUserId: user.id,
      subjectType: "user",
      subjectId: user.id,
    },
    request,
  );
  return { ok: true, token, userId: user.id };
}

export async function signOut(
  db: Db,
  session: { id: string; user: { id: string; organisationId: string } },
  request: RequestInfo & { now: Date },
): Promise<void> {
  await revokeSession(db, session.id, request.now);
  await writeAudit(
    db,
    {
      action: "auth.signed-out",
      organisationId: session.user.organisationId,
      actorUserId: session.user.id,
      subjectType: "user",
      subjectId: session.user.id,
    },
    request,
  );
}

/** Only same-site paths: an open redirect would let a phishing link borrow our sign-in page. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\"))
    return "/";
  // Browsers drop tabs and newlines from a URL before parsing it ("/\t/evil.example" is "//evil.example"): refuse
  // control characters. Anything else outside printable ASCII cannot go in a Location header (a path this service
  // makes is percent-encoded), so it is refused too.
  if (!isPrintableAscii(value)) return "/";
  return value;
}

/** Whether a return address was written by this service: paths it makes are percent-encoded, printable ASCII. */
export function isPrintableAscii(value: string): boolean {
  return /^[\u0021-\u007e]*$/.test(value);
}
