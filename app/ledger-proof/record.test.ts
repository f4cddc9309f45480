import { describe, expect, it } from "vitest";
import { bodyFields, hashedFields } from "~/attestation/ledger.server";
import { canonicalJson } from "~/lib/canonical-json";
import { RECORD_FIELDS, readRecord, recordBody, RecordError } from "./record";
import example from "./testdata/worked-example.json";

describe("records as receipts carry them", () => {
  it("knows exactly the fields the ledger hashes, in each format, and the same body", () => {
    const shape = { recordedAt: new Date(0), qualifyingAttemptIds: [], earlierTrainingIds: [] } as never;
    for (const v of [1, 2] as const)
      expect(RECORD_FIELDS[v]).toEqual(
        Object.keys(hashedFields({ ...(shape as object), formatVersion: v } as never)).sort(),
      );
    const record = readRecord(example.records[0]);
    const row = { ...record, formatVersion: 2, recordedAt: new Date(record.recordedAt) } as never;
    expect(recordBody(record)).toBe(canonicalJson(bodyFields(row)));
  });

  it("refuses anything but a whole record in canonical JSON", () => {
    const record = JSON.parse(example.records[0]) as Record<string, unknown>;
    const bad = [
      "[]",
      "{",
      canonicalJson({ ...record, v: 3 }),
      canonicalJson({ ...record, extra: "x" }),
      canonicalJson({ ...record, seq: 0 }),
      canonicalJson({ ...record, reason: 5 }),
      canonicalJson({ ...record, qualifyingAttemptIds: [1] }),
      JSON.stringify({ v: 2, ...record }),
    ];
    for (const text of bad) expect(() => readRecord(text), text.slice(0, 40)).toThrow(RecordError);
  });
});
