import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { auditLog } from "~db/schema";
import { freshDatabase } from "../test/support/database";
import { aCouncil, aRequiredModule, anAttempt } from "../test/support/factories";

const root = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "smcoc-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const database = await freshDatabase();

/** `npm run export` as package.json runs it, with only the configuration the test gives it. */
function runExport(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["DATABASE_URL", "NODE_ENV", "SESSION_SECRET", "PGLITE_DIR", "SERVICE_URL"]) delete childEnv[name];
  Object.assign(childEnv, { PGLITE_DIR: join(dir, "pglite"), ...env });
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ["--max-semi-space-size=2", "--import", "tsx", "scripts/export.ts", ...args],
      { cwd: root, env: childEnv, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000, killSignal: "SIGKILL" },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stderr }));
  });
}

describe("npm run export", () => {
  it("refuses an unknown format with one line that says what it takes", async () => {
    const result = await runExport(["--organisation", "anything", "--format", "pdf"], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^--format must be one of csv, xlsx, xapi, evidence-pack\n/);
    expect(result.stderr).not.toContain("    at ");
  });

  it.runIf(database.kind === "postgres")(
    "writes the CSV to a file with a progress line on standard error, and audits it as the command line's",
    async () => {
      const council = await aCouncil(database.db);
      await aRequiredModule(database.db, council.organisation.id);
      const out = join(dir, "report.csv");
      const result = await runExport(
        ["--organisation", council.organisation.slug, "--format", "csv", "--team", "Team A", "--out", out],
        { DATABASE_URL: database.url! },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr.trim().split("\n").at(-1)).toMatch(/report\.csv: 2 rows in \d+\.\d s \([\d,]+ rows\/s\)$/);
      const bytes = readFileSync(out);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(bytes.toString("utf8").split("\r\n").filter(Boolean)).toHaveLength(3);
      const [entry] = await database.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.action, "report.exported"))
        .orderBy(sql`${auditLog.id} desc`)
        .limit(1);
      expect(entry).toMatchObject({ organisationId: council.organisation.id, actorUserId: null });
      expect(entry.details).toMatchObject({
        format: "csv",
        filters: { team: council.teamA.id },
        rows: 2,
        outcome: "completed",
        via: "command line",
      });
    },
  );

  it.runIf(database.kind === "postgres")(
    "fixes a council's xAPI identifiers at its first xAPI export, and keeps them whatever SERVICE_URL says later",
    async () => {
      const council = await aCouncil(database.db);
      const required = await aRequiredModule(database.db, council.organisation.id);
      await anAttempt(database.db, council.staff, required, {
        status: "passed",
        startedAt: new Date("2026-02-01T09:00:00Z"),
        completedAt: new Date("2026-02-01T09:20:00Z"),
      });
      const args = ["--organisation", council.organisation.slug, "--format", "xapi"];
      const first = await runExport([...args, "--out", join(dir, "first.jsonl")], {
        DATABASE_URL: database.url!,
        PORT: "4123",
      });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain(
        "SERVICE_URL is not set: this council's xAPI identifiers are now fixed under http://localhost:4123.",
      );
      const second = await runExport([...args, "--out", join(dir, "second.jsonl")], {
        DATABASE_URL: database.url!,
        SERVICE_URL: "https://moved.example",
      });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).not.toContain("SERVICE_URL is not set");
      const text = readFileSync(join(dir, "first.jsonl"), "utf8");
      expect(text).toContain('"homePage":"http://localhost:4123"');
      expect(readFileSync(join(dir, "second.jsonl"), "utf8")).toBe(text);
    },
  );
});
