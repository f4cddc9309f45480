import { describe, expect, it } from "vitest";
import { canonicalJson } from "../lib/canonical-json";
import { fromBase64, toBase64, utf8 } from "./bytes";
import { signCheckpoint } from "./checkpoint";
import { describeVerdict, NO_ABSENCE, verdictText } from "./describe-verdict";
import { inclusionProof, inMemoryTree, leafHash, rootHash } from "./merkle";
import { generateNoteKey, noteSigner } from "./note";
import { recordHash } from "./record";
import { formatReceipt, parseTrustedKeys, verifyReceipt, type ReceiptVerdict } from "./receipt";
import { WORKED_EXAMPLE_TEST_KEY } from "./testdata/test-key";
import example from "./testdata/worked-example.json";
import { EXAMPLE_ORIGIN } from "./worked-example";

const keys = () => parseTrustedKeys(example.verifierKey);
const failed = (verdict: ReceiptVerdict) =>
  [verdict.record, verdict.withdrawal].flatMap((e) => e?.checks ?? []).filter((c) => c.passed === false);

/** The receipt with one field of its JSON changed. */
function edit(receipt: string, change: (r: Record<string, string>) => void): string {
  const value = JSON.parse(receipt) as Record<string, string>;
  change(value);
  return JSON.stringify(value);
}

describe("verifying a receipt", () => {
  it("passes the worked example's receipt, says whose record it is, and never claims it was not withdrawn", async () => {
    const verdict = await verifyReceipt(example.receipt, await keys());
    expect(failed(verdict)).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(verdict.withdrawalShown).toBe(false);
    expect(verdict.record?.record?.signerName).toBe("Grace Mensah");
    expect(verdict.record?.checks.map((c) => [c.check, c.passed])).toEqual([
      ["record", true],
      ["record-hash", true],
      ["body-signature", true],
      ["inclusion", true],
      ["checkpoint-signature", true],
    ]);
    expect(verdict.record?.checkpoint).toMatchObject({ origin: EXAMPLE_ORIGIN, size: 5 });
    const described = describeVerdict(verdict);
    expect(described.headline).toBe("Record ATT-9TFN-2KLM is genuine");
    expect(described.paragraphs).toContain(NO_ABSENCE);
    expect(verdictText(described).replace(NO_ABSENCE, "")).not.toMatch(/withdr/i);
  });

  it("shows a withdrawal the receipt carries, with its own proof", async () => {
    const verdict = await verifyReceipt(example.receiptWithWithdrawal, await keys());
    expect(failed(verdict)).toEqual([]);
    expect(verdict.withdrawalShown).toBe(true);
    expect(verdict.withdrawal?.record?.reason).toBe("Signed on behalf of the wrong person");
    expect(describeVerdict(verdict).headline).toBe(
      "Record ATT-3HQP-8WZR is genuine, and this receipt shows it was withdrawn",
    );
  });

  it("fails a record changed by one byte: its hash, its body signature and its inclusion", async () => {
    const tampered = edit(example.receipt, (r) => (r.record = r.record.replace("Grace Mensah", "Grace Mensaj")));
    const verdict = await verifyReceipt(tampered, await keys());
    expect(verdict.valid).toBe(false);
    expect(failed(verdict).map((c) => c.check)).toEqual(["record-hash", "body-signature", "inclusion"]);
    expect(describeVerdict(verdict).headline).toBe("This receipt does not prove the record");
  });

  it("fails a record whose hash was recomputed to match: the signature and the proof still catch it", async () => {
    const record = JSON.parse(example.records[2]) as Record<string, unknown>;
    record.typedName = "someone else";
    const text = canonicalJson(record);
    const hash = await recordHash(text);
    const verdict = await verifyReceipt(
      edit(example.receipt, (r) => Object.assign(r, { record: text, hash })),
      await keys(),
    );
    expect(failed(verdict).map((c) => c.check)).toEqual(["body-signature", "inclusion"]);
  });

  it("fails a wrong proof node, and a proof for another leaf", async () => {
    const node = example.inclusionProof.proof[1];
    const other = toBase64(fromBase64(node)!.map((b, i) => (i === 0 ? b ^ 1 : b)));
    const verdict = await verifyReceipt(
      edit(example.receipt, (r) => (r.proof = r.proof.replace(node, other))),
      await keys(),
    );
    expect(failed(verdict).map((c) => [c.check, c.reason])).toEqual([
      ["inclusion", "the inclusion proof does not lead to the checkpoint's root hash"],
    ]);
    const moved = await verifyReceipt(
      edit(example.receipt, (r) => (r.proof = r.proof.replace("index 2", "index 3"))),
      await keys(),
    );
    expect(failed(moved).map((c) => c.check)).toEqual(["inclusion"]);
  });

  it("fails a checkpoint whose signature or root was changed", async () => {
    const signature = example.checkpoint5.split("— conduct.example.invalid ")[1].trim();
    const bad = toBase64(fromBase64(signature)!.map((b, i) => (i === 10 ? b ^ 1 : b)));
    const verdict = await verifyReceipt(
      edit(example.receipt, (r) => (r.proof = r.proof.replace(signature, bad))),
      await keys(),
    );
    expect(failed(verdict).map((c) => [c.check, c.reason])).toEqual([
      ["checkpoint-signature", "the signature of conduct.example.invalid+babd46e6 does not hold"],
    ]);
  });

  it("fails a receipt checked with another council's key, and a checkpoint of another log", async () => {
    const other = await generateNoteKey("conduct.example.invalid/ledger/other-council");
    const verdict = await verifyReceipt(example.receipt, await parseTrustedKeys(other.verifierKey));
    expect(failed(verdict).map((c) => [c.check, c.reason])).toEqual([
      [
        "body-signature",
        "the record was signed by conduct.example.invalid+babd46e6, which is not among the keys you gave",
      ],
      ["checkpoint-signature", "no signature on the checkpoint is from a key you gave"],
    ]);
    const origin = await verifyReceipt(example.receipt, await keys(), {
      origin: "conduct.example.invalid/ledger/other",
    });
    expect(failed(origin).map((c) => c.check)).toEqual(["checkpoint-signature"]);
  });

  it("judges a retired key by the checkpoint it signed, not by the record's own time", async () => {
    // Retired after signing the checkpoint of size 4: it cannot vouch for a tree of 5, nor sign the record at entry 5.
    const retired = await parseTrustedKeys(`${example.verifierKey} tree-sizes=-4`);
    const verdict = await verifyReceipt(example.receipt, retired);
    expect(failed(verdict).map((c) => [c.check, c.reason])).toEqual([
      [
        "checkpoint-signature",
        "signed by conduct.example.invalid+babd46e6, a key valid only for tree sizes 0 to 4, not for tree size 5",
      ],
    ]);
    const withdrawn = await verifyReceipt(example.receiptWithWithdrawal, retired);
    expect(failed(withdrawn).map((c) => c.check)).toEqual([
      "checkpoint-signature",
      "body-signature",
      "checkpoint-signature",
    ]);
  });

  it("keeps an old receipt valid after rotation: a new key signs new checkpoints over records the old key signed", async () => {
    const oldSigner = await noteSigner(WORKED_EXAMPLE_TEST_KEY);
    const next = await generateNoteKey("conduct.example.invalid");
    const newSigner = await noteSigner(next.signerKey);
    const tree = inMemoryTree(await Promise.all(example.records.map((r) => leafHash(utf8(r)))));
    const checkpoint = await signCheckpoint(
      { origin: EXAMPLE_ORIGIN, size: 5, rootHash: await rootHash(5, tree), extensions: [] },
      [newSigner],
    );
    const receipt = await formatReceipt({
      record: example.records[2],
      proof: { index: 2, proof: await inclusionProof(2, 5, tree), checkpoint },
    });
    const ring = await parseTrustedKeys(`${example.verifierKey} tree-sizes=-5\n${next.verifierKey} tree-sizes=6-\n`);
    // Old receipt (old key's checkpoint of 5) and a new key's checkpoint of 5 (outside the new key's sizes) differ:
    expect((await verifyReceipt(example.receipt, ring)).valid).toBe(true);
    expect(failed(await verifyReceipt(receipt, ring)).map((c) => c.check)).toEqual(["checkpoint-signature"]);
    const both = await parseTrustedKeys(`${example.verifierKey} tree-sizes=-5\n${next.verifierKey} tree-sizes=5-\n`);
    expect((await verifyReceipt(receipt, both)).valid).toBe(true);
    expect(oldSigner.verifierKey).toBe(example.verifierKey);
  });

  it("checks that a withdrawal names the record", async () => {
    const swapped = edit(example.receiptWithWithdrawal, (r) => {
      const withdrawal = r.withdrawal as unknown as Record<string, string>;
      Object.assign(withdrawal, JSON.parse(example.receipt) as Record<string, string>);
      delete (withdrawal as Record<string, unknown>).format;
    });
    const verdict = await verifyReceipt(swapped, await keys());
    expect(verdict.withdrawalShown).toBe(false);
    expect(failed(verdict).map((c) => [c.check, c.reason])).toEqual([
      ["withdrawal", "the second record is of kind signed, not a withdrawal"],
    ]);
  });

  it("says why a file is not a receipt, and refuses bad key lists", async () => {
    expect((await verifyReceipt("not json", await keys())).unreadable).toBe("the file is not JSON, so not a receipt");
    expect((await verifyReceipt("{}", await keys())).unreadable).toMatch(/not a receipt/);
    expect(describeVerdict(await verifyReceipt("{}", await keys())).headline).toBe("This file cannot be checked");
    await expect(parseTrustedKeys("")).rejects.toThrow(/no verifier key/);
    await expect(parseTrustedKeys("nonsense")).rejects.toThrow(/not a verifier key/);
    await expect(parseTrustedKeys(`${example.verifierKey} from=3`)).rejects.toThrow(/tree-sizes/);
    const listed = await parseTrustedKeys(`# the council's keys\n${example.verifierKey} tree-sizes=2-9 # rotated\n`);
    expect(listed.map((k) => [k.fromSize, k.untilSize])).toEqual([[2, 9]]);
  });

  it("refuses a record that is not in canonical JSON even when its hash matches", async () => {
    const spaced = example.records[2].replace('"v":2', '"v": 2');
    const hash = await recordHash(spaced);
    const verdict = await verifyReceipt(
      edit(example.receipt, (r) => Object.assign(r, { record: spaced, hash })),
      await keys(),
    );
    expect(failed(verdict).map((c) => [c.check, c.reason])).toEqual([
      ["record", "the record is not in canonical JSON (RFC 8785)"],
    ]);
  });
});
