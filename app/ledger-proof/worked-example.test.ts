import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { WORKED_EXAMPLE_TEST_KEY } from "./testdata/test-key";
import committed from "./testdata/worked-example.json";
import { buildWorkedExample } from "./worked-example";

const page = readFileSync(resolve(import.meta.dirname, "../../docs/ledger-proofs.md"), "utf8");
const vector = (name: string): string => {
  const match = new RegExp("```\\w* test-vector:" + name + "\\n([^]*?)\\n```").exec(page);
  if (!match) throw new Error(`docs/ledger-proofs.md has no test-vector:${name} block`);
  return match[1];
};

describe("the worked example of docs/ledger-proofs.md", async () => {
  const built = await buildWorkedExample(WORKED_EXAMPLE_TEST_KEY);

  it("is rebuilt exactly from the committed test key", () => {
    expect(built).toEqual(committed);
  });

  it("is what the page shows", () => {
    expect(vector("key")).toBe(built.verifierKey);
    expect(vector("records")).toBe(built.records.join("\n"));
    expect(vector("record-3-body")).toBe(built.bodies[2]);
    expect(vector("hashes")).toBe(built.hashes.map((h, i) => `${i + 1} ${h}`).join("\n"));
    expect(vector("leaf-hashes")).toBe(built.leafHashes.map((h, i) => `${i} ${h}`).join("\n"));
    expect(vector("checkpoint-3")).toBe(built.checkpoint3.trimEnd());
    expect(vector("checkpoint-5")).toBe(built.checkpoint5.trimEnd());
    expect(vector("inclusion-proof")).toBe(built.inclusionProof.proof.join("\n"));
    expect(vector("consistency-proof")).toBe(built.consistencyProof.proof.join("\n"));
    expect(vector("tlog-proof")).toBe(built.tlogProof.trimEnd());
    expect(vector("receipt")).toBe(built.receipt.trimEnd());
  });
});
