import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendRecord, canonicalBody, newReference, recordHash, verifyReference } from "~/attestation/ledger.server";
import { generateSigningKey, parseSigningKey, serviceKeys, signBody } from "~/attestation/service-key.server";
import { attestations } from "~db/schema";
import { openDatabase, type Database } from "~db/client.server";
import { freshDatabase, migratedPgliteDirectory } from "../test/support/database";
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
    database = await migratedPgliteDirectory(join(folder, "data"));
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
      qualifyingAttemptIds: [randomUUID(), randomUUID(), randomUUID()],
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
  return runWith({}, args);
}
run.withEnv = (extra: Record<string, string>, ...args: string[]) => runWith(extra, args);

function runWith(extra: Record<string, string>, args: string[]) {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, LOG_LEVEL: "silent", ...env, ...extra }))
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

  it("agrees with /verify on a record whose qualifyingAttemptIds were reordered in place: both accept it", async () => {
    await tamper(
      sql`update attestations set qualifying_attempt_ids = (select jsonb_agg(x order by x collate "C" desc) from jsonb_array_elements_text(qualifying_attempt_ids) x) where reference = ${references[0].reference}`,
    );
    const result = run();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const db = folder ? await openDatabase({ pgliteDir: env.PGLITE_DIR! }) : database;
    const [stored] = await db.db.select().from(attestations).where(eq(attestations.reference, references[0].reference));
    expect(stored.qualifyingAttemptIds).toEqual([...stored.qualifyingAttemptIds].sort().reverse());
    expect(await verifyReference(db.db, references[0].reference, references[0].hash)).toMatchObject({ found: true });
    if (folder) await db.close();
  });

  it("keeps verifying after the signing key is rotated, with the old key listed in LEDGER_VERIFIER_KEYS, and not without", () => {
    const newKey = generateSigningKey("ledger-test-key.invalid");
    const oldVerifier = serviceKeys().signer.verifierKey;
    const rotated = run.withEnv({
      LEDGER_SIGNING_KEY: newKey,
      LEDGER_VERIFIER_KEYS: `${oldVerifier}@/2099-01-01T00:00:00Z`,
    });
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    const forgotten = run.withEnv({ LEDGER_SIGNING_KEY: newKey });
    expect(forgotten.code).toBe(1);
    expect(forgotten.stderr).toContain(
      `(record 1): it is signed by ${serviceKeys().signer.keyId}, a key this service does not know`,
    );
  }, 120_000);

  it("exits 1 naming a record appended with a correct hash by someone without the service's key (triggers disabled)", async () => {
    const db = folder ? await openDatabase({ pgliteDir: env.PGLITE_DIR! }) : database;
    const [head] = await db.db.select().from(attestations).where(eq(attestations.reference, references[2].reference));
    if (folder) await db.close();
    const forgerKey = parseSigningKey(generateSigningKey("ledger-test-key.invalid"));
    const draft = { ...head, seq: 4, reference: newReference(), previousHash: head.hash, typedName: "Somebody Else" };
    const forged = { ...draft, bodySignature: signBody(forgerKey, canonicalBody(draft)) };
    forged.hash = recordHash(forged);
    await tamper(
      sql`insert into attestations (organisation_id, seq, reference, kind, user_id, policy_version_id, policy_sha256, declaration_text,
            typed_name, recorded_at, qualifying_attempt_ids, previous_hash, hash, format_version, key_id, body_signature)
          values (${forged.organisationId}, ${forged.seq}, ${forged.reference}, ${forged.kind}, ${forged.userId}, ${forged.policyVersionId},
            ${forged.policySha256}, ${forged.declarationText}, ${forged.typedName}, ${forged.recordedAt.toISOString()},
            ${JSON.stringify(forged.qualifyingAttemptIds)}::jsonb, ${forged.previousHash}, ${forged.hash}, 2, ${forged.keyId}, ${forged.bodySignature})`,
    );
    // Before format 2 this passed: the hash is right and the chain links. The body signature is not the service's.
    const result = run("--expect-head", `${forged.reference}:${forged.hash}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `at ${forged.reference} (record 4): its body signature does not hold under the service's key ${forged.keyId}`,
    );
    const check = folder ? await openDatabase({ pgliteDir: env.PGLITE_DIR! }) : database;
    expect(await verifyReference(check.db, forged.reference, forged.hash)).toEqual({ found: false });
    if (folder) await check.close();
    await tamper(sql`delete from attestations where reference = ${forged.reference}`);
  }, 120_000);

  it("exits 1 when an expected head was cut from the end", async () => {
    await tamper(sql`delete from attestations where reference = ${references[2].reference}`);
    expect(run().code).toBe(0);
    const result = run("--expect-head", `${references[2].reference}:${references[2].hash}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the expected head ${references[2].reference} is gone: records were cut from the end`,
    );
  }, 120_000);
  it("exits 1 naming the first altered record", async () => {
    await tamper(sql`update attestations set typed_name = 'Forged' where reference = ${references[1].reference}`);
    const result = run();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`at ${references[1].reference} (record 2): its contents do not match its hash`);
  });
});
