import type { PGlite } from "@electric-sql/pglite";
import { and, eq, sql } from "drizzle-orm";
import { inspect } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isStatementTimeout, openDatabase, type Database } from "~db/client.server";
import { auditLog } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aPolicyVersion, aRequiredModule, aSignature, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

/**
 * No page request waits for ever (docs/decisions/0012). A slow database is made by holding a lock that the
 * page's query needs (PostgreSQL) or by holding the one embedded instance in a transaction (PGlite, which has
 * no statement timers: only the page deadline applies there).
 */
const database = await freshDatabase();
const db = database.db;
const onPostgres = database.kind === "postgres";
let council: Awaited<ReturnType<typeof aCouncil>>;
const opened: Database[] = [];
const servers: TestServer[] = [];

beforeAll(async () => {
  council = await aCouncil(db);
  await aRequiredModule(db, council.organisation.id, { title: "Personal use" });
  const version = await aPolicyVersion(db, council.organisation.id, { label: "1", effectiveDate: "2025-01-01" });
  await aSignature(db, council.staff, version, new Date("2026-02-02T10:00:00Z"));
});
afterAll(async () => {
  for (const server of servers) await server.close();
  for (const pool of opened) await pool.close();
});

async function pool(bounds: { statementMs: number; idleInTransactionMs?: number }, maxConnections = 4) {
  const opening = await openDatabase({
    url: database.url!,
    maxConnections,
    bounds: { idleInTransactionMs: 10_000, ...bounds },
  });
  opened.push(opening);
  return opening;
}

/**
 * The app on `pages`, with `person` signed in, and then the page deadline cut to `deadlineMs` (the server reads
 * it on every request): signing in hashes a password, which can itself take over a second on a busy machine.
 */
async function signedInServer(
  pages: Database,
  person: { email: string },
  deadlineMs: number,
  exportDatabase?: Database,
): Promise<{ app: TestServer; client: HttpClient }> {
  const app = await startTestServer(pages, { exportDatabase });
  servers.push(app);
  const client = new HttpClient(app.url);
  await client.signIn(person.email, TEST_PASSWORD);
  app.config.pageTimeoutMs = deadlineMs;
  return { app, client };
}

/** Holds what every read of the ledger needs for `ms`; resolves once it is held, with a promise of its release. */
async function holdTheLedger(ms: number): Promise<{ released: Promise<void> }> {
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  let released: Promise<void>;
  if (onPostgres) {
    const locker = postgres(database.url!, { max: 1, onnotice: () => {} });
    released = locker
      .begin(async (tx) => {
        await tx`lock table attestations in access exclusive mode`;
        held();
        await new Promise((resolve) => setTimeout(resolve, ms));
      })
      .then(() => locker.end());
  } else {
    const pglite = (db as unknown as { $client: PGlite }).$client;
    released = pglite.transaction(async () => {
      held();
      await new Promise((resolve) => setTimeout(resolve, ms));
    });
  }
  await holding;
  return { released };
}

/** console.error, captured instead of failing the test: Remix logs a loader's error there. */
async function capturingErrors<T>(work: () => Promise<T>): Promise<{ result: T; errors: string[] }> {
  const original = console.error;
  const errors: string[] = [];
  console.error = (...args: unknown[]) => void errors.push(args.map((arg) => inspect(arg)).join(" "));
  try {
    return { result: await work(), errors };
  } finally {
    console.error = original;
  }
}

describe.runIf(onPostgres)("the database connections' bounds (PostgreSQL)", () => {
  it("cancels a statement that runs past the bound with a clear error, and the pool answers straight after", async () => {
    const pages = await pool({ statementMs: 300 }, 1);
    const started = Date.now();
    const error = await pages.db.execute(sql`select pg_sleep(3)`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isStatementTimeout(error)).toBe(true);
    expect(((error as Error).cause as Error).message).toBe("canceling statement due to statement timeout");
    expect(Date.now() - started).toBeLessThan(2500);
    await expect(pages.ping()).resolves.toBeUndefined();
  });

  it("ends a transaction left idle past the bound, and the pool answers straight after", async () => {
    const pages = await pool({ statementMs: 5_000, idleInTransactionMs: 300 }, 1);
    const outcome = await pages.db
      .transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await tx.execute(sql`select 2`);
      })
      .then(
        () => "committed",
        (e: unknown) => (e as { code?: string }).code,
      );
    expect(outcome).toBe("CONNECTION_CLOSED");
    await expect(pages.ping()).resolves.toBeUndefined();
  });

  it("answers a page whose query runs past the statement bound with an error page, and keeps serving", async () => {
    const { app, client: staff } = await signedInServer(await pool({ statementMs: 400 }), council.staff, 20_000);
    const { released } = await holdTheLedger(3_000);
    const { result: response, errors } = await capturingErrors(() => staff.get("/records"));
    expect(response.status).toBe(500);
    expect(pageText(await response.text())).toContain("Sorry, there is a problem");
    expect(errors.join("\n")).toContain("cause: PostgresError: canceling statement due to statement timeout");
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
    await released;
    const again = await staff.get("/records");
    expect(again.status).toBe(200);
  });

  it("completes a streamed export that outlasts both the page deadline and the page statement bound", async () => {
    const pages = await pool({ statementMs: 400 });
    const exports = await pool({ statementMs: 30_000 }, 2);
    const { client: hr } = await signedInServer(pages, council.hr, 1_500, exports);
    const started = Date.now();
    const { released } = await holdTheLedger(3_000);
    const response = await hr.get("/hr/export?format=csv");
    expect(response.status).toBe(200);
    const lines = Buffer.from(await response.arrayBuffer())
      .subarray(3)
      .toString("utf8")
      .split("\r\n")
      .filter(Boolean);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(lines[0]).toMatch(/^Employee number,Name,/);
    expect(lines.length).toBeGreaterThan(4);
    await released;
    // The export's audit entries: "started" when it began, then "completed" once the last byte was written.
    const outcomes = () =>
      db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "report.exported"), eq(auditLog.actorUserId, council.hr.id)))
        .then((rows) => rows.map((row) => row.details as { outcome: string; format: string }));
    await expect.poll(outcomes).toHaveLength(2);
    expect(await outcomes()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ outcome: "started", format: "csv" }),
        expect.objectContaining({ outcome: "completed", format: "csv" }),
      ]),
    );
  });
});

describe("the page deadline", () => {
  it("answers 503 for a page still waiting when the deadline passes, and serves the next request", async () => {
    const pages = onPostgres ? await pool({ statementMs: 20_000 }) : database;
    const { app, client: staff } = await signedInServer(pages, council.staff, 1_000);
    const { released } = await holdTheLedger(4_000);
    const started = Date.now();
    const response = await staff.get("/records");
    const waited = Date.now() - started;
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(pageText(await response.text())).toContain("The page took too long. Try again in a minute.");
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(3_500);
    expect(app.logLines.some((line) => line.includes("page deadline passed"))).toBe(true);
    await released;
    expect((await staff.get("/records")).status).toBe(200);
  });
});
