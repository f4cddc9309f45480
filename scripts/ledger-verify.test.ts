import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendRecord } from "~/attestation/ledger.server";
import { openDatabase, type Database } from "~db/client.server";
import { freshDatabase } from "../test/support/database";
import { aCouncil, aPolicyVersion } from "../test/support/factories";

/** The command as an operator runs it, against a real database: PostgreSQL when DATABASE_URL is set, else a PGlite folder. */
// Created when the file loads, so freshDatabase's clean-up (registered with afterAll) runs.
const serverDatabase = process.env.DATABASE_URL ? await freshDatabase() : null;
let database: Database;
let env: Record<string, string | undefined>;
let folder: string | undefined;
const references: { reference: string; hash: string }[] = [];

beforeAll(async () => {
  if (serverDatabase) {
    database = serverDatabase;
    env = { DATABASE_URL: database.url };
  } else {
    folder = mkdtempSync(join(tmpdir(), "ledger-verify-"));
    database = await openDatabase({ pgliteDir: join(folder, "data") });
    await database.migrate();
    env = { DATABASE_URL: undefined, PGLITE_DIR: join(folder, "data") };
  }
  const council = await aCouncil(database.db);
  const version = await aPolicyVersion(database.db, council.organisation.id);
  for (let i = 0; i < 3; i++) {
    const { record } = await appendRecord(database.db, {
      organisationId: council.organisation.id,
      kind: "signed",
      userId: council.staff.id,
      policyVersionId: version.id,
      policySha256: version.sha256,
      declarationText: "I have read it.",
      typedName: "Sam",
      recordedAt: new Date(Date.UTC(2026, 0, 2, 10, 0, i)),
      ip: null,
      userAgent: null,
      qualifyingAttemptIds: [],
      subjectReference: null,
      actorUserId: null,
      reason: null,
    });
    references.push({ reference: record.reference, hash: record.hash });
  }
  // PGlite allows one process at a time on a folder: the command opens it after this closes it.
  if (folder) await database.close();
});
afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function run(...args: string[]) {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, LOG_LEVEL: "silent", ...env }))
    if (v !== undefined) childEnv[k] = v;
  const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/ledger-verify.ts", ...args], {
    env: childEnv as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function tamper(statement: ReturnType<typeof sql>) {
  const db = folder ? await openDatabase({ pgliteDir: env.PGLITE_DIR! }) : database;
  await db.db.transaction(async (tx) => {
    await tx.execute(sql`alter table attestations disable trigger user`);
    await tx.execute(statement);
    await tx.execute(sql`alter table attestations enable trigger user`);
  });
  if (folder) await db.close();
}

describe("npm run ledger:verify", () => {
  it("exits 0 with each chain's head and a one-line summary when the ledger is intact", () => {
    const result = run();
    expect(result.code).toBe(0);
    const head = references[2];
    expect(result.stdout).toContain(`head ${head.reference}:${head.hash}`);
    expect(result.stdout).toMatch(/^Ledger intact: 3 records in \d+ chains verified in [\d.]+ s\.$/m);
  });

  it("passes with the current head expected, and refuses a malformed head", () => {
    const head = references[2];
    expect(run("--expect-head", `${head.reference}:${head.hash}`).code).toBe(0);
    const bad = run("--expect-head", "nonsense");
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 1 when an expected head was cut from the end", async () => {
    await tamper(sql`delete from attestations where reference = ${references[2].reference}`);
    expect(run().code).toBe(0);
    const result = run("--expect-head", `${references[2].reference}:${references[2].hash}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the expected head ${references[2].reference} is gone: records were cut from the end`,
    );
  });
  it("exits 1 naming the first altered record", async () => {
    await tamper(sql`update attestations set typed_name = 'Forged' where reference = ${references[1].reference}`);
    const result = run();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`at ${references[1].reference} (record 2): its contents do not match its hash`);
  });
});
