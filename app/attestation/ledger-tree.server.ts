import { createHash } from "node:crypto";
import { desc, eq, sql } from "drizzle-orm";
import { equalBytes } from "~/ledger-proof/bytes";
import { openCheckpoint, readSignedCheckpoint, type Checkpoint } from "~/ledger-proof/checkpoint";
import { checkHeldCheckpoint } from "~/ledger-proof/held-checkpoint";
import { consistencyProof, rootHash, type NodeHash } from "~/ledger-proof/merkle";
import type { TrustedKey } from "~/ledger-proof/receipt";
import type { NoteVerifier } from "~/ledger-proof/note";
import { queryRows, queryRowsForScan, type Db } from "~db/client.server";
import { ledgerCheckpoints } from "~db/schema";

/**
 * The stored Merkle tree of an organisation's ledger (ledger_tree_nodes; docs/ledger-proofs.md section 1): every
 * complete subtree's hash, leaves included, so a root or a proof needs a few dozen stored nodes whatever the size.
 */

/** RFC 9162 leaf hash, SHA-256(0x00 || record bytes), with node:crypto (the checkpointer hashes batches of them). */
export function leafHashOf(canonical: string): Buffer {
  return createHash("sha256").update(Buffer.of(0)).update(canonical, "utf8").digest();
}

/** RFC 9162 node hash, SHA-256(0x01 || left || right). */
export function nodeHashOf(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(Buffer.of(1)).update(left).update(right).digest();
}

const ZERO = new Uint8Array(32);
const key = (level: number, index: number) => `${level}:${index}`;

/** Reads the named nodes in one query; a node that is not stored is absent from the map. */
export async function readNodes(
  db: Db,
  organisationId: string,
  wanted: { level: number; index: number }[],
): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  if (wanted.length === 0) return found;
  const rows = await queryRows<{ level: number; index: string | number; hash: string }>(
    db,
    sql`select n.level, n.index, encode(n.hash, 'hex') as hash
        from ledger_tree_nodes n
        join unnest(${`{${wanted.map((w) => w.level).join(",")}}`}::smallint[],
                    ${`{${wanted.map((w) => w.index).join(",")}}`}::bigint[]) as k(level, index)
          on n.level = k.level and n.index = k.index
        where n.organisation_id = ${organisationId}`,
  );
  for (const row of rows) found.set(key(row.level, Number(row.index)), Buffer.from(row.hash, "hex"));
  return found;
}

export class MissingNodeError extends Error {}

/**
 * The stored nodes a tree computation (rootHash, inclusionProof, consistencyProof of ~/ledger-proof/merkle) will ask
 * for, read in one query: which complete subtrees those functions ask for depends only on the sizes and indexes, so a
 * run over zero hashes lists them. The NodeHash returned throws MissingNodeError for a node that is not stored.
 */
export async function storedNodesFor(
  db: Db,
  organisationId: string,
  plan: (hashOf: NodeHash) => Promise<unknown>,
): Promise<NodeHash> {
  const wanted = new Map<string, { level: number; index: number }>();
  await plan((level, index) => {
    wanted.set(key(level, index), { level, index });
    return ZERO;
  });
  const nodes = await readNodes(db, organisationId, [...wanted.values()]);
  return (level, index) => {
    const hash = nodes.get(key(level, index));
    if (!hash) throw new MissingNodeError(`the tree has no node at level ${level}, index ${index}`);
    return hash;
  };
}

/** Runs a tree computation over the stored nodes, read in one query (storedNodesFor). */
export async function withStoredTree<T>(
  db: Db,
  organisationId: string,
  compute: (hashOf: NodeHash) => Promise<T>,
): Promise<T> {
  return compute(await storedNodesFor(db, organisationId, compute));
}

/**
 * Adds leaves to a tree of `size` leaves, a batch at a time, returning every subtree each batch completes (the leaves
 * included) to store. It holds only the tree's right edge: for each level, the complete node still waiting for its
 * right sibling. `edge` starts from the stored nodes a tree of `size` leaves ends with (edgeOf).
 */
export class TreeAppender {
  private pending: (Uint8Array | undefined)[];
  constructor(
    public size: number,
    edge: Map<number, Uint8Array>,
  ) {
    this.pending = [];
    for (const [level, hash] of edge) this.pending[level] = hash;
  }

  /** The nodes the leaves complete, in order, as (level, index, hash). */
  append(leaves: Uint8Array[]): { level: number; index: number; hash: Uint8Array }[] {
    const out: { level: number; index: number; hash: Uint8Array }[] = [];
    for (const leaf of leaves) {
      let index = this.size;
      let hash = leaf;
      let level = 0;
      out.push({ level, index, hash });
      while (index % 2 === 1) {
        hash = nodeHashOf(this.pending[level]!, hash);
        this.pending[level] = undefined;
        index = (index - 1) / 2;
        level++;
        out.push({ level, index, hash });
      }
      this.pending[level] = hash;
      this.size++;
    }
    return out;
  }
}

/** The complete subtrees a tree of `size` leaves ends with: one per set bit of the size, (level, size >> level − 1). */
export function edgeOf(size: number): { level: number; index: number }[] {
  const edge: { level: number; index: number }[] = [];
  for (let level = 0; 2 ** level <= size; level++) {
    const count = Math.floor(size / 2 ** level);
    if (count % 2 === 1) edge.push({ level, index: count - 1 });
  }
  return edge;
}

export type StoredCheckpoint = {
  origin: string;
  treeSize: number;
  rootHash: string;
  signedNote: string;
  keyId: string;
  createdAt: Date;
};

/** The organisation's latest checkpoint, or null before its first. */
export async function latestCheckpoint(db: Db, organisationId: string): Promise<StoredCheckpoint | null> {
  const [row] = await db
    .select({
      origin: ledgerCheckpoints.origin,
      treeSize: ledgerCheckpoints.treeSize,
      rootHash: sql<string>`encode(${ledgerCheckpoints.rootHash}, 'base64')`,
      signedNote: ledgerCheckpoints.signedNote,
      keyId: ledgerCheckpoints.keyId,
      createdAt: ledgerCheckpoints.createdAt,
    })
    .from(ledgerCheckpoints)
    .where(eq(ledgerCheckpoints.organisationId, organisationId))
    .orderBy(desc(ledgerCheckpoints.treeSize))
    .limit(1);
  return row ? { ...row, treeSize: Number(row.treeSize), createdAt: new Date(row.createdAt) } : null;
}

/**
 * Whether the stored tree of a checkpoint's size holds together: every parent node within the size has both children
 * and is their node hash. With the leaves checked against the records (ledger.server.ts, firstBreak) and the root
 * computed from these nodes checked against the signed checkpoint, the records up to that size are exactly those the
 * checkpoint signed. Returns the first bad node, or null.
 */
export async function firstBadNode(
  db: Db,
  organisationId: string,
  size: number,
): Promise<{ level: number; index: number } | null> {
  // Both children in one index range read (they are neighbours in the key) rather than a join for each.
  const [row] = await queryRowsForScan<{ level: number; index: string | number }>(
    db,
    sql`select p.level, p.index
        from ledger_tree_nodes p
        cross join lateral (
          select count(*) as children, string_agg(c.hash, ''::bytea order by c.index) as pair
          from ledger_tree_nodes c
          where c.organisation_id = p.organisation_id and c.level = p.level - 1
            and c.index between 2 * p.index and 2 * p.index + 1
        ) k
        where p.organisation_id = ${organisationId} and p.level > 0
          and p.index < (${size}::bigint >> p.level)
          and (k.children <> 2 or p.hash <> sha256('\\x01'::bytea || k.pair))
        order by p.level, p.index
        limit 1`,
  );
  return row ? { level: row.level, index: Number(row.index) } : null;
}

export type TreeCheck = {
  /** The tree size of the latest checkpoint whose signature holds (0 when none): records up to it are proven by it. */
  checkpointSize: number;
  /** Its log's name, null without one. */
  origin: string | null;
  problem: string | null;
};

/**
 * The organisation's latest checkpoint, opened: signed by a key the service knows, of this council's log, and no larger
 * than the chain. Its tree is checkTreeOf's to check, and the leaves against the records are ledger.server.ts's
 * (firstBreak), which is given the size; the three can run at once.
 */
export async function openLatestCheckpoint(
  db: Db,
  organisation: { id: string; slug: string },
  lastSeq: number,
  verifiers: NoteVerifier[],
): Promise<TreeCheck & { checkpoint: Checkpoint | null }> {
  const stored = await latestCheckpoint(db, organisation.id);
  if (!stored) return { checkpointSize: 0, origin: null, problem: null, checkpoint: null };
  let checkpoint: Checkpoint;
  try {
    checkpoint = (await openCheckpoint(stored.signedNote, verifiers)).checkpoint;
  } catch (error) {
    return {
      checkpointSize: 0,
      origin: null,
      problem: `its latest checkpoint is not signed by the service's key: ${(error as Error).message}`,
      checkpoint: null,
    };
  }
  const { size, origin } = checkpoint;
  const fail = (problem: string) => ({ checkpointSize: size, origin, problem, checkpoint });
  if (!origin.endsWith(`/ledger/${organisation.slug}`))
    return fail(`its latest checkpoint is of another log, ${origin}`);
  if (lastSeq < size)
    return fail(
      `the chain has ${lastSeq} records, fewer than the ${size} its latest signed checkpoint covers: records were cut from its end`,
    );
  return { checkpointSize: size, origin, problem: null, checkpoint };
}

/** The stored leaves of the first `size` records, in order, 32 bytes each (fewer when some are missing). */
export async function storedLeavesOf(db: Db, organisationId: string, size: number): Promise<Buffer> {
  const [{ leaves }] = await queryRowsForScan<{ leaves: string | null }>(
    db,
    sql`select encode(string_agg(hash, ''::bytea order by index), 'hex') as leaves
        from ledger_tree_nodes
        where organisation_id = ${organisationId} and level = 0 and index < ${size}`,
  );
  return Buffer.from(leaves ?? "", "hex");
}

/**
 * Why the stored tree does not give the checkpoint's root, or null. node:crypto hashes the tree up from the stored
 * leaves (about 1.7 s a million, a third of what joining each parent to its children cost in PostgreSQL) to the root the
 * checkpoint signed, and each level's stored nodes are compared with it as a whole, by a digest of the level in index
 * order; only when a level differs is each parent looked up (firstBadNode) to name the first that does not hold.
 */
export async function checkTreeOf(
  db: Db,
  organisationId: string,
  checkpoint: Checkpoint,
  storedLeaves: Promise<Buffer>,
): Promise<string | null> {
  const { size } = checkpoint;
  // Asked at once with the leaves, so PostgreSQL reads the levels while node:crypto hashes (verifyLedger runs in the
  // command line only: the hashing holds the event loop).
  const levelDigests = queryRowsForScan<{ level: number; nodes: string | number; digest: string }>(
    db,
    sql`select level, count(*) as nodes, encode(sha256(string_agg(hash, ''::bytea order by index)), 'hex') as digest
        from ledger_tree_nodes
        where organisation_id = ${organisationId} and level > 0 and index < (${size}::bigint >> level)
        group by level`,
  );
  const leaves = await storedLeaves;
  const incomplete = (what: string) => `its stored Merkle tree is incomplete (${what}): it was altered`;
  if (leaves.length !== size * 32) {
    await levelDigests;
    return incomplete(`${leaves.length / 32} of the ${size} leaves`);
  }
  const levels = [leaves];
  for (let level = 1; size >> level > 0; level++) {
    const below = levels[level - 1];
    const nodes = Buffer.alloc((size >> level) * 32);
    for (let i = 0; i < size >> level; i++)
      nodeHashOf(below.subarray(i * 64, i * 64 + 32), below.subarray(i * 64 + 32, i * 64 + 64)).copy(nodes, i * 32);
    levels.push(nodes);
  }
  const stored = new Map((await levelDigests).map((row) => [row.level, row]));
  for (let level = 1; level < levels.length; level++) {
    const found = Number(stored.get(level)?.nodes ?? 0);
    if (found !== size >> level) return incomplete(`${found} of the ${size >> level} nodes of level ${level}`);
  }
  const differs = levels
    .slice(1)
    .some((nodes, i) => stored.get(i + 1)!.digest !== createHash("sha256").update(nodes).digest("hex"));
  if (differs) {
    const bad = await firstBadNode(db, organisationId, size);
    if (bad)
      return `its stored Merkle tree does not hold together at level ${bad.level}, node ${bad.index}: it was altered`;
  }
  const root = await rootHash(size, (level, index) => levels[level].subarray(index * 32, index * 32 + 32));
  if (!equalBytes(root, checkpoint.rootHash))
    return `its first ${size} records do not have the root hash its latest signed checkpoint signed: records it covers were changed`;
  return null;
}

/**
 * Whether the organisation's checkpointed tree extends a checkpoint held elsewhere (checkHeldCheckpoint of
 * ~/ledger-proof/held-checkpoint): null when it does, else why not (a cut tail, a rewritten history, a bad signature).
 */
export async function heldCheckpointProblem(
  db: Db,
  organisationId: string,
  signed: string,
  current: { origin: string; size: number },
  keys: TrustedKey[],
): Promise<string | null> {
  let held: Checkpoint;
  try {
    held = readSignedCheckpoint(signed);
  } catch (error) {
    return `the held checkpoint cannot be read: ${(error as Error).message}`;
  }
  const hashOf = await storedNodesFor(db, organisationId, async (h) => {
    if (held.size <= current.size) await rootHash(held.size, h);
    await rootHash(current.size, h);
    if (held.size > 0 && held.size < current.size) await consistencyProof(held.size, current.size, h);
  });
  const check = await checkHeldCheckpoint(signed, keys, { ...current, nodeHash: hashOf });
  return check.holds ? null : check.reason;
}
