import { fromBase64, toBase64, utf8 } from "./bytes";
import { ed25519Verify } from "./crypto";
import { readSignedCheckpoint, type Checkpoint } from "./checkpoint";
import { leafHash, verifyInclusion } from "./merkle";
import { NoteError, noteVerifier, openNote, type NoteVerifier } from "./note";
import { readRecord, recordBody, recordHash, type LedgerRecord } from "./record";
import { formatTlogProof, parseTlogProof, type TlogProof } from "./tlog-proof";

/**
 * A receipt: one JSON file holding a ledger record's canonical JSON, its hash, and a C2SP tlog-proof (leaf index,
 * inclusion proof, signed checkpoint); after a withdrawal also the withdrawal record with its own proof. The record's
 * body signature and key id are fields of its canonical JSON. docs/ledger-proofs.md describes it.
 */

export const RECEIPT_FORMAT = "ledger-receipt@v1";

export type ReceiptEntry = { record: string; hash: string; proof: string };
export type Receipt = {
  format: typeof RECEIPT_FORMAT;
  record: string;
  hash: string;
  proof: string;
  withdrawal?: ReceiptEntry;
};

export type ProvenEntry = { record: string; proof: Omit<TlogProof, "extra"> };

async function entry({ record, proof }: ProvenEntry): Promise<ReceiptEntry> {
  return { record, hash: await recordHash(record), proof: formatTlogProof(proof) };
}

/** The receipt file's text for a record (and its withdrawal), each with the index, proof and signed checkpoint. */
export async function formatReceipt(record: ProvenEntry, withdrawal?: ProvenEntry): Promise<string> {
  const receipt: Receipt = { format: RECEIPT_FORMAT, ...(await entry(record)) };
  if (withdrawal) receipt.withdrawal = await entry(withdrawal);
  return `${JSON.stringify(receipt, null, 2)}\n`;
}

/** A council's key as a verifier trusts it, valid for checkpoints of tree sizes in [fromSize, untilSize]. */
export type TrustedKey = { verifier: NoteVerifier; fromSize: number | null; untilSize: number | null };

export class KeyListError extends Error {}

/**
 * Reads a council's published keys: one verifier key a line, optionally followed by `tree-sizes=<from>-<until>` (either
 * end may be empty: the tree sizes of the checkpoints the key signs, both ends included); `#` starts a comment.
 */
export async function parseTrustedKeys(text: string): Promise<TrustedKey[]> {
  const keys: TrustedKey[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const [key, period, ...rest] = line.split(/\s+/);
    const sizes = period === undefined ? ["", ""] : /^tree-sizes=(\d*)-(\d*)$/.exec(period)?.slice(1);
    if (!sizes || rest.length > 0)
      throw new KeyListError(
        `"${line.slice(0, 80)}" is not a verifier key, optionally followed by tree-sizes=<from>-<until>`,
      );
    try {
      keys.push({
        verifier: await noteVerifier(key),
        fromSize: sizes[0] === "" ? null : Number(sizes[0]),
        untilSize: sizes[1] === "" ? null : Number(sizes[1]),
      });
    } catch (error) {
      throw new KeyListError(error instanceof NoteError ? error.message : String(error));
    }
  }
  if (keys.length === 0) throw new KeyListError("no verifier key was given");
  return keys;
}

const validAt = (key: TrustedKey, size: number) =>
  (key.fromSize === null || key.fromSize <= size) && (key.untilSize === null || size <= key.untilSize);

const period = (key: TrustedKey) =>
  key.fromSize === null && key.untilSize === null
    ? "any tree size"
    : `tree sizes ${key.fromSize ?? 0} to ${key.untilSize ?? "now"}`;

export type CheckName =
  "record" | "record-hash" | "body-signature" | "inclusion" | "checkpoint-signature" | "withdrawal";
/** passed: true, false, or null when the check does not apply (a format 1 record has no body signature). */
export type Check = { check: CheckName; passed: boolean | null; reason: string };

export type EntryVerdict = {
  valid: boolean;
  record: LedgerRecord | null;
  hash: string | null;
  leafIndex: number | null;
  checkpoint: { origin: string; size: number; rootHash: string; signedBy: string[] } | null;
  checks: Check[];
};

export type ReceiptVerdict = {
  /** Every check of the record (and of the withdrawal, when the receipt shows one) passed. */
  valid: boolean;
  /** Set when the file itself cannot be read as a receipt. */
  unreadable: string | null;
  record: EntryVerdict | null;
  withdrawal: EntryVerdict | null;
  /** The receipt shows a valid withdrawal of the record. Its absence proves nothing: a log cannot prove an absence. */
  withdrawalShown: boolean;
};

export type VerifyOptions = { origin?: string };

async function verifyCheckpointSignature(signed: string, checkpoint: Checkpoint, keys: TrustedKey[]): Promise<Check> {
  const fail = (reason: string): Check => ({ check: "checkpoint-signature", passed: false, reason });
  const valid = keys.filter((k) => validAt(k, checkpoint.size)).map((k) => k.verifier);
  try {
    const opened = await openNote(signed, valid);
    const names = opened.verified.map((s) => `${s.name}+${s.keyHash}`);
    return { check: "checkpoint-signature", passed: true, reason: `signed by ${names.join(" and ")}` };
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    if (!/no signature on the note is from a known key/.test(error.message)) return fail(error.message);
    // Say why, when a key the council published signed it outside the tree sizes it was valid for.
    const outside = keys.filter((k) => !validAt(k, checkpoint.size));
    for (const key of outside) {
      try {
        await openNote(signed, [key.verifier]);
        return fail(
          `signed by ${key.verifier.name}+${key.verifier.keyHash}, a key valid only for ${period(key)}, not for tree size ${checkpoint.size}`,
        );
      } catch {
        // Not this key.
      }
    }
    return fail("no signature on the checkpoint is from a key you gave");
  }
}

async function verifyBodySignature(record: LedgerRecord, keys: TrustedKey[]): Promise<Check> {
  const fail = (reason: string): Check => ({ check: "body-signature", passed: false, reason });
  if (record.v === 1)
    return {
      check: "body-signature",
      passed: null,
      reason: "a format 1 record (written before records were signed) has no body signature",
    };
  if (!record.keyId || !record.bodySignature) return fail("the record has no key id or no body signature");
  const candidates = keys.filter((k) => `${k.verifier.name}+${k.verifier.keyHash}` === record.keyId);
  if (candidates.length === 0)
    return fail(`the record was signed by ${record.keyId}, which is not among the keys you gave`);
  const signature = fromBase64(record.bodySignature);
  if (!signature || signature.length !== 64) return fail("the body signature is not a base64 Ed25519 signature");
  const body = utf8(recordBody(record));
  const holding: TrustedKey[] = [];
  for (const key of candidates) if (await ed25519Verify(key.verifier.publicKey, body, signature)) holding.push(key);
  if (holding.length === 0) return fail(`the body signature does not hold under ${record.keyId}`);
  // Judged by the record's place in the log, which the checkpoint proves, never by its own recordedAt.
  const size = record.seq;
  if (!holding.some((k) => validAt(k, size)))
    return fail(`${record.keyId} is valid only for ${period(holding[0])}; this record is entry ${size} of the log`);
  return { check: "body-signature", passed: true, reason: `signed by ${record.keyId}` };
}

async function verifyEntry(entry: ReceiptEntry, keys: TrustedKey[], options: VerifyOptions): Promise<EntryVerdict> {
  const checks: Check[] = [];
  const verdict: EntryVerdict = { valid: false, record: null, hash: null, leafIndex: null, checkpoint: null, checks };
  let record: LedgerRecord;
  try {
    record = readRecord(entry.record);
    verdict.record = record;
    checks.push({ check: "record", passed: true, reason: `a format ${record.v} record in canonical JSON` });
  } catch (error) {
    checks.push({ check: "record", passed: false, reason: (error as Error).message });
    return verdict;
  }
  const hash = await recordHash(entry.record);
  verdict.hash = hash;
  checks.push(
    hash === entry.hash
      ? { check: "record-hash", passed: true, reason: `the record's SHA-256 is ${hash}` }
      : { check: "record-hash", passed: false, reason: `the record's SHA-256 is ${hash}, not ${entry.hash}` },
  );
  checks.push(await verifyBodySignature(record, keys));

  let proof: TlogProof;
  let checkpoint: Checkpoint;
  try {
    proof = parseTlogProof(entry.proof);
    checkpoint = readSignedCheckpoint(proof.checkpoint);
  } catch (error) {
    checks.push({ check: "inclusion", passed: false, reason: (error as Error).message });
    checks.push({ check: "checkpoint-signature", passed: false, reason: "there is no readable checkpoint" });
    return verdict;
  }
  verdict.leafIndex = proof.index;
  const signature = await verifyCheckpointSignature(proof.checkpoint, checkpoint, keys);
  verdict.checkpoint = {
    origin: checkpoint.origin,
    size: checkpoint.size,
    rootHash: toBase64(checkpoint.rootHash),
    signedBy: signature.passed ? signature.reason.replace(/^signed by /, "").split(" and ") : [],
  };
  if (proof.index !== record.seq - 1)
    checks.push({
      check: "inclusion",
      passed: false,
      reason: `the proof is for leaf ${proof.index}, but record ${record.seq} of the log is leaf ${record.seq - 1}`,
    });
  else
    try {
      await verifyInclusion(
        proof.index,
        checkpoint.size,
        await leafHash(utf8(entry.record)),
        proof.proof,
        checkpoint.rootHash,
      );
      checks.push({
        check: "inclusion",
        passed: true,
        reason: `leaf ${proof.index} of the tree of ${checkpoint.size} records whose root the checkpoint names`,
      });
    } catch (error) {
      checks.push({ check: "inclusion", passed: false, reason: (error as Error).message });
    }
  if (signature.passed && options.origin !== undefined && checkpoint.origin !== options.origin)
    checks.push({
      check: "checkpoint-signature",
      passed: false,
      reason: `the checkpoint is of the log ${checkpoint.origin}, not ${options.origin}`,
    });
  else checks.push(signature);
  verdict.valid = checks.every((c) => c.passed !== false);
  return verdict;
}

function withdrawalCheck(record: EntryVerdict, withdrawal: EntryVerdict): Check {
  const r = record.record;
  const w = withdrawal.record;
  const fail = (reason: string): Check => ({ check: "withdrawal", passed: false, reason });
  if (!r || !w) return fail("the withdrawal cannot be read");
  if (w.kind !== "withdrawn") return fail(`the second record is of kind ${w.kind}, not a withdrawal`);
  if (w.subjectReference !== r.reference) return fail(`it withdraws ${w.subjectReference}, not ${r.reference}`);
  if (w.organisationId !== r.organisationId) return fail("it is a record of another council's ledger");
  if (w.seq <= r.seq) return fail("it comes before the record it withdraws");
  if (record.checkpoint && withdrawal.checkpoint && record.checkpoint.origin !== withdrawal.checkpoint.origin)
    return fail("its checkpoint is of another log");
  return { check: "withdrawal", passed: true, reason: `record ${w.reference} withdraws ${r.reference}` };
}

function readReceipt(text: string): Receipt {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("the file is not JSON, so not a receipt");
  }
  const isEntry = (e: unknown): e is ReceiptEntry =>
    typeof e === "object" &&
    e !== null &&
    ["record", "hash", "proof"].every((k) => typeof (e as Record<string, unknown>)[k] === "string");
  const receipt = value as Receipt;
  if (typeof value !== "object" || value === null || receipt.format !== RECEIPT_FORMAT)
    throw new Error(`the file is not a receipt (its "format" is not ${RECEIPT_FORMAT})`);
  if (!isEntry(receipt) || (receipt.withdrawal !== undefined && !isEntry(receipt.withdrawal)))
    throw new Error("the receipt lacks a record, its hash or its proof");
  return receipt;
}

/**
 * Verifies a receipt's text with a council's trusted keys (parseTrustedKeys). Never throws for a bad receipt: the
 * verdict says what failed and why.
 */
export async function verifyReceipt(
  text: string,
  keys: TrustedKey[],
  options: VerifyOptions = {},
): Promise<ReceiptVerdict> {
  let receipt: Receipt;
  try {
    receipt = readReceipt(text);
  } catch (error) {
    return {
      valid: false,
      unreadable: (error as Error).message,
      record: null,
      withdrawal: null,
      withdrawalShown: false,
    };
  }
  const record = await verifyEntry(receipt, keys, options);
  let withdrawal: EntryVerdict | null = null;
  if (receipt.withdrawal) {
    withdrawal = await verifyEntry(receipt.withdrawal, keys, options);
    withdrawal.checks.push(withdrawalCheck(record, withdrawal));
    withdrawal.valid = withdrawal.checks.every((c) => c.passed !== false);
  }
  return {
    valid: record.valid && (withdrawal?.valid ?? true),
    unreadable: null,
    record,
    withdrawal,
    withdrawalShown: withdrawal?.valid === true,
  };
}
