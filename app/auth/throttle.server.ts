import { sql } from "drizzle-orm";
import { preparedSql } from "~/lib/prepared.server";
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

// Both counts in one statement. For sign-in the per-account count starts after the last success within the
// window; for password links every request counts, for sign-in only failures do (a password link request is
// always recorded as a success, so for links a success would clear itself and the per-e-mail limit of 3 an
// hour would never apply).
const throttleCounts = preparedSql<{ by_email: number; by_ip: number }>(
  "throttle_counts",
  sql`select
        (select count(*) from ${authAttempts}
          where kind = ${sql.placeholder("kind")} and email = ${sql.placeholder("email")}
            and (${sql.placeholder("kind")} = 'password-link' or not succeeded)
            and at > case when ${sql.placeholder("kind")} = 'sign-in'
                          then coalesce((select max(at) from ${authAttempts}
                                          where kind = ${sql.placeholder("kind")} and email = ${sql.placeholder("email")} and succeeded and at > ${sql.placeholder("since")}::timestamptz),
                                        ${sql.placeholder("since")}::timestamptz)
                          else ${sql.placeholder("since")}::timestamptz end)::int as by_email,
        (select count(*) from ${authAttempts}
          where kind = ${sql.placeholder("kind")} and ip = ${sql.placeholder("ip")}::inet and at > ${sql.placeholder("since")}::timestamptz
            and (${sql.placeholder("kind")} = 'password-link' or not succeeded))::int as by_ip`,
);

const throttleValues = (kind: AttemptKind, email: string, ip: string | null, now: Date) => ({
  kind,
  email,
  ip,
  since: new Date(now.getTime() - THROTTLE_RULES[kind].windowMs).toISOString(),
});

/** The read behind isThrottled, to send with others (`pipelined`); `throttledBy` reads its row. */
export const throttleQuery = (kind: AttemptKind, email: string, ip: string | null, now: Date) =>
  throttleCounts.bind(throttleValues(kind, email, ip, now));

export function throttledBy(
  kind: AttemptKind,
  [counts]: { by_email: number; by_ip: number }[],
  ip: string | null,
): boolean {
  const rule = THROTTLE_RULES[kind];
  return counts.by_email >= rule.perEmail || (ip !== null && counts.by_ip >= rule.perIp);
}

export async function isThrottled(
  db: Db,
  kind: AttemptKind,
  email: string,
  ip: string | null,
  now: Date,
): Promise<boolean> {
  return throttledBy(kind, await throttleCounts.run(db, throttleValues(kind, email, ip, now)), ip);
}

export async function recordAttempt(
  db: Db,
  kind: AttemptKind,
  email: string,
  ip: string | null,
  succeeded: boolean,
  now: Date,
) {
  await db.insert(authAttempts).values({ kind, email, ip, succeeded, at: now });
}
