import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import pino from "pino";
import { canonicalBody, GENESIS_HASH, newReference, recordHash, verifyLedger } from "~/attestation/ledger.server";
import { checkBodySignature, serviceKeys, signBody } from "~/attestation/service-key.server";
import { signCodeOfConduct } from "~/attestation/signing.server";
import type { CurrentUser } from "~/auth/session.server";
import { loadConfig } from "~/config.server";
import { createHttpApp } from "~/http/server.server";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import type { Db } from "~db/client.server";
import { attestations, organisations, users } from "~db/schema";
import {
  aCouncil,
  aModuleContent,
  aPerson,
  aPolicyVersion,
  asCurrentUser,
  TEST_PASSWORD,
  answerEveryQuestion,
} from "../../test/support/factories";
import { HttpClient } from "../../test/support/http";
import { TEST_SIGNING_KEY_FILE } from "../../test/support/ledger-test-key";
import { loadBuild } from "../../test/support/server";
import { benchDatabase, cpuMeter, loadLine, machineLine, ms, percentileOf, pool, writeSection } from "./lib";

const noPasswordCheck = { checkPassword: async () => true };

async function signersReady(db: Db, count: number) {
  const council = await aCouncil(db);
  await syncTrainingModules(db, [aModuleContent(council.organisation.slug) as unknown as TrainingModule], new Date());
  const version = await aPolicyVersion(db, council.organisation.id, { label: "1" });
  const people: CurrentUser[] = [];
  // One password hash for everyone: hashing is not what is measured.
  const template = await aPerson(db, {
    organisationId: council.organisation.id,
    teamId: council.teamA.id,
    name: "Template",
  });
  const rows = await db
    .insert(users)
    .values(
      Array.from({ length: count }, (_, i) => ({
        organisationId: council.organisation.id,
        teamId: council.teamA.id,
        employeeNumber: `B${i}-${randomUUID().slice(0, 8)}`,
        name: `Signer ${i}`,
        email: `signer-${i}-${randomUUID().slice(0, 8)}@bench.test`,
        passwordHash: template.passwordHash,
        startDate: "2025-01-01",
      })),
    )
    .returning();
  await pool(rows.length, 20, async (i) => {
    const person = asCurrentUser(rows[i], council.organisation);
    const attemptId = (await startOrResumeAttempt(db, person, "test-module", new Date()))!;
    await answerEveryQuestion(db, person, "test-module", attemptId, new Date());
    people.push(person);
  });
  return { council, version, people };
}

const signInput = (versionId: string, person: CurrentUser) => ({
  policyVersionId: versionId,
  declarationRead: "yes" as const,
  declarationFollow: "yes" as const,
  declarationConsequences: "yes" as const,
  typedName: person.name,
  password: TEST_PASSWORD,
});

export async function domainAppends(signers: number, concurrency: number, connections = concurrency) {
  const bench = await benchDatabase(connections);
  try {
    const { version, people, council } = await signersReady(bench.database.db, signers);
    const started = performance.now();
    const meter = cpuMeter(bench.name);
    const durations = await pool(people.length, concurrency, async (i) => {
      const result = await signCodeOfConduct(
        bench.database.db,
        people[i],
        signInput(version.id, people[i]),
        { ip: "127.0.0.1", requestId: null, now: new Date() },
        noPasswordCheck,
      );
      if (!result.ok || !result.created) throw new Error("a signing failed");
    });
    const seconds = (performance.now() - started) / 1000;
    const used = meter();
    const report = await verifyLedger(bench.database.db, { organisationId: council.organisation.id });
    return {
      rate: signers / seconds,
      p95: percentileOf(durations, 95),
      intact: report.ok && report.records === signers,
      nodeMs: used.nodeMs / signers,
      postgresMs: used.postgresMs / signers,
    };
  } finally {
    await bench.drop();
  }
}

async function httpSignings(signers: number, concurrency: number) {
  const bench = await benchDatabase(10);
  const config = loadConfig({
    NODE_ENV: "production",
    SESSION_SECRET: "x".repeat(40),
    SERVICE_URL: "https://bench.example",
    LEDGER_SIGNING_KEY_FILE: TEST_SIGNING_KEY_FILE,
    LOG_LEVEL: "silent",
  });
  const app = createHttpApp({
    database: bench.database,
    config,
    build: await loadBuild(),
    logger: pino({ level: "silent" }),
    mailer: null,
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((r) => server.once("listening", r));
  const address = server.address() as { port: number };
  try {
    const { version, people } = await signersReady(bench.database.db, signers);
    const clients = await Promise.all(
      people.map(async (p) => {
        const client = new HttpClient(`http://127.0.0.1:${address.port}`);
        await client.signIn(p.email ?? "", TEST_PASSWORD);
        return client;
      }),
    );
    const started = performance.now();
    const durations = await pool(clients.length, concurrency, async (i) => {
      const response = await clients[i].post("/code-of-conduct", signInput(version.id, people[i]));
      if (response.status !== 302) throw new Error(`signing answered ${response.status}`);
    });
    const seconds = (performance.now() - started) / 1000;
    return { rate: signers / seconds, p95: percentileOf(durations, 95) };
  } finally {
    server.closeAllConnections();
    server.close();
    await bench.drop();
  }
}

/** 1,000 signings from 200 concurrent clients through a pool the size of the app's (10). */
async function unforkedUnderLoad() {
  const bench = await benchDatabase(10);
  try {
    const { version, people, council } = await signersReady(bench.database.db, 1000);
    await pool(people.length, 200, (i) =>
      signCodeOfConduct(
        bench.database.db,
        people[i],
        signInput(version.id, people[i]),
        { ip: null, requestId: null, now: new Date() },
        noPasswordCheck,
      ),
    );
    const rows = await bench.database.db.execute(
      sql`select count(*)::int as n, count(distinct previous_hash)::int as distinct_previous from attestations where organisation_id = ${council.organisation.id}`,
    );
    const [counts] = (Array.isArray(rows) ? rows : (rows as unknown as { rows: unknown[] }).rows) as {
      n: number;
      distinct_previous: number;
    }[];
    const report = await verifyLedger(bench.database.db, { organisationId: council.organisation.id });
    return { records: counts.n, forks: counts.n - counts.distinct_previous, intact: report.ok };
  } finally {
    await bench.drop();
  }
}

/**
 * Writes `count` records exactly as the app would (same canonical JSON, hashes and, for format 2, body signatures
 * under the service key), in bulk. Format 1 is the chain as the service wrote it before format 2: the baseline.
 */
export async function bulkLedger(db: Db, count: number, format: 1 | 2 = 2) {
  const council = await aCouncil(db);
  const version = await aPolicyVersion(db, council.organisation.id);
  const [org] = await db
    .select({ id: organisations.id })
    .from(organisations)
    .where(sql`${organisations.id} = ${council.organisation.id}`);
  const key = serviceKeys().signer;
  let previousHash = GENESIS_HASH;
  const start = Date.UTC(2025, 0, 1);
  // Real records name the two or three passed attempts that qualified the signer.
  const attemptIds = [randomUUID(), randomUUID(), randomUUID()].sort();
  const BATCH = 2000; // 28 parameters a row: PostgreSQL takes at most 65,535 in one statement
  for (let offset = 0; offset < count; offset += BATCH) {
    const rows = [];
    for (let seq = offset + 1; seq <= Math.min(count, offset + BATCH); seq++) {
      const record = {
        organisationId: org.id,
        kind: "signed" as const,
        userId: council.staff.id,
        policyVersionId: version.id,
        policySha256: version.sha256,
        declarationText:
          "I have read and understood this code of conduct.\nI will follow it.\nI understand what a breach may lead to.",
        typedName: `Person ${seq}`,
        recordedAt: new Date(start + seq * 1000),
        ip: "192.0.2.1",
        userAgent: "bench",
        qualifyingAttemptIds: attemptIds,
        subjectReference: null,
        actorUserId: council.staff.id,
        reason: null,
        seq,
        reference: `${newReference()}-${seq}`,
        previousHash,
        formatVersion: format,
        ...(format === 2
          ? { signerName: `Person ${seq}`, signerEmployeeNumber: `E${seq}`, reauthMethod: "password", keyId: key.keyId }
          : {}),
      };
      const signed = format === 2 ? { ...record, bodySignature: signBody(key, canonicalBody(record)) } : record;
      const hash = recordHash(signed);
      rows.push({ ...signed, hash });
      previousHash = hash;
    }
    await db.insert(attestations).values(rows);
  }
  return council.organisation.id;
}

async function verifyMillion(count: number, format: 1 | 2) {
  const bench = await benchDatabase(4);
  try {
    const seedStarted = performance.now();
    const organisationId = await bulkLedger(bench.database.db, count, format);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const started = performance.now();
    const report = await verifyLedger(bench.database.db, { organisationId });
    const seconds = (performance.now() - started) / 1000;
    if (!report.ok || report.records !== count)
      throw new Error(`verification failed: ${JSON.stringify(report.problem)}`);
    return { seconds, seedSeconds };
  } finally {
    await bench.drop();
  }
}

/** Node's cost of the service's signature: signing a typical body (added to each signing) and checking one (each verify). */
function signatureCosts() {
  const key = serviceKeys().signer;
  const body = canonicalBody({
    organisationId: randomUUID(),
    kind: "signed",
    userId: randomUUID(),
    policyVersionId: randomUUID(),
    policySha256: "0".repeat(64),
    declarationText:
      "I have read and understood this code of conduct.\nI will follow it.\nI understand what a breach may lead to.",
    typedName: "Person",
    recordedAt: new Date(),
    ip: "192.0.2.1",
    userAgent: "bench",
    qualifyingAttemptIds: [randomUUID(), randomUUID()],
    subjectReference: null,
    actorUserId: null,
    reason: null,
    seq: 0,
    reference: newReference(),
    previousHash: "",
    keyId: key.keyId,
  });
  const n = 5_000;
  let started = performance.now();
  const signatures = [];
  for (let i = 0; i < n; i++) signatures.push(signBody(key, body));
  const signUs = ((performance.now() - started) * 1000) / n;
  const record = { keyId: key.keyId, bodySignature: signatures[0], recordedAt: new Date() };
  started = performance.now();
  for (let i = 0; i < n; i++) checkBodySignature(serviceKeys(), record, body);
  const verifyUs = ((performance.now() - started) * 1000) / n;
  return { signUs, verifyUs };
}

/**
 * `npm run bench -- ledger --verify-only`: what format 2 costs, measured in one run against its own baseline: Node's
 * time to sign and check one body, and verifyLedger over the same number of records of format 1 and of format 2.
 */
async function benchLedgerFormat2(verifyCount: number) {
  const loadBefore = loadLine();
  const costs = signatureCosts();
  console.error(`  Ed25519 in Node: sign ${costs.signUs.toFixed(0)} µs, verify ${costs.verifyUs.toFixed(0)} µs`);
  console.error(`ledger: verifying ${verifyCount.toLocaleString("en-GB")} records of format 1 (the baseline)…`);
  const verify1 = await verifyMillion(verifyCount, 1);
  console.error(`  ${verify1.seconds.toFixed(2)} s`);
  console.error(`ledger: verifying ${verifyCount.toLocaleString("en-GB")} records of format 2…`);
  const verify2 = await verifyMillion(verifyCount, 2);
  console.error(`  ${verify2.seconds.toFixed(2)} s`);
  const perSecond = (seconds: number) => `${Math.round(verifyCount / seconds).toLocaleString("en-GB")} records/s`;
  const markdown = `## The ledger's format 2: the service's signature (PostgreSQL 15)

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- ledger --verify-count ${verifyCount} --verify-only\` (scripts/bench/ledger.ts).
Machine load (\`uptime\`, 1/5/15 min): ${loadBefore} before, ${loadLine()} after.

| measure | result |
| --- | --- |
| Node's CPU for the service's Ed25519 signature: signing one record body (added to each signing), checking one | sign ${costs.signUs.toFixed(0)} µs, check ${costs.verifyUs.toFixed(0)} µs (${Math.round(1e6 / costs.verifyUs).toLocaleString("en-GB")} checks/s on one core) |
| \`verifyLedger\`, ${verifyCount.toLocaleString("en-GB")} records of format 1 (the baseline: hashes and links, in PostgreSQL) | ${verify1.seconds.toFixed(2)} s (${perSecond(verify1.seconds)}) |
| \`verifyLedger\`, ${verifyCount.toLocaleString("en-GB")} records of format 2 (the same, and every body signature checked in Node at once) | ${verify2.seconds.toFixed(2)} s (${perSecond(verify2.seconds)}) |`;
  writeSection("ledger-format-2", markdown);
  console.log(markdown);
}

export async function benchLedger(options: { verifyCount: number; verifyOnly?: boolean }) {
  if (options.verifyOnly) return benchLedgerFormat2(options.verifyCount);
  const loadBefore = loadLine();
  console.error("ledger: 50 concurrent signers through the domain function…");
  const domain = await domainAppends(1000, 50);
  console.error(`  ${domain.rate.toFixed(0)} appends/s, p95 ${ms(domain.p95)}, intact ${domain.intact}`);
  console.error("ledger: whole signing requests over HTTP…");
  const http = await httpSignings(200, 50);
  console.error(`  ${http.rate.toFixed(0)} signings/s, p95 ${ms(http.p95)}`);
  console.error("ledger: 1,000 signings from 200 concurrent clients…");
  const load = await unforkedUnderLoad();
  console.error(`  ${load.records} records, ${load.forks} forks, intact ${load.intact}`);
  const costs = signatureCosts();
  console.error(`  Ed25519 in Node: sign ${costs.signUs.toFixed(0)} µs, verify ${costs.verifyUs.toFixed(0)} µs`);
  console.error(`ledger: verifying ${options.verifyCount.toLocaleString("en-GB")} records of format 1 (the baseline)…`);
  const verify1 = await verifyMillion(options.verifyCount, 1);
  console.error(`  ${verify1.seconds.toFixed(2)} s`);
  console.error(`ledger: verifying ${options.verifyCount.toLocaleString("en-GB")} records of format 2…`);
  const verify = await verifyMillion(options.verifyCount, 2);
  console.error(`  ${verify.seconds.toFixed(2)} s`);
  const markdown = `## Signing and the ledger (PostgreSQL 15)

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- ledger\` (scripts/bench/ledger.ts).
Machine load (\`uptime\`, 1/5/15 min): ${loadBefore} before, ${loadLine()} after.

| measure | result | target |
| --- | --- | --- |
| appends/s, signing domain function (all checks but the password hash), 50 concurrent signers, 1,000 signings | ${domain.rate.toFixed(0)}/s (p95 ${ms(domain.p95)}; CPU per signing: Node ${domain.nodeMs.toFixed(2)} ms, PostgreSQL ${domain.postgresMs.toFixed(2)} ms), chain intact: ${domain.intact ? "yes" : "NO"} | ≥ 300/s |
| whole signing requests/s over HTTP (sign page POST incl. scrypt password check), 50 concurrent, 200 signings | ${http.rate.toFixed(0)}/s (p95 ${ms(http.p95)}) | recorded |
| 1,000 signings from 200 concurrent clients through a 10-connection pool | ${load.records} records, ${load.forks} forks, verify ${load.intact ? "intact" : "BROKEN"} | 0 forks |
| Node's CPU for the service's Ed25519 signature (docs/ledger.md): signing one record body, checking one | sign ${costs.signUs.toFixed(0)} µs, check ${costs.verifyUs.toFixed(0)} µs (${(1e6 / costs.verifyUs).toFixed(0)} checks/s on one core) | recorded |
| \`verifyLedger\` over ${options.verifyCount.toLocaleString("en-GB")} records of format 1, as written before format 2: the baseline (written in ${verify1.seedSeconds.toFixed(1)} s) | ${verify1.seconds.toFixed(2)} s | < 10 s |
| \`verifyLedger\` over ${options.verifyCount.toLocaleString("en-GB")} records of format 2, every body signature checked (written, and signed, in ${verify.seedSeconds.toFixed(1)} s) | ${verify.seconds.toFixed(2)} s | recorded (issue 19's checkpoints will bound it) |

The HTTP figure is bounded by the deliberate scrypt cost of re-entering the password (about 50–100 ms of CPU each on 2 cores).`;
  writeSection("ledger", markdown);
  console.log(markdown);
}
