import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { z } from "zod";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { Mailer } from "~/mail/mailer.server";
import type { Db } from "~db/client.server";
import { passwordTokens, users } from "~db/schema";
import { forgotPasswordSchema } from "./forms";
import { hashPassword } from "./password.server";
import { revokeAllSessions } from "./session.server";
import { isThrottled, normaliseEmail, recordAttempt } from "./throttle.server";
import { randomToken, sha256Hex } from "./tokens.server";

export const LINK_LIFETIME_MS = { set: 7 * 24 * 3_600_000, reset: 60 * 60_000 } as const;
export type LinkPurpose = keyof typeof LINK_LIFETIME_MS;

export function passwordLinkUrl(baseUrl: string, token: string): string {
  return new URL(`/set-password?token=${encodeURIComponent(token)}`, baseUrl).toString();
}

/** Makes a new one-time link (and retires any earlier unused one). Returns the raw token: it is stored only hashed. */
export async function createPasswordLink(db: Db, userId: string, purpose: LinkPurpose, now: Date): Promise<string> {
  const token = randomToken();
  await db.transaction(async (tx) => {
    await tx
      .update(passwordTokens)
      .set({ usedAt: now })
      .where(and(eq(passwordTokens.userId, userId), isNull(passwordTokens.usedAt)));
    await tx.insert(passwordTokens).values({
      userId,
      tokenHash: sha256Hex(token),
      purpose,
      createdAt: now,
      expiresAt: new Date(now.getTime() + LINK_LIFETIME_MS[purpose]),
    });
  });
  return token;
}

/**
 * Sends a reset link when the address belongs to an active person and SMTP is configured.
 * The caller shows the same page whatever happened, so the answer says nothing about who has an account.
 */
export async function requestPasswordReset(
  db: Db,
  mailer: Mailer | null,
  input: z.infer<typeof forgotPasswordSchema>,
  baseUrl: string,
  request: RequestInfo & { now: Date },
): Promise<void> {
  const email = normaliseEmail(input.email);
  if (await isThrottled(db, "password-link", email, request.ip, request.now)) return;
  await recordAttempt(db, "password-link", email, request.ip, true, request.now);
  const [user] = await db
    .select({ id: users.id, name: users.name, email: users.email, organisationId: users.organisationId })
    .from(users)
    .where(and(eq(sql`lower(${users.email})`, email), eq(users.active, true)));
  if (!user?.email || !mailer) return;
  const token = await createPasswordLink(db, user.id, "reset", request.now);
  await writeAudit(
    db,
    {
      action: "auth.password-link-sent",
      organisationId: user.organisationId,
      subjectType: "user",
      subjectId: user.id,
      details: { purpose: "reset" },
    },
    request,
  );
  await mailer.send({
    to: user.email,
    subject: "Reset your password",
    text: [
      `Dear ${user.name},`,
      "",
      "Someone asked to reset the password for your social media code of conduct account.",
      "Use this link within 1 hour to choose a new password. It works once:",
      "",
      passwordLinkUrl(baseUrl, token),
      "",
      "If you did not ask for this, you can ignore this email. Your password has not changed.",
    ].join("\n"),
  });
}

export async function findUsableLink(db: Db, token: string, now: Date) {
  if (!token) return null;
  const [row] = await db
    .select({
      id: passwordTokens.id,
      userId: passwordTokens.userId,
      purpose: passwordTokens.purpose,
      email: users.email,
    })
    .from(passwordTokens)
    .innerJoin(users, eq(users.id, passwordTokens.userId))
    .where(
      and(
        eq(passwordTokens.tokenHash, sha256Hex(token)),
        isNull(passwordTokens.usedAt),
        gt(passwordTokens.expiresAt, now),
        eq(users.active, true),
      ),
    );
  return row ?? null;
}

/** Uses a link once: sets the password, ends every session of that person and clears their sign-in throttle. */
export async function setPasswordWithLink(
  db: Db,
  input: { token: string; password: string },
  request: RequestInfo & { now: Date },
): Promise<{ ok: true; userId: string } | { ok: false }> {
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .update(passwordTokens)
      .set({ usedAt: request.now })
      .where(
        and(
          eq(passwordTokens.tokenHash, sha256Hex(input.token)),
          isNull(passwordTokens.usedAt),
          gt(passwordTokens.expiresAt, request.now),
        ),
      )
      .returning({ userId: passwordTokens.userId, purpose: passwordTokens.purpose });
    if (!claimed) return { ok: false as const };
    const [user] = await tx
      .update(users)
      .set({ passwordHash, updatedAt: request.now })
      .where(and(eq(users.id, claimed.userId), eq(users.active, true)))
      .returning({ id: users.id, email: users.email, organisationId: users.organisationId });
    if (!user) return { ok: false as const };
    const txDb = tx as unknown as Db;
    await revokeAllSessions(txDb, user.id, request.now);
    await recordAttempt(
      txDb,
      "sign-in",
      normaliseEmail(user.email ?? `user:${user.id}`),
      request.ip,
      true,
      request.now,
    );
    await writeAudit(
      txDb,
      {
        action: "auth.password-set",
        organisationId: user.organisationId,
        actorUserId: user.id,
        subjectType: "user",
        subjectId: user.id,
        details: { purpose: claimed.purpose },
      },
      request,
    );
    return { ok: true as const, userId: user.id };
  });
}
