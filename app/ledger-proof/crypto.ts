import { concat } from "./bytes";

/**
 * SHA-256 and Ed25519 through WebCrypto, the same in Node (globalThis.crypto, Node 20 and later) and in a browser,
 * so the verifiers share one implementation. Every function is async because WebCrypto is.
 */

function subtle(): SubtleCrypto {
  const crypto = globalThis.crypto;
  if (!crypto?.subtle) throw new Error("WebCrypto is not available here (crypto.subtle)");
  return crypto.subtle;
}

/** The bytes as an ArrayBuffer-backed view WebCrypto accepts whatever buffer the input sits in. */
function plain(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest("SHA-256", plain(bytes)));
}

const PKCS8_ED25519_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** Verifies an Ed25519 signature (RFC 8032) with a raw 32-byte public key; false for any malformed input. */
export async function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = await subtle().importKey("raw", plain(publicKey), { name: "Ed25519" }, false, ["verify"]);
    return await subtle().verify({ name: "Ed25519" }, key, plain(signature), plain(message));
  } catch {
    return false;
  }
}

/** An Ed25519 signing key from its 32-byte seed, with its raw public key. */
export async function ed25519KeyFromSeed(seed: Uint8Array): Promise<{ privateKey: CryptoKey; publicKey: Uint8Array }> {
  if (seed.length !== 32) throw new Error("An Ed25519 seed is 32 bytes");
  const privateKey = await subtle().importKey(
    "pkcs8",
    plain(concat(PKCS8_ED25519_PREFIX, seed)),
    { name: "Ed25519" },
    true,
    ["sign"],
  );
  const jwk = await subtle().exportKey("jwk", privateKey);
  const x = (jwk.x ?? "").replace(/-/g, "+").replace(/_/g, "/");
  const publicKey = Uint8Array.from(atob(x + "=".repeat((4 - (x.length % 4)) % 4)), (c) => c.charCodeAt(0));
  return { privateKey, publicKey };
}

export async function ed25519Sign(privateKey: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign({ name: "Ed25519" }, privateKey, plain(message)));
}
