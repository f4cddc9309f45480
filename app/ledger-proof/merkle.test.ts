import { describe, expect, it } from "vitest";
import { fromBase64, fromHex, toHex } from "./bytes";
import {
  consistencyProof,
  inclusionProof,
  inMemoryTree,
  leafHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
  type NodeHash,
} from "./merkle";
import vectors from "./testdata/transparency-dev-merkle.json";

const b64 = (text: string) => fromBase64(text) ?? new TextEncoder().encode(text);
const leaves = async () => Promise.all(vectors.leafInputs.map((hex) => leafHash(fromHex(hex)!)));

async function outcome(run: () => Promise<void>): Promise<"ok" | "error"> {
  try {
    await run();
    return "ok";
  } catch {
    return "error";
  }
}

describe("RFC 9162 Merkle tree: transparency-dev/merkle known answers", () => {
  it("hashes the reference leaves, every complete subtree and the root of every size 0 to 8", async () => {
    const hashes = await leaves();
    const tree = inMemoryTree(hashes);
    for (const [level, row] of vectors.nodeHashes.entries())
      for (const [index, hex] of row.entries()) expect(toHex(await tree(level, index)), `${level}/${index}`).toBe(hex);
    for (const [size, hex] of vectors.rootHashes.entries())
      expect(toHex(await rootHash(size, inMemoryTree(hashes.slice(0, size)))), `size ${size}`).toBe(hex);
  });

  it("verifies every published inclusion probe exactly as the reference does (happy paths pass, tampered fail)", async () => {
    expect(vectors.inclusion.length).toBeGreaterThan(90);
    for (const probe of vectors.inclusion) {
      const got = await outcome(() =>
        verifyInclusion(
          probe.leafIdx,
          probe.treeSize,
          b64(probe.leafHash ?? ""),
          (probe.proof ?? []).map(b64),
          b64(probe.root ?? ""),
        ),
      );
      expect(got, probe.file).toBe(probe.wantErr ? "error" : "ok");
    }
  });

  it("verifies every published consistency probe exactly as the reference does", async () => {
    expect(vectors.consistency.length).toBeGreaterThan(90);
    for (const probe of vectors.consistency) {
      const got = await outcome(() =>
        verifyConsistency(
          probe.size1,
          probe.size2,
          b64(probe.root1 ?? ""),
          b64(probe.root2 ?? ""),
          (probe.proof ?? []).map(b64),
        ),
      );
      expect(got, probe.file).toBe(probe.wantErr ? "error" : "ok");
    }
  });

  it("generates the published happy-path proofs over the reference leaves", async () => {
    const tree = inMemoryTree(await leaves());
    const happy = (p: { file: string }) => p.file.endsWith("/happy-path.json") && !p.file.includes("additional");
    let checked = 0;
    for (const probe of vectors.inclusion.filter(happy)) {
      const proof = await inclusionProof(probe.leafIdx, probe.treeSize, tree);
      expect(proof.map(toHex), probe.file).toEqual((probe.proof ?? []).map((p) => toHex(b64(p))));
      checked++;
    }
    for (const probe of vectors.consistency.filter(happy)) {
      const proof = await consistencyProof(probe.size1, probe.size2, tree);
      expect(proof.map(toHex), probe.file).toEqual((probe.proof ?? []).map((p) => toHex(b64(p))));
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(9);
  });
});

describe("proofs generated from stored subtrees", () => {
  it("every inclusion and consistency proof of trees up to 40 leaves verifies, and fails with any node changed", async () => {
    const hashes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => leafHash(new TextEncoder().encode(`leaf ${i}`))),
    );
    const tree = inMemoryTree(hashes);
    const roots: Uint8Array[] = [new Uint8Array(32)];
    for (let size = 1; size <= 40; size++) roots.push(await rootHash(size, tree));
    for (let size = 1; size <= 40; size++) {
      for (let index = 0; index < size; index++) {
        const proof = await inclusionProof(index, size, tree);
        await verifyInclusion(index, size, hashes[index], proof, roots[size]);
        if (proof.length > 0) {
          const bad = proof.map((p) => p.slice());
          bad[bad.length - 1][0] ^= 1;
          await expect(verifyInclusion(index, size, hashes[index], bad, roots[size])).rejects.toThrow();
        }
        if (size > 1)
          await expect(verifyInclusion(index, size, hashes[(index + 1) % size], proof, roots[size])).rejects.toThrow();
      }
      for (let first = 1; first <= size; first++) {
        const proof = await consistencyProof(first, size, tree);
        await verifyConsistency(first, size, roots[first], roots[size], proof);
        if (first < size)
          await expect(verifyConsistency(first, size, roots[first], roots[size - 1], proof)).rejects.toThrow();
      }
    }
  });

  it("asks the store only for complete subtrees, and accepts an async store", async () => {
    const hashes = await Promise.all(Array.from({ length: 13 }, (_, i) => leafHash(new Uint8Array([i]))));
    const memory = inMemoryTree(hashes);
    const asked: string[] = [];
    const stored: NodeHash = async (level, index) => {
      asked.push(`${level}/${index}`);
      expect((index + 1) * 2 ** level).toBeLessThanOrEqual(13);
      return memory(level, index);
    };
    const proof = await inclusionProof(12, 13, stored);
    // Leaf 12 of 13: its whole path is the left subtree of 8 leaves and the one of 4 after it.
    expect(asked).toEqual(["2/2", "3/0"]);
    await verifyInclusion(12, 13, hashes[12], proof, await rootHash(13, memory));
  });

  it("refuses impossible requests", async () => {
    const tree = inMemoryTree([await leafHash(new Uint8Array())]);
    await expect(inclusionProof(1, 1, tree)).rejects.toThrow(RangeError);
    await expect(consistencyProof(0, 1, tree)).rejects.toThrow(RangeError);
    await expect(consistencyProof(2, 1, tree)).rejects.toThrow(RangeError);
  });
});
