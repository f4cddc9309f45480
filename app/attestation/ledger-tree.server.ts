import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { NodeHash } from "~/ledger-proof/merkle";
import { queryRows, type Db } from "~db/client.server";

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
 * Runs a tree computation (rootHash, inclusionProof, consistencyProof of ~/ledger-proof/merkle) over the stored nodes
 * with one read: which complete subtrees those functions ask for depends only on the sizes and indexes, so a first run
 * over zero hashes lists them, one query reads them, and a second run computes with the real hashes.
 */
export async function withStoredTree<T>(
  db: Db,
  organisationId: string,
  compute: (hashOf: NodeHash) => Promise<T>,
): Promise<T> {
  const wanted = new Map<string, { level: number; index: number }>();
  await compute((level, index) => {
    wanted.set(key(level, index), { level, index });
    return ZERO;
  });
  const nodes = await readNodes(db, organisationId, [...wanted.values()]);
  return compute((level, index) => {
    const hash = nodes.get(key(level, index));
    if (!hash) throw new MissingNodeError(`the tree has no node at level ${level}, index ${index}`);
    return hash;
  });
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
