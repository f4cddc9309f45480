import { describe, expect, it } from "vitest";
import { utf8 } from "./bytes";
import { checkHeldCheckpoint } from "./held-checkpoint";
import { inMemoryTree, leafHash } from "./merkle";
import { parseTrustedKeys } from "./receipt";
import example from "./testdata/worked-example.json";
import { EXAMPLE_ORIGIN } from "./worked-example";

const treeOf = async (records: string[]) => inMemoryTree(await Promise.all(records.map((r) => leafHash(utf8(r)))));

describe("a checkpoint held elsewhere against the log as it is now", () => {
  it("holds when the log extends it, and gives the consistency proof", async () => {
    const keys = await parseTrustedKeys(example.verifierKey);
    const nodeHash = await treeOf(example.records);
    const check = await checkHeldCheckpoint(example.checkpoint3, keys, { origin: EXAMPLE_ORIGIN, size: 5, nodeHash });
    expect(check).toMatchObject({ holds: true, currentSize: 5, currentRoot: example.root5 });
    if (check.holds)
      expect(check.proof.map((p) => Buffer.from(p).toString("base64"))).toEqual(example.consistencyProof.proof);
    const same = await checkHeldCheckpoint(example.checkpoint5, keys, { origin: EXAMPLE_ORIGIN, size: 5, nodeHash });
    expect(same).toMatchObject({ holds: true, proof: [] });
  });

  it("catches a cut tail", async () => {
    const keys = await parseTrustedKeys(example.verifierKey);
    const nodeHash = await treeOf(example.records.slice(0, 4));
    const check = await checkHeldCheckpoint(example.checkpoint5, keys, { origin: EXAMPLE_ORIGIN, size: 4, nodeHash });
    expect(check).toMatchObject({ holds: false, reason: expect.stringMatching(/its tail was cut$/) });
  });

  it("catches a history rewritten with a consistent-looking chain", async () => {
    const keys = await parseTrustedKeys(example.verifierKey);
    // Record 2 replaced (whatever its chain says): the tree's first 3 leaves no longer give the held root.
    const rewritten = [...example.records];
    rewritten[1] = rewritten[1].replace("Amir Haddad", "Amir Hadad");
    const nodeHash = await treeOf(rewritten);
    const check = await checkHeldCheckpoint(example.checkpoint3, keys, { origin: EXAMPLE_ORIGIN, size: 5, nodeHash });
    expect(check).toMatchObject({ holds: false, reason: expect.stringMatching(/its history was rewritten$/) });
  });

  it("refuses a held checkpoint not signed by the council's keys, or of another log", async () => {
    const nodeHash = await treeOf(example.records);
    const retired = await parseTrustedKeys(`${example.verifierKey} tree-sizes=-2`);
    const check = await checkHeldCheckpoint(example.checkpoint3, retired, {
      origin: EXAMPLE_ORIGIN,
      size: 5,
      nodeHash,
    });
    expect(check).toMatchObject({ holds: false, reason: expect.stringMatching(/signature/) });
    const keys = await parseTrustedKeys(example.verifierKey);
    const other = await checkHeldCheckpoint(example.checkpoint3, keys, {
      origin: "elsewhere/ledger/x",
      size: 5,
      nodeHash,
    });
    expect(other).toMatchObject({ holds: false, reason: expect.stringMatching(/not elsewhere/) });
  });
});
