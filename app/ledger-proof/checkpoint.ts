import { fromBase64, toBase64 } from "./bytes";
import { openNote, signNote, type NoteSignature, type NoteSigner, type NoteVerifier } from "./note";

/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): a signed note whose text is the log's origin, the tree size
 * in decimal and the base64 root hash, one a line, then optional non-empty extension lines.
 */

export type Checkpoint = { origin: string; size: number; rootHash: Uint8Array; extensions: string[] };

export class CheckpointError extends Error {}

export function formatCheckpoint(checkpoint: Omit<Checkpoint, "extensions"> & { extensions?: string[] }): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (origin === "" || origin.includes("\n")) throw new CheckpointError("a checkpoint's origin is one non-empty line");
  if (!Number.isSafeInteger(size) || size < 0) throw new CheckpointError("a tree size is a non-negative integer");
  if (rootHash.length !== 32) throw new CheckpointError("a root hash is 32 bytes");
  if (extensions.some((line) => line === "" || line.includes("\n")))
    throw new CheckpointError("extension lines are single non-empty lines");
  return [origin, String(size), toBase64(rootHash), ...extensions].map((line) => `${line}\n`).join("");
}

/** Reads a checkpoint's note text by the spec's rules; throws CheckpointError saying what is wrong. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw new CheckpointError("a checkpoint's text ends with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || lines.some((line) => line === ""))
    throw new CheckpointError("a checkpoint has at least three lines, none of them empty");
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw new CheckpointError(`the tree size "${sizeText.slice(0, 40)}" is not a decimal number without leading zeros`);
  const rootHash = fromBase64(rootText);
  if (!rootHash || rootHash.length !== 32)
    throw new CheckpointError("the root hash is not the standard base64 of 32 bytes");
  return { origin, size: Number(sizeText), rootHash, extensions };
}

export function signCheckpoint(checkpoint: Checkpoint | string, signers: NoteSigner[]): Promise<string> {
  return signNote(typeof checkpoint === "string" ? checkpoint : formatCheckpoint(checkpoint), signers);
}

export type OpenedCheckpoint = {
  checkpoint: Checkpoint;
  text: string;
  verified: NoteSignature[];
  unverified: NoteSignature[];
};

/** Opens a signed checkpoint with the keys a caller trusts (see openNote); throws NoteError or CheckpointError. */
export async function openCheckpoint(signed: string, verifiers: NoteVerifier[]): Promise<OpenedCheckpoint> {
  const note = await openNote(signed, verifiers);
  return { ...note, checkpoint: parseCheckpoint(note.text) };
}

/** The checkpoint in a signed note, unverified (to show what a receipt claims before its signature is judged). */
export function readSignedCheckpoint(signed: string): Checkpoint {
  const split = signed.lastIndexOf("\n\n");
  if (split < 0) throw new CheckpointError("the checkpoint has no blank line before its signatures");
  return parseCheckpoint(signed.slice(0, split + 1));
}
