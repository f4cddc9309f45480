import { concat, equalBytes, fromBase64, fromUtf8, toBase64, toHex, utf8 } from "./bytes";
import { ed25519KeyFromSeed, ed25519Sign, ed25519Verify, sha256 } from "./crypto";

/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, as Go's golang.org/x/mod/sumdb/note writes them:
 *   key id:        first 4 bytes of SHA-256(name || 0x0A || 0x01 || 32-byte public key), written as 8 lower-case hex
 *   verifier key:  <name>+<hex key id>+<base64(0x01 || public key)>
 *   signer key:    PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>
 *   signature:     "— <name> " base64(key id || 64-byte signature) "\n" after the text and a blank line
 */

export const ED25519 = 0x01;

/** A key in either form, read but not yet checked against its key id. */
export type NoteKeyParts = { name: string; keyHash: string; type: number; key: Uint8Array };

/** Key names are non-empty, with no Unicode space and no "+". */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[+\s\u0085\u2028\u2029]/u.test(name) && !/\p{Zs}/u.test(name);
}

/** The bytes whose SHA-256 begins with the key id: name || 0x0A || type || key. */
export function keyHashInput(name: string, type: number, key: Uint8Array): Uint8Array {
  return concat(utf8(`${name}\n`), new Uint8Array([type]), key);
}

/** Splits `a+b+rest` into at most `parts` pieces: base64 itself may contain "+". */
function splitPlus(text: string, parts: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (out.length < parts - 1) {
    const at = rest.indexOf("+");
    if (at < 0) break;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  out.push(rest);
  return out;
}

function keyParts(name: string | undefined, hash: string | undefined, encoded: string | undefined) {
  if (!name || !isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(hash ?? "") || !encoded) return null;
  const bytes = fromBase64(encoded);
  if (!bytes || bytes.length !== 33 || bytes[0] !== ED25519) return null;
  return { name, keyHash: hash!, type: bytes[0], key: bytes.subarray(1) };
}

/** Reads `<name>+<8 hex>+<base64(0x01 || 32 bytes)>` (the key id is not checked here), or null. */
export function readVerifierKey(text: string): NoteKeyParts | null {
  const [name, hash, encoded] = splitPlus(text.trim(), 3);
  return keyParts(name, hash, encoded);
}

/** Reads `PRIVATE+KEY+<name>+<8 hex>+<base64(0x01 || 32-byte seed)>` (the key id is not checked here), or null. */
export function readSignerKey(text: string): NoteKeyParts | null {
  const [p, k, name, hash, encoded] = splitPlus(text.trim(), 5);
  return p === "PRIVATE" && k === "KEY" ? keyParts(name, hash, encoded) : null;
}

export function formatVerifierKey(name: string, keyHash: string, publicKey: Uint8Array): string {
  return `${name}+${keyHash}+${toBase64(concat(new Uint8Array([ED25519]), publicKey))}`;
}

export function formatSignerKey(name: string, keyHash: string, seed: Uint8Array): string {
  return `PRIVATE+KEY+${formatVerifierKey(name, keyHash, seed)}`;
}

/** The key id of an Ed25519 public key under a name, as 8 lower-case hex digits. */
export async function noteKeyHash(name: string, publicKey: Uint8Array): Promise<string> {
  return toHex((await sha256(keyHashInput(name, ED25519, publicKey))).subarray(0, 4));
}

export type NoteVerifier = { name: string; keyHash: string; publicKey: Uint8Array; verifierKey: string };
export type NoteSigner = NoteVerifier & { sign(message: Uint8Array): Promise<Uint8Array> };

export class NoteError extends Error {}

/** A verifier key, checked: its key id must be the one its name and public key give. Throws NoteError. */
export async function noteVerifier(text: string): Promise<NoteVerifier> {
  const parts = readVerifierKey(text);
  if (!parts)
    throw new NoteError(`not a verifier key of the form <name>+<8 hex>+<base64>: ${text.trim().slice(0, 80)}`);
  if ((await noteKeyHash(parts.name, parts.key)) !== parts.keyHash)
    throw new NoteError(`the key id ${parts.keyHash} of verifier key ${parts.name} does not match its public key`);
  return { name: parts.name, keyHash: parts.keyHash, publicKey: parts.key, verifierKey: text.trim() };
}

/** A signer key, checked against its key id. Throws NoteError (never echoing the key). */
export async function noteSigner(text: string): Promise<NoteSigner> {
  const parts = readSignerKey(text);
  if (!parts) throw new NoteError("not a signer key of the form PRIVATE+KEY+<name>+<8 hex>+<base64>");
  const { privateKey, publicKey } = await ed25519KeyFromSeed(parts.key);
  if ((await noteKeyHash(parts.name, publicKey)) !== parts.keyHash)
    throw new NoteError(`the key id ${parts.keyHash} of signer key ${parts.name} does not match the key`);
  return {
    name: parts.name,
    keyHash: parts.keyHash,
    publicKey,
    verifierKey: formatVerifierKey(parts.name, parts.keyHash, publicKey),
    sign: (message) => ed25519Sign(privateKey, message),
  };
}

/** A new Ed25519 signer key in note form, from 32 random bytes. */
export async function generateNoteKey(name: string): Promise<{ signerKey: string; verifierKey: string }> {
  if (!isValidKeyName(name)) throw new NoteError(`A key name has no "+" and no white space: ${name}`);
  const seed = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const { publicKey } = await ed25519KeyFromSeed(seed);
  const keyHash = await noteKeyHash(name, publicKey);
  return { signerKey: formatSignerKey(name, keyHash, seed), verifierKey: formatVerifierKey(name, keyHash, publicKey) };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return true;
  }
  return false;
}

function checkNoteText(text: string) {
  if (!text.endsWith("\n")) throw new NoteError("a note's text ends with a newline");
  if (hasControlCharacter(text)) throw new NoteError("a note holds no control character but newline");
}

/** The signed note: the text, a blank line, then one signature line per signer. */
export async function signNote(text: string, signers: NoteSigner[]): Promise<string> {
  checkNoteText(text);
  const message = utf8(text);
  let lines = "";
  for (const signer of signers) {
    const signature = await signer.sign(message);
    const keyId = Uint8Array.from(signer.keyHash.match(/../g)!.map((h) => parseInt(h, 16)));
    lines += `\u2014 ${signer.name} ${toBase64(concat(keyId, signature))}\n`;
  }
  return `${text}\n${lines}`;
}

export type NoteSignature = { name: string; keyHash: string; base64: string };
export type OpenedNote = { text: string; verified: NoteSignature[]; unverified: NoteSignature[] };

const MAX_SIGNATURES = 100;

/**
 * Opens a signed note with the verifiers a caller trusts, by the spec's rules (and Go's Open): valid UTF-8 with no
 * control character but newline, the text ends at the last blank line, every signature line well formed; signatures of
 * unknown keys (name and id not both known) are ignored; a known key's signature that fails rejects the note; and at
 * least one known key's signature must hold. Throws NoteError saying why.
 */
export async function openNote(message: string | Uint8Array, verifiers: NoteVerifier[]): Promise<OpenedNote> {
  const msg = typeof message === "string" ? message : fromUtf8(message);
  if (msg === null) throw new NoteError("the note is not valid UTF-8");
  if (hasControlCharacter(msg)) throw new NoteError("the note holds a control character");
  const split = msg.lastIndexOf("\n\n");
  if (split < 0) throw new NoteError("the note has no blank line before its signatures");
  const text = msg.slice(0, split + 1);
  const sigs = msg.slice(split + 2);
  if (sigs === "" || !sigs.endsWith("\n")) throw new NoteError("the note's signature lines do not end with a newline");
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const lines = sigs.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw new NoteError("the note has too many signatures");
  for (const line of lines) {
    if (!line.startsWith("\u2014 ")) throw new NoteError(`not a signature line: ${line.slice(0, 80)}`);
    const rest = line.slice(2);
    const space = rest.indexOf(" ");
    const name = space < 0 ? rest : rest.slice(0, space);
    const encoded = space < 0 ? "" : rest.slice(space + 1);
    const bytes = fromBase64(encoded);
    if (!bytes || !isValidKeyName(name) || encoded === "" || bytes.length < 5)
      throw new NoteError(`a malformed signature line: ${line.slice(0, 80)}`);
    const keyHash = toHex(bytes.subarray(0, 4));
    const signature: NoteSignature = { name, keyHash, base64: encoded };
    const known = verifiers.filter((v) => v.name === name && v.keyHash === keyHash);
    if (known.length === 0) {
      if (!unverified.some((s) => s.name === name && s.base64 === encoded)) unverified.push(signature);
      continue;
    }
    if (verified.some((s) => s.name === name && s.keyHash === keyHash)) continue;
    const holds = await Promise.all(known.map((v) => ed25519Verify(v.publicKey, utf8(text), bytes.subarray(4))));
    if (!holds.some(Boolean)) throw new NoteError(`the signature of ${name}+${keyHash} does not hold`);
    verified.push(signature);
  }
  if (verified.length === 0) throw new NoteError("no signature on the note is from a known key");
  return { text, verified, unverified };
}

/** Whether two verifier keys are the same key (name, id and public key). */
export function sameVerifier(a: NoteVerifier, b: NoteVerifier): boolean {
  return a.name === b.name && a.keyHash === b.keyHash && equalBytes(a.publicKey, b.publicKey);
}
