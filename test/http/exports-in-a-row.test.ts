import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "~db/client.server";
import { auditLog } from "~db/schema";
import { seed } from "../../scripts/bench/exports";
import { freshDatabase } from "../support/database";
import { aPerson, TEST_PASSWORD } from "../support/factories";
import { HttpClient } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";
import { verifiedEvidencePack } from "../support/zip";

/**
 * Whole-council exports, one after another, through the app's pool on PostgreSQL: each ends, and afterwards
 * every pooled connection still answers. Before postgres.js was patched (scripts/patches), a COPY could leave
 * its connection's socket paused: the next query on it never answered, about 20 exports used up the pool, and
 * `npm run export` wrote its file and never exited.
 */
const POOL = 10;
const IN_A_ROW = 20;
const database = await freshDatabase({ maxConnections: POOL });
const db = database.db;
const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "smcoc-exports-in-a-row-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let server: TestServer;
let hr: HttpClient;
let council: { id: string; slug: string };

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** As many queries at once as the pool holds: each must answer. */
async function everyPooledConnectionAnswers() {
  const answers = await within(
    Promise.all(Array.from({ length: POOL }, () => queryRows<{ ok: number }>(db, sql`select 1 as ok, pg_sleep(0.1)`))),
    10_000,
    "as many queries at once as the pool holds",
  );
  expect(answers.map(([row]) => row.ok)).toEqual(Array(POOL).fill(1));
}

/** `npm run export` as package.json runs it; killed after a minute, which counts as not exiting by itself. */
function runExport(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: database.url!, SERVICE_URL: "https://smcoc.example" };
  delete (env as Record<string, string | undefined>).NODE_ENV;
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ["--max-semi-space-size=2", "--import", "tsx", "scripts/export.ts", ...args],
      { cwd: root, env, stdio: ["ignore", "ignore", "pipe"], timeout: 60_000, killSignal: "SIGKILL" },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code, signal) => done({ code, signal, stderr }));
  });
}

const completed = async (action: string, via: string) =>
  (
    await db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.action, action),
          sql`${auditLog.details}->>'outcome' = 'completed'`,
          sql`${auditLog.details}->>'via' = ${via}`,
        ),
      )
  ).length;

describe.skipIf(database.kind === "pglite")("whole-council exports one after another on PostgreSQL", () => {
  beforeAll(async () => {
    // 60 people, four report rows each: about 60 kB of CSV, the size at which unpatched COPY hung most often.
    council = await seed(db, 240);
    const person = await aPerson(db, { organisationId: council.id, role: "hr" });
    server = await startTestServer(database, { env: { SERVICE_URL: "https://smcoc.example" } });
    hr = new HttpClient(server.url);
    await hr.signIn(person.email, TEST_PASSWORD);
  }, 120_000);
  afterAll(() => server?.close());

  it(`serves ${IN_A_ROW} CSV exports and ${IN_A_ROW} evidence packs through the web, and the pool serves after`, async () => {
    for (let i = 0; i < IN_A_ROW; i++) {
      const csv = await within(
        hr.get("/hr/export?format=csv").then(async (r) => ({ status: r.status, text: await r.text() })),
        15_000,
        `CSV export ${i + 1}`,
      );
      expect(csv.status).toBe(200);
      expect(csv.text.split("\r\n").filter(Boolean)).toHaveLength(1 + 244);
    }
    for (let i = 0; i < IN_A_ROW; i++) {
      const zip = await within(
        hr.get("/hr/evidence-pack").then(async (r) => Buffer.from(await r.arrayBuffer())),
        30_000,
        `evidence pack ${i + 1}`,
      );
      const { files } = await verifiedEvidencePack(zip);
      expect([...files.keys()].filter((f) => f.startsWith("certificates/"))).toHaveLength(60);
    }
    expect(await completed("report.exported", "web")).toBe(IN_A_ROW);
    expect(await completed("evidence-pack.exported", "web")).toBe(IN_A_ROW);
    await everyPooledConnectionAnswers();
    const health = await within(fetch(`${server.url}/health`), 5_000, "/health");
    expect(health.status).toBe(200);
    const report = await within(hr.get("/hr/report"), 10_000, "/hr/report");
    expect(report.status).toBe(200);
  }, 180_000);

  it("runs `npm run export` for the CSV and the evidence pack again and again, each exiting by itself", async () => {
    for (let i = 0; i < 5; i++) {
      const out = join(dir, `report-${i}.csv`);
      const result = await runExport(["--organisation", council.slug, "--format", "csv", "--out", out]);
      expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 0, signal: null });
      expect(readFileSync(out, "utf8").split("\r\n").filter(Boolean)).toHaveLength(1 + 244);
    }
    for (let i = 0; i < 5; i++) {
      const out = join(dir, `pack-${i}.zip`);
      const result = await runExport(["--organisation", council.slug, "--format", "evidence-pack", "--out", out]);
      expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 0, signal: null });
      await verifiedEvidencePack(readFileSync(out));
    }
    expect(await completed("report.exported", "command line")).toBe(5);
    expect(await completed("evidence-pack.exported", "command line")).toBe(5);
    await everyPooledConnectionAnswers();
  }, 180_000);
});
