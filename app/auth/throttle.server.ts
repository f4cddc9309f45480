import { sql } from "drizzle-orm";
import { preparedSql } from "~/lib/prepared.server";
import type { Db } from "~db/client.server";
import { authAttempts } from "~db/schema";

export type AttemptKind = "sign-in" | "password-link";

/**
 * Sign-in throttling (docs/decisions/0013): limits that stop guessing without letting one person lock out a
 * colleague or a council's shared network. Failures are counted in a 15-minute window, for an account only since
 * its last success:
 * - per account and address: 5 failures from one address lock that address out of that account;
 * - per account: 20 failures from anywhere lock the account for every browser it has not signed in on before
 *   (at most 80 guesses an hour at one account: OWASP ASVS 4.0.3, 2.2.1, asks for no more than 100);
 * - per address: failures for 30 different addresses from one network lock that network's unknown browsers out;
 * - a known device (a browser the account has signed in on: a signed cookie) is held only by its own count of 5,
 *   so none of the limits above, which anyone can run up, keeps a person out of the browser they use.
 * Password links: 3 an hour per e-mail address and 20 an hour per network address, every request counted.
 */
export const THROTTLE_RULES = {
  "sign-in": {
    windowMs: 15 * 60_000,
    perAccountAndAddress: 5,
    perAccount: 20,
    perKnownDevice: 5,
    accountsPerAddress: 30,
  },
  "password-link": { windowMs: 60 * 60_000, perEmail: 3, perIp: 20 },
} as const;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export type ThrottleCounts = {
  by_account_and_address: number;
  by_account: number;
  by_device: number;
  accounts_by_address: number;
  links_by_email: number;
  links_by_address: number;
};

// Every count in one statement; each is cheap on the (kind, email, at) and (kind, ip, at) indexes.
const throttleCounts = preparedSql<ThrottleCounts>(
  "throttle_counts",
  sql`with account_since as (
        select greatest(${sql.placeholder("since")}::timestamptz,
                        coalesce((select max(at) from ${authAttempts}
                                   where kind = 'sign-in' and email = ${sql.placeholder("email")} and succeeded),
                                 '-infinity'::timestamptz)) as since
      ), failures as (
        select ip, device from ${authAttempts}, account_since
        where ${sql.placeholder("kind")} = 'sign-in' and kind = 'sign-in' and email = ${sql.placeholder("email")}
          and not succeeded and at > account_since.since
      )
      select
        (select count(*) from failures where device is null and ip = ${sql.placeholder("ip")}::inet)::int as by_account_and_address,
        (select count(*) from failures where device is null)::int as by_account,
        (select count(*) from failures where device = ${sql.placeholder("device")}::text)::int as by_device,
        (select count(distinct email) from ${authAttempts}
          where ${sql.placeholder("kind")} = 'sign-in' and kind = 'sign-in' and ip = ${sql.placeholder("ip")}::inet
            and not succeeded and device is null and at > ${sql.placeholder("since")}::timestamptz)::int as accounts_by_address,
        (select count(*) from ${authAttempts}
          where ${sql.placeholder("kind")} = 'password-link' and kind = 'password-link' and email = ${sql.placeholder("email")}
            and at > ${sql.placeholder("since")}::timestamptz)::int as links_by_email,
        (select count(*) from ${authAttempts}
          where ${sql.placeholder("kind")} = 'password-link' and kind = 'password-link' and ip = ${sql.placeholder("ip")}::inet
            and at > ${sql.placeholder("since")}::timestamptz)::int as links_by_address`,
);

const throttleValues = (kind: AttemptKind, email: string, ip: string | null, now: Date, device: string | null) => ({
  kind,
  email,
  ip,
  device,
  since: new Date(now.getTime() - THROTTLE_RULES[kind].windowMs).toISOString(),
});

/** The read behind isThrottled, to send with others (`pipelined`); `throttledBy` reads its row. */
export const throttleQuery = (
  kind: AttemptKind,
  email: string,
  ip: string | null,
  now: Date,
  device: string | null = null,
) => throttleCounts.bind(throttleValues(kind, email, ip, now, device));

/** Whether the counts refuse this attempt; `device` is the known device it comes from, if any. */
export function throttledBy(kind: AttemptKind, [counts]: ThrottleCounts[], device: string | null = null): boolean {
  if (kind === "password-link") {
    const rule = THROTTLE_RULES["password-link"];
    return counts.links_by_email >= rule.perEmail || counts.links_by_address >= rule.perIp;
  }
  const rule = THROTTLE_RULES["sign-in"];
  if (device !== null) return counts.by_device >= rule.perKnownDevice;
  return (
    counts.by_account_and_address >= rule.perAccountAndAddress ||
    counts.by_account >= rule.perAccount ||
    counts.accounts_by_address >= rule.accountsPerAddress
  );
}

export async function isThrottled(
  db: Db,
  kind: AttemptKind,
  email: string,
  ip: string | null,
  now: Date,
  device: string | null = null,
): Promise<boolean> {
  return throttledBy(kind, await throttleCounts.run(db, throttleValues(kind, email, ip, now, device)), device);
}

export async function recordAttempt(
  db: Db,
  kind: AttemptKind,
  email: string,
  ip: string | null,
  succeeded: boolean,
  now: Date,
  device: string | null = null,
) {
  await db.insert(authAttempts).values({ kind, email, ip, succeeded, at: now, device });
}
