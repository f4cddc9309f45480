import { concat, equalBytes } from "./bytes";
import { sha256 } from "./crypto";

/**
 * RFC 9162 section 2.1 Merkle trees (the RFC 6962 hashing): leaf = SHA-256(0x00 || bytes), node = SHA-256(0x01 ||
 * left || right), the root of n leaves split at the largest power of two below n. Proofs are generated from a function
 * that returns the hash of any complete subtree, so a caller can back it with stored nodes:
 * `nodeHash(level, index)` is the root of leaves [index * 2^level, (index + 1) * 2^level), level 0 being the leaf
 * hashes themselves. Sizes and indexes are JavaScript integers (exact up to 2^53).
 */

export type NodeHash = (level: number, index: number) => Uint8Array | Promise<Uint8Array>;

export const EMPTY_ROOT_HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export function leafHash(bytes: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([0]), bytes));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([1]), left, right));
}

function checkSize(n: number, what: string) {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, not ${n}`);
}

/** The largest power of two smaller than n (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** MTH(D[start:end]) from complete subtrees: the subtrees of a range that starts on a power-of-two boundary. */
async function rangeHash(start: number, end: number, hashOf: NodeHash): Promise<Uint8Array> {
  const n = end - start;
  if (isPowerOfTwo(n) && start % n === 0) return await hashOf(Math.round(Math.log2(n)), start / n);
  const k = splitPoint(n);
  return nodeHash(await rangeHash(start, start + k, hashOf), await rangeHash(start + k, end, hashOf));
}

/** The root hash of the first `size` leaves (the hash of the empty string for size 0). */
export async function rootHash(size: number, hashOf: NodeHash): Promise<Uint8Array> {
  checkSize(size, "size");
  if (size === 0) return sha256(new Uint8Array(0));
  return rangeHash(0, size, hashOf);
}

/** A NodeHash over leaf hashes held in memory (tests, small trees, the worked example). */
export function inMemoryTree(leafHashes: Uint8Array[]): NodeHash {
  const levels: Uint8Array[][] = [leafHashes];
  return async (level, index) => {
    for (let l = levels.length; l <= level; l++) {
      const below = levels[l - 1];
      const row: Uint8Array[] = [];
      for (let i = 0; i + 1 < below.length; i += 2) row.push(await nodeHash(below[i], below[i + 1]));
      levels.push(row);
    }
    const hash = levels[level]?.[index];
    if (!hash) throw new RangeError(`no complete subtree at level ${level}, index ${index}`);
    return hash;
  };
}

/** RFC 9162 2.1.3.1: the inclusion proof of leaf `index` in the tree of `size` leaves, leaf's sibling first. */
export async function inclusionProof(index: number, size: number, hashOf: NodeHash): Promise<Uint8Array[]> {
  checkSize(index, "index");
  checkSize(size, "size");
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const path = async (m: number, start: number, end: number): Promise<Uint8Array[]> => {
    const n = end - start;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...(await path(m, start, start + k)), await rangeHash(start + k, end, hashOf)];
    return [...(await path(m - k, start + k, end)), await rangeHash(start, start + k, hashOf)];
  };
  return path(index, 0, size);
}

/** RFC 9162 2.1.4.1: the consistency proof from the tree of size `first` to the tree of size `second`. */
export async function consistencyProof(first: number, second: number, hashOf: NodeHash): Promise<Uint8Array[]> {
  checkSize(first, "first");
  checkSize(second, "second");
  if (first === 0 || first > second) throw new RangeError(`no consistency proof from size ${first} to size ${second}`);
  const subproof = async (m: number, start: number, end: number, complete: boolean): Promise<Uint8Array[]> => {
    const n = end - start;
    if (m === n) return complete ? [] : [await rangeHash(start, end, hashOf)];
    const k = splitPoint(n);
    if (m <= k) return [...(await subproof(m, start, start + k, complete)), await rangeHash(start + k, end, hashOf)];
    return [...(await subproof(m - k, start + k, end, false)), await rangeHash(start, start + k, hashOf)];
  };
  return first === second ? [] : subproof(first, 0, second, true);
}

/** Why a proof failed, for a verdict a person reads. */
export class ProofError extends Error {}

/** RFC 9162 2.1.3.2. Throws ProofError saying why the proof does not hold. */
export async function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
  root: Uint8Array,
): Promise<void> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    throw new ProofError(`leaf index ${index} is not in a tree of size ${size}`);
  if (leaf.length !== 32 || proof.some((p) => p.length !== 32))
    throw new ProofError("a leaf hash and every node of an inclusion proof are 32 bytes");
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new ProofError("the inclusion proof is longer than the tree is deep");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else r = await nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ProofError("the inclusion proof is shorter than the tree is deep");
  if (!equalBytes(r, root)) throw new ProofError("the inclusion proof does not lead to the checkpoint's root hash");
}

/** RFC 9162 2.1.4.2, refusing size 0 as transparency-dev/merkle does. Throws ProofError saying why. */
export async function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: Uint8Array[],
): Promise<void> {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first > second)
    throw new ProofError(`a tree of size ${second} cannot extend one of size ${first}`);
  if (first === 0) throw new ProofError("a consistency proof from the empty tree proves nothing");
  if (first === second) {
    if (proof.length > 0) throw new ProofError("trees of the same size need an empty consistency proof");
    if (!equalBytes(firstRoot, secondRoot)) throw new ProofError("two trees of the same size have different roots");
    return;
  }
  if (proof.length === 0) throw new ProofError("the consistency proof is empty");
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofError("the consistency proof is too long");
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else sr = await nodeHash(sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ProofError("the consistency proof is too short");
  if (!equalBytes(fr, firstRoot)) throw new ProofError("the consistency proof does not lead to the older root hash");
  if (!equalBytes(sr, secondRoot)) throw new ProofError("the consistency proof does not lead to the newer root hash");
}
