import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latestCheckpoint } from "~/attestation/checkpoints.server";
import { openDatabase, type Database } from "~db/client.server";
import { freshDatabase, migratedPgliteDirectory } from "../test/support/database";
import { aCouncil, aPolicyVersion, aSignature } from "../test/support/factories";
import { eraseTree, forgedAppend, withLedgerTriggersOff } from "../test/support/ledger-forgery";

/** `npm run ledger:checkpoint` and `npm run ledger:verify -- --checkpoint FILE` as an operator runs them. */
const serverDatabase = process.env.DATABASE_URL ? await freshDatabase() : null;
let env: Record<string, string | undefined>;
let folder: string;
let council: Awaited<ReturnType<typeof aCouncil>>;
let version: Awaited<ReturnType<typeof aPolicyVersion>>;
let signedAt = Date.UTC(2026, 0, 2, 10);

/** The database, opened for the test's own work and closed after (PGlite allows one process at a time on a folder). */
async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const database = serverDatabase ?? (await openDatabase({ pgliteDir: env.PGLITE_DIR! }));
  try {
    return await work(database);
  } finally {
    if (!serverDatabase) await database.close();
  }
}

const sign = (count: number) =>
  withDatabase(async ({ db }) => {
    for (let i = 0; i < count; i++)
      await aSignature(
        db,
        { ...council.staff, organisationId: council.organisation.id },
        version,
        new Date((signedAt += 60_000)),
      );
  });

/** The council's latest checkpoint, saved to a file as a witness would keep it. */
const heldFile = () =>
  withDatabase(async ({ db }) => {
    const file = join(folder, `checkpoint-${Math.random()}.txt`);
    writeFileSync(file, (await latestCheckpoint(db, council.organisation.id))!.signedNote);
    return file;
  });

function run(script: "ledger-checkpoint" | "ledger-verify", ...args: string[]) {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, LOG_LEVEL: "silent", ...env }))
    if (v !== undefined) childEnv[k] = v;
  const result = spawnSync(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], {
    env: childEnv as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), "ledger-checkpoint-"));
  let database: Database;
  if (serverDatabase) {
    database = serverDatabase;
    env = { DATABASE_URL: database.url };
  } else {
    database = await migratedPgliteDirectory(join(folder, "data"));
    env = { DATABASE_URL: undefined, PGLITE_DIR: join(folder, "data") };
  }
  council = await aCouncil(database.db);
  version = await aPolicyVersion(database.db, council.organisation.id);
  if (!serverDatabase) await database.close();
  await sign(4);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("npm run ledger:checkpoint, and ledger:verify --checkpoint", () => {
  it("signs a checkpoint of the new records, then finds nothing to do", () => {
    const first = run("ledger-checkpoint");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`${council.organisation.slug}: checkpoint of 4 records (was 0)`);
    expect(run("ledger-checkpoint").stdout).toContain("Every council's checkpoint is up to date.");
  }, 180_000);

  it("verifies the ledger against its checkpoint and a checkpoint held elsewhere", async () => {
    const held = await heldFile();
    await sign(2);
    expect(run("ledger-checkpoint").code).toBe(0);
    const result = run("ledger-verify", "--checkpoint", held);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${council.organisation.name}: 6 records, head `);
    expect(result.stdout).toContain("signed checkpoint of 6");
    expect(result.stdout).toMatch(/; extends the 1 held checkpoint\(s\)\.$/m);
  }, 180_000);

  it("exits 1 when a held checkpoint shows a cut tail, the tree and checkpoints erased and made again", async () => {
    const held = await heldFile();
    await withDatabase(({ db }) =>
      withLedgerTriggersOff(
        db,
        sql`delete from attestations where organisation_id = ${council.organisation.id} and seq >= 6`,
        ...eraseTree(council.organisation.id),
      ),
    );
    expect(run("ledger-checkpoint").stdout).toContain("checkpoint of 5 records (was 0)");
    expect(run("ledger-verify").code).toBe(0);
    const result = run("ledger-verify", "--checkpoint", held);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Ledger BROKEN in ${council.organisation.name}: the log has 5 records, fewer than the 6 of a checkpoint it signed: its tail was cut`,
    );
  }, 180_000);

  it("exits 1 when a held checkpoint shows a history rewritten with the service's key", async () => {
    const held = await heldFile();
    await withDatabase(({ db }) =>
      withLedgerTriggersOff(
        db,
        sql`delete from attestations where organisation_id = ${council.organisation.id} and seq >= 3`,
        ...eraseTree(council.organisation.id),
      ),
    );
    await sign(3);
    expect(run("ledger-checkpoint").code).toBe(0);
    expect(run("ledger-verify").code).toBe(0);
    const result = run("ledger-verify", "--checkpoint", held);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the log's first 5 records no longer have the root the checkpoint signed");
  }, 180_000);

  it("refuses to checkpoint past a record written without the service's key, and exits 1 naming it", async () => {
    const forged = await withDatabase(({ db }) => forgedAppend(db, council.organisation.id));
    const result = run("ledger-checkpoint");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${council.organisation.slug}: checkpoint REFUSED at ${forged.reference} (record 6): its body signature does not hold`,
    );
  }, 180_000);
});
