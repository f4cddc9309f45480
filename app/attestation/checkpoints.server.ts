import { createHash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { formatCheckpoint, signCheckpoint } from "~/ledger-proof/checkpoint";
import { toBase64 } from "~/ledger-proof/bytes";
import { consistencyProof, rootHash } from "~/ledger-proof/merkle";
import { planForScans, queryRows, type Db } from "~db/client.server";
import { attestations, ledgerCheckpoints, organisations } from "~db/schema";
import { edgeOf, latestCheckpoint, leafHashOf, readNodes, TreeAppender, withStoredTree } from "./ledger-tree.server";

export { latestCheckpoint, type StoredCheckpoint } from "./ledger-tree.server";
import { BODY_SQL, CANONICAL_SQL, GENESIS_HASH, verifyReference } from "./ledger.server";
import { checkBodySignature, noteSignerOf, serviceKeys, type BodyCheck, type KeyRing } from "./service-key.server";

/**
 * The checkpointer (docs/decisions/0024): after appends, it checks the new records of an organisation's ledger (their
 * positions, links, hashes and body signatures), adds their leaves and every subtree they complete to the stored tree,
 * and signs a C2SP checkpoint of it with the service key. The append itself never waits for it (decision 0009).
 */

/** Advisory lock class of the checkpointer, one lock per organisation (the appends use 7201). */
const CHECKPOINT_LOCK = 7202;
const BATCH = 5_000;

export type CheckpointProblem = { reference: string; seq: number; reason: string };

export type CheckpointOutcome =
  /** Another checkpointer holds this organisation's lock: it will cover the new records. */
  | { status: "busy" }
  /** No record since the last checkpoint (or no record at all). */
  | { status: "up-to-date"; size: number }
  | { status: "checkpointed"; size: number; previousSize: number; signedNote: string }
  /**
   * A record after the last checkpoint is not what the service wrote: the records before it were checkpointed (when
   * there were any), and nothing past it ever will be until it is dealt with.
   */
  | { status: "refused"; size: number; problem: CheckpointProblem };

/** The log's name in its checkpoints: `<service host>/ledger/<council slug>` (the service key is named by its host). */
export function originOf(keyName: string, slug: string): string {
  return `${keyName}/ledger/${slug}`;
}

type NewRecordRow = {
  seq: number;
  reference: string;
  hash: string;
  previous_hash: string;
  format_version: number;
  key_id: string | null;
  body_signature: string | null;
  recorded_at: string;
  canonical: string;
  body: string | null;
};

const SIGNATURE_REASONS: Record<Exclude<BodyCheck, "valid">, string> = {
  missing: "its body signature is missing: it was written without the service's key",
  "bad-signature": "its body signature does not hold under the service's key: it was written or changed without it",
  "unknown-key": "it is signed by a key this service does not know",
  "outside-validity": "it is signed by a key outside that key's validity period",
};

/** What is wrong with the record at `expectedSeq` following a record whose hash is `previousHash`, or null. */
function problemWith(
  row: NewRecordRow,
  expectedSeq: number,
  previousHash: string,
  previousVersion: number,
  keys: Pick<KeyRing, "verifiers">,
): string | null {
  if (row.seq !== expectedSeq) return `record ${expectedSeq} of the chain is missing: it goes on at ${row.seq}`;
  if (row.previous_hash !== previousHash)
    return "its previous hash does not match the record before it: a record was inserted, removed or altered before it";
  if (createHash("sha256").update(row.canonical, "utf8").digest("hex") !== row.hash)
    return "its contents do not match its hash: the record was altered";
  if (row.format_version < previousVersion)
    return "it is of format version 1 after a record of version 2: it was written without the service";
  if (row.format_version === 1) return null;
  const check = checkBodySignature(
    keys,
    { keyId: row.key_id, bodySignature: row.body_signature, recordedAt: new Date(row.recorded_at) },
    row.body ?? "",
  );
  return check === "valid" ? null : SIGNATURE_REASONS[check];
}

async function insertNodes(
  db: Db,
  organisationId: string,
  nodes: { level: number; index: number; hash: Uint8Array }[],
): Promise<void> {
  if (nodes.length === 0) return;
  await db.execute(
    sql`insert into ledger_tree_nodes (organisation_id, level, index, hash)
        select ${organisationId}::uuid, k.level, k.index, decode(k.hash, 'hex')
        from unnest(${`{${nodes.map((n) => n.level).join(",")}}`}::smallint[],
                    ${`{${nodes.map((n) => n.index).join(",")}}`}::bigint[],
                    ${`{${nodes.map((n) => Buffer.from(n.hash).toString("hex")).join(",")}}`}::text[]) as k(level, index, hash)`,
  );
}

/**
 * Checkpoints one organisation's ledger: inside one transaction holding the organisation's checkpoint lock (or
 * returning "busy" at once when another holds it), reads the records after the last checkpoint in order, a batch at
 * a time, checks each (position, link to the record before, hash, and from format 2 the body signature), stores their
 * leaves and the subtrees they complete, and signs and stores a checkpoint of the tree up to the last good record.
 */
export async function checkpointLedger(
  db: Db,
  organisationId: string,
  keys: KeyRing = serviceKeys(),
  options: { batch?: number } = {},
): Promise<CheckpointOutcome> {
  const batch = options.batch ?? BATCH;
  return db.transaction(async (tx) => {
    const [{ locked }] = await queryRows<{ locked: boolean }>(
      tx,
      sql`select pg_try_advisory_xact_lock(${CHECKPOINT_LOCK}, hashtext(${organisationId})) as locked`,
    );
    if (!locked) return { status: "busy" } as const;
    await planForScans(tx);
    const [organisation] = await tx
      .select({ slug: organisations.slug })
      .from(organisations)
      .where(eq(organisations.id, organisationId));
    if (!organisation) throw new Error(`No organisation ${organisationId}`);
    const last = await latestCheckpoint(tx, organisationId);
    const previousSize = last?.treeSize ?? 0;
    const origin = last?.origin ?? originOf(keys.signer.name, organisation.slug);

    // The record the last checkpoint ends with: the first new record must link to it.
    let previousHash = GENESIS_HASH;
    let previousVersion = 1;
    if (previousSize > 0) {
      const [before] = await queryRows<{ hash: string; format_version: number }>(
        tx,
        sql`select hash, format_version from attestations where organisation_id = ${organisationId} and seq = ${previousSize}`,
      );
      if (!before)
        return {
          status: "refused",
          size: previousSize,
          problem: { reference: "", seq: previousSize, reason: `record ${previousSize}, checkpointed, is gone` },
        } as const;
      previousHash = before.hash;
      previousVersion = before.format_version;
    }

    const edge = edgeOf(previousSize);
    const stored = await readNodes(tx, organisationId, edge);
    if (edge.some(({ level, index }) => !stored.has(`${level}:${index}`)))
      throw new Error(`The stored tree of organisation ${organisationId} lacks the nodes of its last checkpoint`);
    const tree = new TreeAppender(
      previousSize,
      new Map(edge.map(({ level, index }) => [level, stored.get(`${level}:${index}`)!])),
    );

    let problem: CheckpointProblem | null = null;
    for (;;) {
      const rows = await queryRows<NewRecordRow>(
        tx,
        sql`select a.seq, a.reference, a.hash, a.previous_hash, a.format_version, a.key_id, a.body_signature,
                   a.recorded_at::text as recorded_at, ${CANONICAL_SQL} as canonical,
                   case when a.format_version = 2 then ${BODY_SQL} end as body
            from attestations a
            where a.organisation_id = ${organisationId} and a.seq > ${tree.size}
            order by a.seq
            limit ${batch}`,
      );
      const leaves: Uint8Array[] = [];
      for (const row of rows) {
        const reason = problemWith(row, tree.size + leaves.length + 1, previousHash, previousVersion, keys);
        if (reason) {
          problem = { reference: row.reference, seq: row.seq, reason };
          break;
        }
        leaves.push(leafHashOf(row.canonical));
        previousHash = row.hash;
        previousVersion = row.format_version;
      }
      await insertNodes(tx, organisationId, tree.append(leaves));
      if (problem || rows.length < batch) break;
    }

    const size = tree.size;
    if (size === previousSize)
      return problem ? ({ status: "refused", size, problem } as const) : ({ status: "up-to-date", size } as const);
    // The root from the nodes just stored, read back as a proof will read them.
    const root = await withStoredTree(tx, organisationId, (hashOf) => rootHash(size, hashOf));
    const signedNote = await signCheckpoint(formatCheckpoint({ origin, size, rootHash: root }), [
      noteSignerOf(keys.signer),
    ]);
    await tx.insert(ledgerCheckpoints).values({
      organisationId,
      origin,
      treeSize: size,
      rootHash: Buffer.from(root),
      signedNote,
      keyId: keys.signer.keyId,
    });
    if (problem) return { status: "refused", size, problem } as const;
    return { status: "checkpointed", size, previousSize, signedNote } as const;
  });
}

export type CheckpointRun = { organisationId: string; slug: string; outcome: CheckpointOutcome };

/** Checkpoints every organisation whose ledger has records after its last checkpoint, one after another. */
export async function checkpointAll(db: Db, keys: KeyRing = serviceKeys()): Promise<CheckpointRun[]> {
  const behind = await queryRows<{ id: string; slug: string }>(
    db,
    sql`select o.id, o.slug from organisations o
        where exists (select 1 from attestations a
                      where a.organisation_id = o.id
                        and a.seq > coalesce((select max(c.tree_size) from ledger_checkpoints c
                                              where c.organisation_id = o.id), 0))
        order by o.slug`,
  );
  const runs: CheckpointRun[] = [];
  for (const { id, slug } of behind)
    runs.push({ organisationId: id, slug, outcome: await checkpointLedger(db, id, keys) });
  return runs;
}

/** The checkpoint of a given size, if one was signed (consistency proofs are served between signed sizes). */
export async function checkpointOfSize(db: Db, organisationId: string, size: number): Promise<string | null> {
  const [row] = await db
    .select({ signedNote: ledgerCheckpoints.signedNote })
    .from(ledgerCheckpoints)
    .where(and(eq(ledgerCheckpoints.organisationId, organisationId), eq(ledgerCheckpoints.treeSize, size)));
  return row?.signedNote ?? null;
}

/** What HR sees of the council's log: its latest signed checkpoint and the keys that check it. */
export async function ledgerCheckpointForHr(db: Db, organisationId: string, keys: KeyRing = serviceKeys()) {
  const checkpoint = await latestCheckpoint(db, organisationId);
  return {
    checkpoint: checkpoint && {
      origin: checkpoint.origin,
      treeSize: checkpoint.treeSize,
      signedNote: checkpoint.signedNote,
      keyId: checkpoint.keyId,
      createdAt: checkpoint.createdAt,
    },
    verifierKeys: keys.verifiers.map((v) => v.verifierKey),
  };
}

/** The council of a record anyone may name by reference and hash (verifyReference's rule), or null. */
async function councilOfRecord(db: Db, reference: string, hash: string): Promise<string | null> {
  const verification = await verifyReference(db, reference, hash);
  if (!verification.found) return null;
  const [row] = await db
    .select({ organisationId: attestations.organisationId })
    .from(attestations)
    .where(and(eq(attestations.reference, reference), eq(attestations.hash, hash)));
  return row?.organisationId ?? null;
}

/**
 * The latest signed checkpoint of the council whose record this is, for anyone holding the record's reference and
 * hash (not listed publicly: its size tells how many records the council has). Null when the record is not found
 * or no checkpoint exists yet.
 */
export async function checkpointForRecordHolder(db: Db, reference: string, hash: string): Promise<string | null> {
  const organisationId = await councilOfRecord(db, reference, hash);
  if (!organisationId) return null;
  return (await latestCheckpoint(db, organisationId))?.signedNote ?? null;
}

export type ConsistencyAnswer =
  | { status: "not-found" }
  | { status: "bad-range"; latest: number }
  | { status: "ok"; from: number; to: number; proof: string };

/**
 * The RFC 9162 consistency proof from the council's tree of `from` records to its tree of `to` (by default the
 * latest checkpoint's size), for anyone holding one of its records' reference and hash: one base64 hash a line.
 * Both sizes must be within the latest signed checkpoint, `from` at least 1.
 */
export async function consistencyForRecordHolder(
  db: Db,
  reference: string,
  hash: string,
  from: number,
  to: number | null,
): Promise<ConsistencyAnswer> {
  const organisationId = await councilOfRecord(db, reference, hash);
  const latest = organisationId ? await latestCheckpoint(db, organisationId) : null;
  if (!organisationId || !latest) return { status: "not-found" };
  const second = to ?? latest.treeSize;
  if (from < 1 || from > second || second > latest.treeSize) return { status: "bad-range", latest: latest.treeSize };
  const proof = await withStoredTree(db, organisationId, (hashOf) => consistencyProof(from, second, hashOf));
  return { status: "ok", from, to: second, proof: proof.map((p) => `${toBase64(p)}\n`).join("") };
}
