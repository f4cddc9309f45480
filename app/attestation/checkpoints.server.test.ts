import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { toBase64 } from "~/ledger-proof/bytes";
import { openCheckpoint } from "~/ledger-proof/checkpoint";
import { inMemoryTree, rootHash } from "~/ledger-proof/merkle";
import { queryRows } from "~db/client.server";
import { attestations } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aPolicyVersion, aSignature } from "../../test/support/factories";
import { eraseTree, forgedAppend, insertRow, withLedgerTriggersOff } from "../../test/support/ledger-forgery";
import { startCheckpointer } from "./checkpointer.server";
import { checkpointAll, checkpointLedger, latestCheckpoint } from "./checkpoints.server";
import { leafHashOf } from "./ledger-tree.server";
import { CANONICAL_SQL, recordHash, verifyLedger } from "./ledger.server";
import { generateSigningKey, noteVerifierOf, parseSigningKey, serviceKeys } from "./service-key.server";

const database = await freshDatabase();
const db = database.db;

async function aCouncilSigning() {
  const council = await aCouncil(db);
  const version = await aPolicyVersion(db, council.organisation.id);
  let at = Date.UTC(2026, 0, 5, 9);
  const sign = async (count: number) => {
    for (let i = 0; i < count; i++)
      await aSignature(
        db,
        { ...council.staff, organisationId: council.organisation.id },
        version,
        new Date((at += 1000)),
      );
  };
  return { organisationId: council.organisation.id, slug: council.organisation.slug, sign };
}

/** The leaf hashes of an organisation's records, computed afresh from the rows. */
async function leavesOf(organisationId: string) {
  const rows = await queryRows<{ canonical: string }>(
    db,
    sql`select ${CANONICAL_SQL} as canonical from attestations a where a.organisation_id = ${organisationId} order by a.seq`,
  );
  return rows.map((r) => leafHashOf(r.canonical));
}

async function storedNodes(organisationId: string) {
  return queryRows<{ level: number; index: string | number; hash: string }>(
    db,
    sql`select level, index, encode(hash, 'hex') as hash from ledger_tree_nodes
        where organisation_id = ${organisationId} order by level, index`,
  );
}

describe("the checkpointer", () => {
  it("keeps every complete subtree and signs checkpoints whose roots are the tree's, checkpoint after checkpoint", async () => {
    const { organisationId, slug, sign } = await aCouncilSigning();
    const verifiers = serviceKeys().verifiers.map(noteVerifierOf);
    // Sizes that start and end on and off powers of two, and batches smaller than the new records.
    for (const [add, batch] of [
      [1, 5000],
      [2, 5000],
      [1, 5000],
      [5, 2],
      [9, 4],
      [6, 3],
      [14, 5000],
    ]) {
      await sign(add);
      const outcome = await checkpointLedger(db, organisationId, serviceKeys(), { batch });
      const leaves = await leavesOf(organisationId);
      expect(outcome).toMatchObject({ status: "checkpointed", size: leaves.length });
      const expectedRoot = await rootHash(leaves.length, inMemoryTree(leaves));
      const latest = await latestCheckpoint(db, organisationId);
      expect(latest).toMatchObject({ treeSize: leaves.length, rootHash: toBase64(expectedRoot) });
      const opened = await openCheckpoint(latest!.signedNote, verifiers);
      expect(opened.checkpoint).toEqual({
        origin: `ledger-test-key.invalid/ledger/${slug}`,
        size: leaves.length,
        rootHash: new Uint8Array(expectedRoot),
        extensions: [],
      });
      // Every complete subtree, once, and nothing else.
      const tree = inMemoryTree(leaves);
      const expected: { level: number; index: number; hash: string }[] = [];
      for (let level = 0; 2 ** level <= leaves.length; level++)
        for (let index = 0; (index + 1) * 2 ** level <= leaves.length; index++)
          expected.push({ level, index, hash: Buffer.from(await tree(level, index)).toString("hex") });
      expect((await storedNodes(organisationId)).map((n) => ({ ...n, index: Number(n.index) }))).toEqual(expected);
    }
    expect(await checkpointLedger(db, organisationId)).toEqual({ status: "up-to-date", size: 38 });
  });

  it("refuses to checkpoint a forged append whose hash is right, checkpointing the records before it; verification reports it too", async () => {
    const { organisationId, sign } = await aCouncilSigning();
    await sign(3);
    expect(await checkpointLedger(db, organisationId)).toMatchObject({ status: "checkpointed", size: 3 });
    await sign(2);
    const forged = await forgedAppend(db, organisationId);
    await sign(3); // appended after the forgery, linking to it

    // In batches of two, the forgery is found while the batch after it is being read.
    const outcome = await checkpointLedger(db, organisationId, serviceKeys(), { batch: 2 });
    expect(outcome).toEqual({
      status: "refused",
      size: 5,
      problem: {
        reference: forged.reference,
        seq: 6,
        reason: "its body signature does not hold under the service's key: it was written or changed without it",
      },
    });
    expect((await latestCheckpoint(db, organisationId))?.treeSize).toBe(5);
    // Tried again, it still refuses, and signs nothing more.
    expect(await checkpointLedger(db, organisationId)).toMatchObject({ status: "refused", size: 5 });
    expect(
      await queryRows(
        db,
        sql`select count(*)::int as n from ledger_checkpoints where organisation_id = ${organisationId}`,
      ),
    ).toEqual([{ n: 2 }]);
    const report = await verifyLedger(db, { organisationId });
    expect(report.problem).toMatchObject({ reference: forged.reference, seq: 6 });
  });

  it("refuses a forged append that carries no signature at all", async () => {
    const { organisationId, sign } = await aCouncilSigning();
    await sign(2);
    const forged = await forgedAppend(db, organisationId, () => ({
      formatVersion: 1,
      keyId: null,
      bodySignature: null,
      signerName: null,
      signerEmployeeNumber: null,
      reauthMethod: null,
    }));
    expect(await checkpointLedger(db, organisationId)).toMatchObject({
      status: "refused",
      size: 2,
      problem: {
        reference: forged.reference,
        reason: expect.stringMatching(/format version 1 after a record of version 2/),
      },
    });
  });

  it("run at once by several processes, checkpoints each size once", async () => {
    const { organisationId, sign } = await aCouncilSigning();
    await sign(6);
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => checkpointLedger(db, organisationId)));
    expect(outcomes.filter((o) => o.status === "checkpointed")).toHaveLength(1);
    expect(outcomes.every((o) => ["checkpointed", "busy", "up-to-date"].includes(o.status))).toBe(true);
    expect(
      await queryRows(
        db,
        sql`select count(*)::int as n from ledger_tree_nodes where organisation_id = ${organisationId}`,
      ),
    ).toEqual([{ n: 6 + 3 + 1 }]);
  });

  it("checkpointAll covers every council with new records, and only those", async () => {
    const a = await aCouncilSigning();
    const b = await aCouncilSigning();
    await a.sign(2);
    await b.sign(1);
    await checkpointLedger(db, b.organisationId);
    await b.sign(0);
    const runs = await checkpointAll(db);
    const mine = runs.filter((r) => [a.organisationId, b.organisationId].includes(r.organisationId));
    expect(mine).toEqual([
      {
        organisationId: a.organisationId,
        slug: a.slug,
        outcome: expect.objectContaining({ status: "checkpointed", size: 2 }),
      },
    ]);
  });

  it("in the server process, checkpoints when asked and logs a refusal", async () => {
    const { organisationId, slug, sign } = await aCouncilSigning();
    const lines: string[] = [];
    // Never fired by its clock here: flush runs what schedule asked for.
    const checkpointer = startCheckpointer(db, {
      log: (level, message) => void lines.push(`${level} ${message}`),
      delayMs: 3_600_000,
      intervalMs: 3_600_000,
    });
    try {
      await sign(2);
      await checkpointer.flush();
      expect(await latestCheckpoint(db, organisationId)).toBeNull();
      checkpointer.schedule();
      checkpointer.schedule();
      await checkpointer.flush();
      expect((await latestCheckpoint(db, organisationId))?.treeSize).toBe(2);
      expect(lines).toContain(`info Ledger checkpoint of ${slug}: 2 records`);
      const forged = await forgedAppend(db, organisationId);
      checkpointer.schedule();
      await checkpointer.flush();
      // (Other councils of this file carry forgeries of their own.)
      expect(lines.filter((l) => l.startsWith("error") && l.includes(slug))).toEqual([
        expect.stringContaining(`Ledger checkpoint of ${slug} REFUSED at record 3 (${forged.reference})`),
      ]);
    } finally {
      await checkpointer.stop();
    }
  });
});

describe("verification with the tree (ledger:verify)", () => {
  async function checkpointed(count: number) {
    const council = await aCouncilSigning();
    await council.sign(count);
    await checkpointLedger(db, council.organisationId);
    const held = (await latestCheckpoint(db, council.organisationId))!.signedNote;
    return { ...council, held };
  }
  const verify = (organisationId: string, heldCheckpoints?: string[]) =>
    verifyLedger(db, { organisationId, heldCheckpoints });

  it("passes an intact ledger, naming its checkpoint, and a held checkpoint it extends", async () => {
    const { organisationId, sign, held } = await checkpointed(5);
    await sign(3);
    await checkpointLedger(db, organisationId);
    await sign(1);
    const report = await verify(organisationId, [held]);
    expect(report).toMatchObject({ ok: true, problem: null });
    expect(report.chains[0]).toMatchObject({ records: 9, checkpoint: 8 });
  });

  it("catches a checkpointed record rewritten with a recomputed hash and chain, without checking its signature", async () => {
    const { organisationId } = await checkpointed(4);
    const rows = await db.select().from(attestations).where(eq(attestations.organisationId, organisationId));
    rows.sort((a, b) => a.seq - b.seq);
    // Record 2 changed, its hash recomputed, and every later record relinked: the chain alone holds.
    const statements = [sql`delete from attestations where organisation_id = ${organisationId} and seq >= 2`];
    let previous = rows[0].hash;
    for (const row of rows.slice(1)) {
      const changed = { ...row, previousHash: previous, typedName: row.seq === 2 ? "Somebody Else" : row.typedName };
      changed.hash = recordHash(changed);
      previous = changed.hash;
      statements.push(insertRow(changed));
    }
    await withLedgerTriggersOff(db, ...statements);
    expect((await verify(organisationId)).problem).toMatchObject({
      seq: 2,
      reason: expect.stringMatching(/its leaf in the Merkle tree differs\): the history was rewritten$/),
    });
  });

  it("names a checkpointed record whose hash column alone was changed, within the checkpoint and at its end", async () => {
    for (const seq of [2, 4]) {
      const { organisationId } = await checkpointed(4);
      await withLedgerTriggersOff(
        db,
        sql`update attestations set hash = repeat('ab', 32) where organisation_id = ${organisationId} and seq = ${seq}`,
      );
      expect((await verify(organisationId)).problem).toMatchObject({
        seq,
        reason: "its contents do not match its hash: the record was altered",
      });
    }
  });

  it("catches a stored node changed or missing, a checkpoint not signed by the service, and records cut from the end", async () => {
    const tampered = await checkpointed(4);
    await withLedgerTriggersOff(
      db,
      sql`update ledger_tree_nodes set hash = sha256('x'::bytea) where organisation_id = ${tampered.organisationId} and level = 1 and index = 1`,
    );
    expect((await verify(tampered.organisationId)).problem?.reason).toMatch(
      /^its stored Merkle tree does not hold together at level 1, node 1: it was altered/,
    );
    const lacking = await checkpointed(4);
    await withLedgerTriggersOff(
      db,
      sql`delete from ledger_tree_nodes where organisation_id = ${lacking.organisationId} and level = 2 and index = 0`,
    );
    expect((await verify(lacking.organisationId)).problem?.reason).toBe(
      "its stored Merkle tree is incomplete (0 of the 1 nodes of level 2): it was altered",
    );
    const leafless = await checkpointed(4);
    await withLedgerTriggersOff(
      db,
      sql`delete from ledger_tree_nodes where organisation_id = ${leafless.organisationId} and level = 0 and index = 3`,
    );
    expect((await verify(leafless.organisationId)).problem).toMatchObject({
      seq: 4,
      reason: "its leaf in the Merkle tree the latest signed checkpoint covers is missing: the stored tree was altered",
    });

    const unsigned = await checkpointed(2);
    await unsigned.sign(1);
    const otherKeys = {
      signer: parseSigningKey(generateSigningKey("ledger-test-key.invalid")),
      verifiers: serviceKeys().verifiers,
    };
    expect(await checkpointLedger(db, unsigned.organisationId, otherKeys)).toMatchObject({ status: "checkpointed" });
    expect((await verify(unsigned.organisationId)).problem?.reason).toMatch(
      /^its latest checkpoint is not signed by the service's key/,
    );

    const cut = await checkpointed(5);
    await withLedgerTriggersOff(
      db,
      sql`delete from attestations where organisation_id = ${cut.organisationId} and seq >= 4`,
    );
    expect((await verify(cut.organisationId)).problem?.reason).toBe(
      "the chain has 3 records, fewer than the 5 its latest signed checkpoint covers: records were cut from its end",
    );
  });

  it("catches, with a checkpoint held elsewhere, a cut tail whose tree and checkpoints were erased and made again", async () => {
    const { organisationId, held } = await checkpointed(6);
    await withLedgerTriggersOff(
      db,
      sql`delete from attestations where organisation_id = ${organisationId} and seq >= 5`,
      ...eraseTree(organisationId),
    );
    await checkpointLedger(db, organisationId);
    expect((await verify(organisationId)).ok).toBe(true);
    expect((await verify(organisationId, [held])).problem?.reason).toBe(
      "the log has 4 records, fewer than the 6 of a checkpoint it signed: its tail was cut",
    );
  });

  it("catches, with a checkpoint held elsewhere, a history rewritten with the service's own key", async () => {
    const { organisationId, sign, held } = await checkpointed(5);
    await withLedgerTriggersOff(
      db,
      sql`delete from attestations where organisation_id = ${organisationId} and seq >= 3`,
      ...eraseTree(organisationId),
    );
    await sign(4); // other records in their place, properly signed and chained
    await checkpointLedger(db, organisationId);
    expect((await verify(organisationId)).ok).toBe(true);
    expect((await verify(organisationId, [held])).problem?.reason).toBe(
      "the log's first 5 records no longer have the root the checkpoint signed: its history was rewritten",
    );
  });
});
