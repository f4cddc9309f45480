import { eq } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { FieldErrors } from "~/components/form-errors";
import type { Db } from "~db/client.server";
import { users } from "~db/schema";
import { hashPassword } from "./password.server";
import type { ActiveSession } from "./session.server";

/** A passphrase is set (or changed) only this soon after the person signed in or re-authenticated at their provider. */
export const PASSPHRASE_FRESH_SESSION_MS = 15 * 60_000;

export function mayChangePassphrase(
  session: Pick<ActiveSession, "createdAt" | "providerReauthAt">,
  now: Date,
): boolean {
  const latest = Math.max(session.createdAt.getTime(), session.providerReauthAt?.getTime() ?? 0);
  return now.getTime() - latest <= PASSPHRASE_FRESH_SESSION_MS;
}

/**
 * Sets the signing passphrase of a person who has no password here (decision 0022), hashed as a password is. Only
 * in a session begun within 15 minutes, so a session left open on a shared computer cannot be given one.
 */
export async function setSigningPassphrase(
  db: Db,
  session: Pick<ActiveSession, "createdAt" | "providerReauthAt" | "user">,
  passphrase: string,
  request: RequestInfo & { now: Date },
): Promise<{ ok: true } | { ok: false; status: number; errors: FieldErrors }> {
  if (!mayChangePassphrase(session, request.now))
    return {
      ok: false,
      status: 403,
      errors: {
        form: "For your security, sign out and sign in again, then set your signing passphrase within 15 minutes",
      },
    };
  const [account] = await db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, session.user.id));
  if (account?.passwordHash)
    return {
      ok: false,
      status: 409,
      errors: { form: "You sign with your password: you do not need a signing passphrase" },
    };
  await db
    .update(users)
    .set({ signingPassphraseHash: await hashPassword(passphrase), updatedAt: request.now })
    .where(eq(users.id, session.user.id));
  await writeAudit(
    db,
    {
      action: "auth.signing-passphrase-set",
      organisationId: session.user.organisationId,
      actorUserId: session.user.id,
      subjectType: "user",
      subjectId: session.user.id,
    },
    request,
  );
  return { ok: true };
}
