import { fromBase64, toBase64 } from "./bytes";

/**
 * C2SP tlog-proof (https://c2sp.org/tlog-proof): an offline inclusion proof.
 *   c2sp.org/tlog-proof@v1
 *   extra <base64>          (optional, not authenticated)
 *   index <decimal>
 *   <base64 hash>           (zero or more: the inclusion proof, leaf's sibling first)
 *   <empty line>
 *   <the signed checkpoint, verbatim>
 */

export const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export type TlogProof = { extra: Uint8Array | null; index: number; proof: Uint8Array[]; checkpoint: string };

export class TlogProofError extends Error {}

export function formatTlogProof({
  extra = null,
  index,
  proof,
  checkpoint,
}: Partial<TlogProof> & Omit<TlogProof, "extra">) {
  if (!Number.isSafeInteger(index) || index < 0) throw new TlogProofError("an index is a non-negative integer");
  if (proof.some((hash) => hash.length !== 32)) throw new TlogProofError("each proof hash is 32 bytes");
  const lines = [TLOG_PROOF_HEADER];
  if (extra) lines.push(`extra ${toBase64(extra)}`);
  lines.push(`index ${index}`, ...proof.map(toBase64), "");
  return `${lines.join("\n")}\n${checkpoint}`;
}

/** Reads a tlog-proof; throws TlogProofError saying what is wrong. The checkpoint is returned as text, unverified. */
export function parseTlogProof(text: string): TlogProof {
  const lines = text.split("\n");
  if (lines[0] !== TLOG_PROOF_HEADER) throw new TlogProofError(`a proof starts with the line ${TLOG_PROOF_HEADER}`);
  let at = 1;
  let extra: Uint8Array | null = null;
  if (lines[at]?.startsWith("extra ")) {
    extra = fromBase64(lines[at].slice("extra ".length));
    if (!extra) throw new TlogProofError("the extra line is not standard base64");
    at++;
  }
  const index = /^index (0|[1-9][0-9]*)$/.exec(lines[at] ?? "");
  if (!index || !Number.isSafeInteger(Number(index[1])))
    throw new TlogProofError('the index line is not "index" and a decimal number without leading zeros');
  at++;
  const proof: Uint8Array[] = [];
  for (; at < lines.length && lines[at] !== ""; at++) {
    const hash = fromBase64(lines[at]);
    if (!hash || hash.length !== 32)
      throw new TlogProofError(`proof line ${proof.length + 1} is not a base64 SHA-256 hash`);
    proof.push(hash);
  }
  if (at >= lines.length) throw new TlogProofError("no empty line before the checkpoint");
  const checkpoint = lines.slice(at + 1).join("\n");
  if (checkpoint === "") throw new TlogProofError("the proof holds no checkpoint");
  return { extra, index: Number(index[1]), proof, checkpoint };
}
