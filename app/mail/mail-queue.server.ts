import { eq, sql } from "drizzle-orm";
import type { RequestInfo } from "~/audit/audit.server";
import { requestPasswordReset } from "~/auth/password-links.server";
import { queryRows, type Db } from "~db/client.server";
import { mailJobs } from "~db/schema";
import type { Mail, Mailer } from "./mailer.server";

/**
 * E-mail that waits in the database (mail_jobs) and goes out after the request that asked for it has been
 * answered: drained by the server process (woken when a response has finished, and every 30 seconds for jobs
 * another server or a crash left) and by `npm run reminders`. Any number of servers may drain at once: a job is
 * claimed with `for update skip locked` and a lease, so it is done once unless its server dies mid-way.
 */

export type PasswordResetJob = { email: string; baseUrl: string; ip: string | null; requestId: string | null };
export type MailJob = { kind: "password-reset"; payload: PasswordResetJob } | { kind: "mail"; payload: Mail };

/** A claimed job is not claimed again for this long: the time a try may take, and the wait before a retry. */
const LEASE_MS = 60_000;
export const MAIL_JOB_TRIES = 5;
const BATCH = 20;
/** Jobs of a batch in flight at once: each waits mostly on SMTP round trips (the mailer pools 8 connections). */
const CONCURRENCY = 4;

export async function enqueueMail(db: Db, job: MailJob, now: Date): Promise<void> {
  await db.insert(mailJobs).values({ kind: job.kind, payload: job.payload, createdAt: now, runAfter: now });
}

/** A password reset asked for at /forgot-password: the request only records it; the link is made and sent later. */
export async function enqueuePasswordReset(
  db: Db,
  input: { email: string },
  baseUrl: string,
  request: RequestInfo & { now: Date },
): Promise<void> {
  await enqueueMail(
    db,
    {
      kind: "password-reset",
      payload: { email: input.email, baseUrl, ip: request.ip, requestId: request.requestId },
    },
    request.now,
  );
}

type Claimed = { id: number; kind: MailJob["kind"]; payload: Record<string, unknown> };

async function claim(db: Db, now: Date): Promise<Claimed[]> {
  const at = now.toISOString();
  return queryRows<Claimed>(
    db,
    sql`update ${mailJobs} set run_after = ${at}::timestamptz + ${`${LEASE_MS} milliseconds`}::interval, tries = tries + 1
        where id in (select id from ${mailJobs} where run_after <= ${at}::timestamptz and tries < ${MAIL_JOB_TRIES}
                     order by id limit ${BATCH} for update skip locked)
        returning id, kind, payload`,
  );
}

async function run(db: Db, mailer: Mailer | null, job: Claimed, now: Date): Promise<void> {
  if (job.kind === "password-reset") {
    const p = job.payload as PasswordResetJob;
    await requestPasswordReset(db, mailer, { email: p.email }, p.baseUrl, {
      ip: p.ip,
      requestId: p.requestId,
      now,
    });
    return;
  }
  // Without SMTP there is nowhere to send it; the pages that queue mail say so.
  await mailer?.send(job.payload as Mail);
}

/** Sends every job that is due; returns how many were done and how many failed this time (they are retried). */
export async function drainMailJobs(
  db: Db,
  mailer: Mailer | null,
  clock: { now: () => Date },
  log: (message: string) => void = () => {},
): Promise<{ done: number; failed: number }> {
  let done = 0;
  let failed = 0;
  for (;;) {
    const jobs = await claim(db, clock.now());
    if (jobs.length === 0) return { done, failed };
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, jobs.length) }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++];
          try {
            await run(db, mailer, job, clock.now());
            await db.delete(mailJobs).where(eq(mailJobs.id, job.id));
            done++;
          } catch (error) {
            failed++;
            const message = error instanceof Error ? error.message : String(error);
            log(`mail job ${job.id} (${job.kind}) failed: ${message}`);
            await db
              .update(mailJobs)
              .set({ lastError: message.slice(0, 500) })
              .where(eq(mailJobs.id, job.id));
          }
        }
      }),
    );
  }
}

export type MailQueue = { wake(): void; stop(): Promise<void> };

/** The server process's drainer: one drain at a time; a wake during a drain runs another after it. */
export function startMailQueue(
  db: Db,
  mailer: Mailer | null,
  options: { now?: () => Date; log: (message: string) => void; intervalMs?: number },
): MailQueue {
  const now = options.now ?? (() => new Date());
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const drain = async () => {
    do {
      again = false;
      await drainMailJobs(db, mailer, { now }, options.log);
    } while (again && !stopped);
  };
  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((error: unknown) => options.log(`mail queue: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(wake, options.intervalMs ?? 30_000);
  timer.unref();
  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
