import { equalBytes, toBase64 } from "./bytes";
import { readSignedCheckpoint, type Checkpoint } from "./checkpoint";
import { consistencyProof, rootHash, verifyConsistency, type NodeHash } from "./merkle";
import { NoteError, openNote } from "./note";
import type { TrustedKey } from "./receipt";

/**
 * Whether a council's log as it is now extends a checkpoint held elsewhere (a witness's copy, an evidence pack's):
 * the checkpoint's signature holds under a key valid for its size, the log is at least that long (else its tail was
 * cut), and the root of its first `size` leaves is the checkpoint's root (else its history was rewritten). On success
 * it returns the RFC 9162 consistency proof from the held checkpoint to the current tree, verified, to serve.
 */
export type HeldCheckpointCheck =
  | { holds: true; held: Checkpoint; currentSize: number; currentRoot: string; proof: Uint8Array[] }
  | { holds: false; held: Checkpoint | null; reason: string };

export async function checkHeldCheckpoint(
  signed: string,
  keys: TrustedKey[],
  current: { origin: string; size: number; nodeHash: NodeHash },
): Promise<HeldCheckpointCheck> {
  let held: Checkpoint;
  try {
    held = readSignedCheckpoint(signed);
  } catch (error) {
    return { holds: false, held: null, reason: (error as Error).message };
  }
  const valid = keys
    .filter((k) => (k.fromSize ?? 0) <= held.size && (k.untilSize === null || held.size <= k.untilSize))
    .map((k) => k.verifier);
  try {
    await openNote(signed, valid);
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    return { holds: false, held, reason: `the held checkpoint's signature: ${error.message}` };
  }
  if (held.origin !== current.origin)
    return { holds: false, held, reason: `the held checkpoint is of the log ${held.origin}, not ${current.origin}` };
  if (held.size > current.size)
    return {
      holds: false,
      held,
      reason: `the log has ${current.size} records, fewer than the ${held.size} of a checkpoint it signed: its tail was cut`,
    };
  const rootThen = await rootHash(held.size, current.nodeHash);
  if (!equalBytes(rootThen, held.rootHash))
    return {
      holds: false,
      held,
      reason: `the log's first ${held.size} records no longer have the root the checkpoint signed: its history was rewritten`,
    };
  const currentRoot = await rootHash(current.size, current.nodeHash);
  if (held.size === 0)
    return { holds: true, held, currentSize: current.size, currentRoot: toBase64(currentRoot), proof: [] };
  const proof = await consistencyProof(held.size, current.size, current.nodeHash);
  await verifyConsistency(held.size, current.size, held.rootHash, currentRoot, proof);
  return { holds: true, held, currentSize: current.size, currentRoot: toBase64(currentRoot), proof };
}
