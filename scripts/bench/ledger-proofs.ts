import { desc, eq, sql } from "drizzle-orm";
import { checkpointLedger, latestCheckpoint } from "~/attestation/checkpoints.server";
import { appendRecord, verifyLedger } from "~/attestation/ledger.server";
import { receiptFor } from "~/attestation/receipts.server";
import { verifyReceipt, parseTrustedKeys } from "~/ledger-proof/receipt";
import { serviceKeys } from "~/attestation/service-key.server";
import type { Db } from "~db/client.server";
import { attestations } from "~db/schema";
import { bulkLedger } from "./ledger";
import { benchDatabase, loadLine, machineLine, ms, percentileOf, pool, writeSection } from "./lib";

/** Appends `count` signed records through the ledger's own append, after the bulk-written ones. */
async function appendMore(db: Db, organisationId: string, count: number) {
  const [last] = await db
    .select()
    .from(attestations)
    .where(eq(attestations.organisationId, organisationId))
    .orderBy(desc(attestations.seq))
    .limit(1);
  await pool(count, 4, async (i) => {
    await appendRecord(db, {
      organisationId,
      kind: "signed",
      userId: last.userId,
      policyVersionId: last.policyVersionId,
      policySha256: last.policySha256,
      declarationText: last.declarationText,
      typedName: `Later ${i}`,
      recordedAt: new Date(),
      ip: "192.0.2.1",
      userAgent: "bench",
      qualifyingAttemptIds: last.qualifyingAttemptIds as string[],
      subjectReference: null,
      actorUserId: last.userId,
      reason: null,
      signerName: `Later ${i}`,
      signerEmployeeNumber: `L${i}`,
      reauthMethod: "password",
    });
  });
}

const seconds = (started: number) => (performance.now() - started) / 1000;

/**
 * `npm run bench -- ledger-proofs [--verify-count N]`: issue 19's targets at a million records on PostgreSQL: a
 * receipt's generation (p95), and `ledger:verify`'s check of the whole ledger, including what catches a forged
 * append (the tree against the latest signed checkpoint, body signatures after it, consistency with a held checkpoint).
 */
export async function benchLedgerProofs(options: { count: number; receipts: number; after: number }) {
  const loadBefore = loadLine();
  const bench = await benchDatabase(4);
  try {
    const db = bench.database.db;
    console.error(`ledger-proofs: writing ${options.count.toLocaleString("en-GB")} signed records of format 2…`);
    let started = performance.now();
    const organisationId = await bulkLedger(db, options.count, 2);
    const seedSeconds = seconds(started);
    console.error(`  ${seedSeconds.toFixed(1)} s; the first checkpoint of them all…`);
    started = performance.now();
    const first = await checkpointLedger(db, organisationId);
    const firstSeconds = seconds(started);
    if (first.status !== "checkpointed") throw new Error(`first checkpoint: ${JSON.stringify(first)}`);
    const held = (await latestCheckpoint(db, organisationId))!.signedNote;
    // As autovacuum would soon after a bulk load: without statistics the planner takes the fresh tables for empty.
    await db.execute(sql`analyze attestations, ledger_tree_nodes, ledger_checkpoints`);
    console.error(`  ${firstSeconds.toFixed(1)} s; ${options.after} more through the append, and their checkpoint…`);
    await appendMore(db, organisationId, options.after);
    started = performance.now();
    const next = await checkpointLedger(db, organisationId);
    const nextSeconds = seconds(started);
    if (next.status !== "checkpointed") throw new Error(`next checkpoint: ${JSON.stringify(next)}`);

    console.error(`  ${nextSeconds.toFixed(2)} s; ${options.receipts} receipts…`);
    const size = options.count + options.after;
    const picks = Array.from({ length: options.receipts }, () => 1 + Math.floor(Math.random() * size));
    const references = await db
      .select({ reference: attestations.reference })
      .from(attestations)
      .where(
        sql`${attestations.organisationId} = ${organisationId} and ${attestations.seq} = any(${`{${picks.join(",")}}`}::int[])`,
      );
    const durations: number[] = [];
    const receipts: string[] = [];
    for (const { reference } of references) {
      const t = performance.now();
      const receipt = await receiptFor(db, reference);
      durations.push(performance.now() - t);
      if (!receipt) throw new Error(`no receipt for ${reference}`);
      receipts.push(receipt);
    }
    const trusted = await parseTrustedKeys(
      serviceKeys()
        .verifiers.map((v) => v.verifierKey)
        .join("\n"),
    );
    const sample = await verifyReceipt(receipts[0], trusted);
    if (!sample.valid) throw new Error(`a receipt does not verify: ${JSON.stringify(sample)}`);

    // Records after the latest checkpoint: their body signatures are what verification checks one by one.
    await appendMore(db, organisationId, options.after);
    console.error(
      `  p95 ${ms(percentileOf(durations, 95))}; verifying ${(size + options.after).toLocaleString("en-GB")} records…`,
    );
    started = performance.now();
    const report = await verifyLedger(db, { organisationId, heldCheckpoints: [held] });
    const verifySeconds = seconds(started);
    if (!report.ok) throw new Error(`verification failed: ${JSON.stringify(report.problem)}`);
    console.error(`  ${verifySeconds.toFixed(2)} s`);

    const n = (value: number) => value.toLocaleString("en-GB");
    const markdown = `## Ledger proofs at a million records: receipts and verification (PostgreSQL 15)

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- ledger-proofs\` (scripts/bench/ledger-proofs.ts).
Machine load (\`uptime\`, 1/5/15 min): ${loadBefore} before, ${loadLine()} after.
One council's ledger: ${n(options.count)} signed records of format 2 written in bulk with the app's own hashes and body signatures (${seedSeconds.toFixed(0)} s), its first checkpoint, \`ANALYZE\` (as autovacuum does after a bulk load), then ${n(options.after)} through \`appendRecord\`, and ${n(options.after)} more after the last checkpoint.

| measure | result | target |
| --- | --- | --- |
| the first checkpoint of ${n(options.count)} records (every record's position, link, hash and body signature checked; leaves and subtrees stored; signed) | ${firstSeconds.toFixed(1)} s (${n(Math.round(options.count / firstSeconds))} records/s) | recorded |
| a checkpoint of ${n(options.after)} new records | ${nextSeconds.toFixed(2)} s | recorded |
| a record's receipt (\`receiptFor\`: the record, its inclusion proof from the stored tree, the checkpoint), ${durations.length} random records of ${n(size)}, p95 | ${ms(percentileOf(durations, 95))} (median ${ms(percentileOf(durations, 50))}) | < 20 ms |
| \`verifyLedger\` (\`ledger:verify\`) over ${n(size + options.after)} records: hashes and links, the stored tree against the latest signed checkpoint, the ${n(options.after)} body signatures after it, and consistency with a checkpoint held elsewhere | ${verifySeconds.toFixed(2)} s | < 10 s |`;
    writeSection("ledger-proofs", markdown);
    console.log(markdown);
  } finally {
    await bench.drop();
  }
}
