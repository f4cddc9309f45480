import { and, count, eq, gt, max, sql } from "drizzle-orm";
import type { Db } from "~db/client.server";
import { authAttempts } from "~db/schema";

export type AttemptKind = "sign-in" | "password-link";

// Failures per account are counted since the later of the window's start and the last success,
// so a successful sign-in or password reset clears an account's count.
export const THROTTLE_RULES: Record<AttemptKind, { windowMs: number; perEmail: number; perIp: number }> = {
  "sign-in": { windowMs: 15 * 60_000, perEmail: 5, perIp: 50 },
  "password-link": { windowMs: 60 * 60_000, perEmail: 3, perIp: 20 },
};

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function isThrottled(db: Db, kind: AttemptKind, email: string, ip: string | null, now: Date): Promise<boolean> {
  const rule = THROTTLE_RULES[kind];
  const since = new Date(now.getTime() - rule.windowMs);
  let from = since;
  // Only a sign-in's success clears the count: every password-link request is recorded as a success,
  // so for links it would clear itself and the per-e-mail limit (3 an hour) would never apply.
  if (kind === "sign-in") {
    const [lastSuccess] = await db
      .select({ at: max(authAttempts.at) })
      .from(authAttempts)
      .where(and(eq(authAttempts.kind, kind), eq(authAttempts.email, email), eq(authAttempts.succeeded, true), gt(authAttempts.at, since)));
    if (lastSuccess?.at && lastSuccess.at > since) from = lastSuccess.at;
  }
  // For password links every request counts; for sign-in only failures do.
  const countedOutcome = kind === "password-link" ? sql`true` : eq(authAttempts.succeeded, false);
  const [byEmail] = await db
    .select({ n: count() })
    .from(authAttempts)
    .where(and(eq(authAttempts.kind, kind), eq(authAttempts.email, email), gt(authAttempts.at, from), countedOutcome));
  if (byEmail.n >= rule.perEmail) return true;
  if (!ip) return false;
  const [byIp] = await db
    .select({ n: count() })
    .from(authAttempts)
    .where(and(eq(authAttempts.kind, kind), eq(authAttempts.ip, ip), gt(authAttempts.at, since), countedOutcome));
  return byIp.n >= rule.perIp;
}

export async function recordAttempt(db: Db, kind: AttemptKind, email: string, ip: string | null, succeeded: boolean, now: Date) {
  await db.insert(authAttempts).values({ kind, email, ip, succeeded, at: now });
}
