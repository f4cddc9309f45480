import { describe, expect, it } from "vitest";
import { fromBase64 } from "./bytes";
import { CheckpointError, formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from "./checkpoint";
import { noteSigner, noteVerifier } from "./note";
import { formatTlogProof, parseTlogProof, TlogProofError } from "./tlog-proof";
import go from "./testdata/golang-sumdb-note.json";

const root = fromBase64("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")!;

describe("C2SP tlog-checkpoint", () => {
  it("writes and reads the spec's example body", () => {
    const text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    expect(formatCheckpoint({ origin: "example.com/behind-the-sofa", size: 20852163, rootHash: root })).toBe(text);
    expect(parseCheckpoint(text)).toEqual({
      origin: "example.com/behind-the-sofa",
      size: 20852163,
      rootHash: root,
      extensions: [],
    });
    expect(parseCheckpoint(`${text}ext one\n`).extensions).toEqual(["ext one"]);
  });

  it("refuses what the spec forbids", () => {
    const bad = [
      "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", // no final newline
      "o\n1\n", // two lines
      "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", // empty origin
      "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", // leading zero
      "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
      "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", // unpadded
      "o\n1\nAAAA\n", // not 32 bytes
      "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n", // empty extension line
    ];
    for (const text of bad) expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow(CheckpointError);
  });

  it("signs and opens a checkpoint as a signed note", async () => {
    const signed = await signCheckpoint({ origin: "PeterNeumann/log", size: 0, rootHash: root, extensions: [] }, [
      await noteSigner(go.signerKey),
    ]);
    const opened = await openCheckpoint(signed, [await noteVerifier(go.verifierKey)]);
    expect(opened.checkpoint.size).toBe(0);
    expect(opened.verified[0].name).toBe("PeterNeumann");
  });
});

describe("C2SP tlog-proof", () => {
  const checkpoint =
    "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n— example.com/fancylog AAAAAAAA\n";
  const nodes = ["gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=", "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA="];

  it("writes and reads the spec's layout, with and without extra data and proof lines", () => {
    const text = `c2sp.org/tlog-proof@v1\nextra YWJj\nindex 73894\n${nodes.join("\n")}\n\n${checkpoint}`;
    const proof = {
      extra: new TextEncoder().encode("abc"),
      index: 73894,
      proof: nodes.map((n) => fromBase64(n)!),
      checkpoint,
    };
    expect(formatTlogProof(proof)).toBe(text);
    expect(parseTlogProof(text)).toEqual(proof);
    const bare = `c2sp.org/tlog-proof@v1\nindex 0\n\n${checkpoint}`;
    expect(formatTlogProof({ index: 0, proof: [], checkpoint })).toBe(bare);
    expect(parseTlogProof(bare)).toEqual({ extra: null, index: 0, proof: [], checkpoint });
  });

  it("refuses malformed proofs", () => {
    const bad = [
      `c2sp.org/tlog-proof@v2\nindex 0\n\n${checkpoint}`,
      `c2sp.org/tlog-proof@v1\nindex 01\n\n${checkpoint}`,
      `c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\n${checkpoint}`,
      `c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n${checkpoint}`,
      `c2sp.org/tlog-proof@v1\nindex 1\n${nodes[0]}`,
      `c2sp.org/tlog-proof@v1\nindex 1\n\n`,
    ];
    for (const text of bad) expect(() => parseTlogProof(text), JSON.stringify(text)).toThrow(TlogProofError);
  });
});
