import { canonicalJson } from "../lib/canonical-json";
import { toHex, utf8 } from "./bytes";
import { sha256 } from "./crypto";

/**
 * A ledger record as a receipt carries it: its canonical JSON (docs/ledger.md), the exact bytes whose SHA-256 is the
 * record's hash and whose RFC 9162 leaf hash is its leaf. Read here without the database, for the offline verifiers.
 */

const V1_FIELDS = [
  "actorUserId",
  "declarationText",
  "ip",
  "kind",
  "organisationId",
  "policySha256",
  "policyVersionId",
  "previousHash",
  "qualifyingAttemptIds",
  "reason",
  "recordedAt",
  "reference",
  "seq",
  "subjectReference",
  "typedName",
  "userAgent",
  "userId",
  "v",
];
const V2_FIELDS = [
  ...V1_FIELDS,
  "bodySignature",
  "codeIssuerUserId",
  "earlierTrainingIds",
  "keyId",
  "reauthMethod",
  "signerEmployeeNumber",
  "signerName",
  "witnessReauthMethod",
  "witnessUserId",
].sort();

/** The fields of each format version, sorted; the ledger's own list is held equal to these by a test. */
export const RECORD_FIELDS: Record<1 | 2, readonly string[]> = { 1: [...V1_FIELDS].sort(), 2: V2_FIELDS };

/** Fields of the record that are not in its signed body: its place in the chain, and the signature itself. */
export const NOT_IN_BODY: readonly string[] = ["seq", "previousHash", "bodySignature"];

export type LedgerRecord = {
  v: 1 | 2;
  organisationId: string;
  seq: number;
  reference: string;
  kind: string;
  userId: string;
  policyVersionId: string | null;
  policySha256: string | null;
  declarationText: string | null;
  typedName: string | null;
  recordedAt: string;
  subjectReference: string | null;
  actorUserId: string | null;
  reason: string | null;
  previousHash: string;
  signerName?: string | null;
  signerEmployeeNumber?: string | null;
  keyId?: string | null;
  bodySignature?: string | null;
  [field: string]: unknown;
};

export class RecordError extends Error {}

/** Reads a record's canonical JSON; throws RecordError unless it is exactly the canonical form of a whole record. */
export function readRecord(text: string): LedgerRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RecordError("the record is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new RecordError("the record is not a JSON object");
  const record = value as Record<string, unknown>;
  if (record.v !== 1 && record.v !== 2) throw new RecordError(`the record's format version is not 1 or 2`);
  const expected = RECORD_FIELDS[record.v];
  const keys = Object.keys(record).sort();
  if (keys.join() !== expected.join())
    throw new RecordError(`the record does not have exactly the fields of format version ${record.v}`);
  if (!Number.isSafeInteger(record.seq) || (record.seq as number) < 1)
    throw new RecordError("the record's seq is not a positive integer");
  for (const key of keys) {
    const value = record[key];
    if (key === "seq" || key === "v") continue;
    if (Array.isArray(value) ? value.some((id) => typeof id !== "string") : value !== null && typeof value !== "string")
      throw new RecordError(`the record's ${key} is neither text nor null, nor a list of text`);
  }
  if (canonicalJson(record) !== text) throw new RecordError("the record is not in canonical JSON (RFC 8785)");
  return record as LedgerRecord;
}

/** The signed body of a format 2 record: its canonical JSON without seq, previousHash and bodySignature. */
export function recordBody(record: LedgerRecord): string {
  return canonicalJson(Object.fromEntries(Object.entries(record).filter(([key]) => !NOT_IN_BODY.includes(key))));
}

/** The record's hash as the ledger writes it: lower-case hex SHA-256 of its canonical JSON's UTF-8 bytes. */
export async function recordHash(text: string): Promise<string> {
  return toHex(await sha256(utf8(text)));
}
