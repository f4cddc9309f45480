import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError, loadConfig, type Config } from "~/config.server";
import {
  ED25519,
  formatSignerKey,
  formatVerifierKey,
  isValidKeyName,
  keyHashInput,
  readSignerKey,
  readVerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from "~/ledger-proof/note";

/**
 * The service's Ed25519 signing key, kept outside the database (docs/ledger.md, "The service key"). Keys are written
 * in the C2SP signed-note forms that Go's golang.org/x/mod/sumdb/note uses (read and written by ~/ledger-proof/note,
 * which the offline verifiers share; here with node:crypto, synchronously, for the configuration):
 *   private:  PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || 32-byte seed)>
 *   verifier: <name>+<key hash>+<base64(0x01 || 32-byte public key)>
 * where the key hash is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key), as 8 hex digits, and the
 * key id a record names is `<name>+<key hash>`.
 */
export type SigningKey = {
  name: string;
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  verifierKey: string;
};

/** A public key the verifiers accept, for records recorded in [validFrom, validUntil) (either end may be open). */
export type VerifierKey = {
  keyId: string;
  publicKey: KeyObject;
  verifierKey: string;
  validFrom: Date | null;
  validUntil: Date | null;
};

export type KeyRing = { signer: SigningKey; verifiers: VerifierKey[] };

const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The signed-note key hash of an Ed25519 public key under a name: 8 lower-case hex digits. */
export function noteKeyHash(name: string, rawPublicKey: Uint8Array): string {
  return createHash("sha256")
    .update(keyHashInput(name, ED25519, rawPublicKey))
    .digest()
    .subarray(0, 4)
    .toString("hex");
}

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
}

/** Parses a private key in signed-note form; throws ConfigError saying what is wrong (never echoing the key). */
export function parseSigningKey(text: string, source = "LEDGER_SIGNING_KEY"): SigningKey {
  const parts = readSignerKey(text);
  if (!parts)
    throw new ConfigError(
      `Configuration error: ${source} is not a signing key of the form PRIVATE+KEY+<name>+<8 hex>+<base64> (npm run ledger:keygen makes one)`,
    );
  const { name, keyHash: hash, key: seed } = parts;
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey);
  const raw = rawPublicKey(publicKey);
  if (noteKeyHash(name, raw) !== hash)
    throw new ConfigError(`Configuration error: ${source}: the key hash ${hash} does not match the key`);
  const keyId = `${name}+${hash}`;
  return {
    name,
    keyId,
    privateKey,
    publicKey,
    verifierKey: formatVerifierKey(name, hash, raw),
  };
}

/** A verifier key in signed-note form, checked: `<name>+<8 hex>+<base64(0x01 || public key)>`. */
export function parseVerifierKey(
  text: string,
  source = "LEDGER_VERIFIER_KEYS",
): Omit<VerifierKey, "validFrom" | "validUntil"> {
  const parts = readVerifierKey(text);
  if (!parts || noteKeyHash(parts.name, parts.key) !== parts.keyHash)
    throw new ConfigError(
      `Configuration error: ${source}: "${text.trim().slice(0, 80)}" is not a verifier key of the form <name>+<8 hex>+<base64>`,
    );
  return {
    keyId: `${parts.name}+${parts.keyHash}`,
    publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, parts.key]), format: "der", type: "spki" }),
    verifierKey: text.trim(),
  };
}

/**
 * LEDGER_VERIFIER_KEYS: keys that verify records but no longer sign them (rotation), one per line or separated by
 * commas, each `<verifier key>` or `<verifier key>@<valid from>/<valid until>` with ISO 8601 times, either end
 * possibly empty: `conduct.example.gov.uk+1a2b3c4d+AXdE…=@/2027-03-01T00:00:00Z`.
 */
export function parseVerifierKeys(text: string | undefined): VerifierKey[] {
  const entries = (text ?? "")
    .split(/[\n,]/)
    .map((e) => e.trim())
    .filter((e) => e !== "" && !e.startsWith("#"));
  return entries.map((entry) => {
    const [key, period] = entry.split("@");
    const [from, until] = (period ?? "/").split("/");
    const time = (value: string | undefined) => {
      if (!value) return null;
      const at = new Date(value);
      if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value) || Number.isNaN(at.getTime()))
        throw new ConfigError(`Configuration error: LEDGER_VERIFIER_KEYS: "${value}" is not an ISO 8601 time`);
      return at;
    };
    if (period !== undefined && !period.includes("/"))
      throw new ConfigError(
        "Configuration error: LEDGER_VERIFIER_KEYS: write a validity period as <key>@<from>/<until> (either may be empty)",
      );
    return { ...parseVerifierKey(key), validFrom: time(from), validUntil: time(until) };
  });
}

/** A new private key in signed-note form. */
export function generateSigningKey(name: string): string {
  if (!isValidKeyName(name)) throw new Error(`A key name has no "+" and no white space: ${name}`);
  const { privateKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_PREFIX.length);
  const hash = noteKeyHash(name, rawPublicKey(createPublicKey(privateKey)));
  return formatSignerKey(name, hash, seed);
}

/** The key name a generated key takes: the service's host, or "localhost". */
export function defaultKeyName(config: Pick<Config, "serviceUrl">): string {
  return config.serviceUrl ? new URL(config.serviceUrl).host : "localhost";
}

/**
 * The key ring the configuration names. In production LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE is required (the
 * configuration refuses to load without it); elsewhere, without either, a key is generated once and kept in
 * `.data/ledger-signing-key` (git-ignored), so a development database keeps verifying across restarts.
 */
export function keyRingFrom(config: Pick<Config, "ledgerKeys" | "serviceUrl" | "isProduction">): KeyRing {
  const { signingKey, signingKeyFile, verifierKeys, developmentKeyFile } = config.ledgerKeys;
  let text: string;
  let source = "LEDGER_SIGNING_KEY";
  if (signingKey) text = signingKey;
  else if (signingKeyFile) {
    source = `LEDGER_SIGNING_KEY_FILE (${signingKeyFile})`;
    try {
      text = readFileSync(signingKeyFile, "utf8");
    } catch (error) {
      throw new ConfigError(
        `Configuration error: cannot read LEDGER_SIGNING_KEY_FILE ${signingKeyFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  } else {
    if (config.isProduction)
      throw new ConfigError(
        "Configuration error: LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE is required in production",
      );
    source = developmentKeyFile;
    if (!existsSync(developmentKeyFile)) {
      mkdirSync(dirname(developmentKeyFile), { recursive: true });
      try {
        writeFileSync(developmentKeyFile, `${generateSigningKey(defaultKeyName(config))}\n`, {
          mode: 0o600,
          flag: "wx",
        });
        chmodSync(developmentKeyFile, 0o600);
      } catch (error) {
        // Another process made it first: use that one.
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
    }
    text = readFileSync(developmentKeyFile, "utf8");
  }
  const signer = parseSigningKey(text, source);
  const verifiers = parseVerifierKeys(verifierKeys);
  // The signing key verifies too; an entry for it in LEDGER_VERIFIER_KEYS gives it a validity period.
  if (!verifiers.some((v) => v.keyId === signer.keyId && v.verifierKey === signer.verifierKey))
    verifiers.push({
      keyId: signer.keyId,
      publicKey: signer.publicKey,
      verifierKey: signer.verifierKey,
      validFrom: null,
      validUntil: null,
    });
  return { signer, verifiers };
}

let current: KeyRing | null = null;

/** The process's key ring, from the environment on first use (the server loads it at start, so a bad key stops it there). */
export function serviceKeys(): KeyRing {
  current ??= keyRingFrom(loadConfig());
  return current;
}

/** Replaces the process's key ring (tests of rotation), or with null reloads it from the environment on next use. */
export function useServiceKeys(ring: KeyRing | null): void {
  current = ring;
}

/** The key as a signed-note signer (~/ledger-proof/note), to sign checkpoints with node:crypto. */
export function noteSignerOf(key: SigningKey): NoteSigner {
  const parts = readVerifierKey(key.verifierKey)!;
  return {
    name: parts.name,
    keyHash: parts.keyHash,
    publicKey: parts.key,
    verifierKey: key.verifierKey,
    sign: async (message) => new Uint8Array(sign(null, message, key.privateKey)),
  };
}

/** A verifier key as a signed-note verifier, to open checkpoints this service signed. */
export function noteVerifierOf(key: Pick<VerifierKey, "verifierKey">): NoteVerifier {
  const parts = readVerifierKey(key.verifierKey)!;
  return { name: parts.name, keyHash: parts.keyHash, publicKey: parts.key, verifierKey: key.verifierKey };
}

/** The standard base64 Ed25519 signature of a record body's UTF-8 bytes. */
export function signBody(key: SigningKey, body: string): string {
  return sign(null, Buffer.from(body, "utf8"), key.privateKey).toString("base64");
}

export type BodyCheck = "valid" | "missing" | "unknown-key" | "outside-validity" | "bad-signature";

/** Whether a version 2 record's body signature holds under a key the ring knows, valid when the record says it was made. */
export function checkBodySignature(
  ring: Pick<KeyRing, "verifiers">,
  record: { keyId: string | null; bodySignature: string | null; recordedAt: Date },
  body: string,
): BodyCheck {
  if (!record.keyId || !record.bodySignature) return "missing";
  const candidates = ring.verifiers.filter((v) => v.keyId === record.keyId);
  if (candidates.length === 0) return "unknown-key";
  const signature = Buffer.from(record.bodySignature, "base64");
  if (signature.length !== 64 || signature.toString("base64") !== record.bodySignature) return "bad-signature";
  const bytes = Buffer.from(body, "utf8");
  const holding = candidates.filter((v) => verify(null, bytes, v.publicKey, signature));
  if (holding.length === 0) return "bad-signature";
  const at = record.recordedAt.getTime();
  const valid = holding.some(
    (v) => (!v.validFrom || v.validFrom.getTime() <= at) && (!v.validUntil || at < v.validUntil.getTime()),
  );
  return valid ? "valid" : "outside-validity";
}
