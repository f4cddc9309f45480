import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import type { CurrentUser } from "~/auth/session.server";
import { queryRows } from "~db/client.server";
import { attestations } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aCouncil,
  aPerson,
  aPolicyVersion,
  aRequiredModule,
  anAttempt,
  asCurrentUser,
  TEST_PASSWORD,
} from "../../test/support/factories";
import { verifyLedger } from "./ledger.server";
import { signCodeOfConduct } from "./signing.server";

/**
 * A failover, a restart or an operator ends the app's PostgreSQL backends while people sign. Every signing
 * must settle (signed, or a connection error the person can safely send again), the process must live on,
 * and the pool must serve on every connection afterwards (postgres.js as patched: scripts/patches).
 */
const POOL = 10;
const database = await freshDatabase({ maxConnections: POOL });
const db = database.db;
const now = new Date("2026-06-01T09:00:00Z");
const CONNECTION_ERRORS = ["CONNECTION_CLOSED", "CONNECTION_DESTROYED", "ECONNRESET", "EPIPE", "57P01"];

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The driver's code of an error, through drizzle's wrapper. */
function codeOf(error: unknown): string | undefined {
  for (let e = error as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    if (typeof e.code === "string") return e.code;
  return undefined;
}

describe.skipIf(database.kind === "pglite")("signing while PostgreSQL terminates the app's backends", () => {
  it("settles every signing, keeps the chain intact, and every pooled connection answers afterwards", async () => {
    const council = await aCouncil(db);
    const required = await aRequiredModule(db, council.organisation.id);
    const version = await aPolicyVersion(db, council.organisation.id, { label: "1", effectiveDate: "2026-01-01" });
    const people: CurrentUser[] = [];
    for (let i = 0; i < 40; i++) {
      const person = await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
      await anAttempt(db, person, required, { status: "passed", startedAt: new Date("2026-05-01T09:00:00Z") });
      people.push(asCurrentUser(person, council.organisation));
    }
    const sign = (person: CurrentUser) =>
      signCodeOfConduct(
        db,
        person,
        {
          policyVersionId: version.id,
          declarationRead: "yes",
          declarationFollow: "yes",
          declarationConsequences: "yes",
          typedName: person.name,
          password: TEST_PASSWORD,
        },
        { ip: "192.0.2.20", requestId: null, userAgent: "vitest", now },
        // The password hash's deliberate cost would only slow the load down.
        { checkPassword: async () => true },
      );

    const operator = postgres(database.url!, { max: 1, onnotice: () => {} });
    afterAll(() => operator.end({ timeout: 1 }));
    const terminateAppBackends = async () =>
      (
        await operator`select pg_terminate_backend(pid) as ended from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`
      ).filter((r) => r.ended).length;

    const signings: Promise<unknown>[] = [];
    const started = Date.now();
    let ended = 0;
    for (const [i, person] of people.entries()) {
      const signing = sign(person);
      signing.catch(() => {}); // settled below, all together
      signings.push(signing);
      await new Promise((r) => setTimeout(r, 15));
      if (i % 10 === 5) ended += await terminateAppBackends();
    }
    const outcomes = await within(Promise.allSettled(signings), 20_000, "the signings");
    expect(ended).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      if (outcome.status === "fulfilled") expect(outcome.value).toMatchObject({ ok: true });
      else expect(CONNECTION_ERRORS, String(outcome.reason)).toContain(codeOf(outcome.reason));
    }
    const unanswered = people.filter((_, i) => outcomes[i].status === "rejected");
    console.info(
      `${ended} backends ended; ${unanswered.length} of ${people.length} signings got a connection error; ${Date.now() - started} ms`,
    );

    // The pool serves: as many queries at once as it holds connections all answer (a connection still waiting
    // out its reconnect back-off shares another's, so each round may use fewer backends than the pool holds). A
    // backend ended while its connection sat idle is found out by the next query sent on it, which gets the
    // termination's error once (as a page would, answering 500); then the pool connects it again. So: rounds until
    // two in a row answer in full, and only connection errors before that.
    let cleanRounds = 0;
    for (let round = 0; round < 6 && cleanRounds < 2; round++) {
      const answers = await within(
        Promise.allSettled(
          Array.from({ length: POOL }, () => queryRows<{ ok: number }>(db, sql`select 1 as ok, pg_sleep(0.2)`)),
        ),
        30_000,
        "as many queries at once as the pool holds",
      );
      const refused = answers.filter((a) => a.status === "rejected");
      for (const r of refused) expect(CONNECTION_ERRORS, String(r.reason)).toContain(codeOf(r.reason));
      cleanRounds = refused.length === 0 ? cleanRounds + 1 : 0;
    }
    expect(cleanRounds).toBe(2);

    // Whoever got an error sends it again and is signed once; nobody has two records; the chain verifies.
    for (const person of unanswered) expect(await sign(person)).toMatchObject({ ok: true });
    for (const person of people) {
      const records = await db.select().from(attestations).where(eq(attestations.userId, person.id));
      expect(records.map((r) => r.kind)).toEqual(["signed"]);
    }
    expect((await verifyLedger(db, { organisationId: council.organisation.id })).ok).toBe(true);
  }, 90_000);
});
