import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, isAlive, startAppProcess, type AppProcess } from "../test/support/app-process";
import { freshDatabase, migratedPgliteDirectory } from "../test/support/database";

// `npm start` in production: a supervised worker, no migrations. Each app process takes 10–20 s to serve on a busy machine.
const onPostgres = Boolean(process.env.DATABASE_URL);
const scratch = mkdtempSync(join(tmpdir(), "smcoc-start-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const production = { NODE_ENV: "production", SESSION_SECRET: randomBytes(32).toString("hex") };

/** Where a production app finds a database with every migration applied. */
async function migratedDatabaseEnv(): Promise<Record<string, string>> {
  if (onPostgres) {
    const database = await freshDatabase({ maxConnections: 1 });
    return { DATABASE_URL: database.url! };
  }
  const dir = join(scratch, `migrated-${randomBytes(4).toString("hex")}`);
  const database = await migratedPgliteDirectory(dir);
  await database.close();
  return { PGLITE_DIR: dir };
}

/** Where a production app finds a database that no migration has touched. */
async function unmigratedDatabaseEnv(): Promise<Record<string, string>> {
  if (!onPostgres) return { PGLITE_DIR: join(scratch, "empty") };
  const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  const name = `smcoc_test_${randomBytes(5).toString("hex")}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  afterAll(async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  return { DATABASE_URL: url.toString() };
}

async function answers(app: AppProcess): Promise<number> {
  return (await fetch(`${app.url}/sign-in`)).status;
}

describe("npm start in production", () => {
  it("refuses a database with migrations not yet applied, in one line naming npm run db:migrate", async () => {
    const app = startAppProcess({ ...production, ...(await unmigratedDatabaseEnv()) }, await freePort());
    expect(await app.exit).toBe(1);
    expect(app.stderr).toHaveLength(1);
    expect(app.stderr[0]).toMatch(/^The database has \d+ migration\(s\) not yet applied: run `npm run db:migrate`/);
    expect(app.stderr[0]).toContain("owner role");
    expect(app.lines).toEqual([]);
  }, 120_000);

  it.runIf(onPostgres)(
    "says in one line which grant the app's role lacks to check for pending migrations",
    async () => {
      const { DATABASE_URL: url } = await migratedDatabaseEnv();
      const role = `smcoc_app_${randomBytes(4).toString("hex")}`;
      const owner = postgres(url, { max: 1, onnotice: () => {} });
      await owner.unsafe(`CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA public TO ${role}`);
      try {
        const asApp = new URL(url);
        asApp.username = role;
        const app = startAppProcess({ ...production, DATABASE_URL: asApp.toString() }, await freePort());
        expect(await app.exit).toBe(1);
        expect(app.stderr).toEqual([
          "The app's database role cannot read drizzle.__drizzle_migrations to check for pending migrations: grant it USAGE on schema drizzle and SELECT on that table (docs/ledger.md).",
        ]);
      } finally {
        await owner.unsafe(`REVOKE ALL ON SCHEMA public FROM ${role}; DROP ROLE ${role}`);
        await owner.end();
      }
    },
    120_000,
  );

  it("serves from a worker that is started again, with growing back-off, whenever it dies; SIGTERM stops it all", async () => {
    const app = startAppProcess({ ...production, ...(await migratedDatabaseEnv()) }, await freePort());
    try {
      const first = await app.waitForServing();
      expect(await answers(app)).toBe(200);

      let since = app.lines.length;
      process.kill(first, "SIGKILL");
      const ended = await app.waitForLine((l) => l.msg?.startsWith("The server process ended") ?? false, { since });
      expect(ended).toMatchObject({ level: 50, signal: "SIGKILL", restartInMs: 1000 });
      expect(ended.msg).toBe("The server process ended (SIGKILL); starting another in 1 s");

      // Killed again before it served: the next wait doubles.
      const second = await app.waitForLine((l) => l.msg === "Started the server process", { since });
      since = app.lines.length;
      process.kill(second.pid!, "SIGKILL");
      const again = await app.waitForLine((l) => l.msg?.startsWith("The server process ended") ?? false, { since });
      expect(again).toMatchObject({ signal: "SIGKILL", restartInMs: 2000 });

      const third = await app.waitForServing({ since });
      expect(third).not.toBe(first);
      expect(await answers(app)).toBe(200);

      expect(await app.stop()).toBe(0);
      expect(isAlive(third)).toBe(false);
      expect(app.lines.some((l) => l.msg === "Stopping (SIGTERM)")).toBe(true);
    } finally {
      await app.stop();
    }
  }, 240_000);
});
