import { sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "~/config.server";
import {
  checkBodySignature,
  generateSigningKey,
  keyRingFrom,
  noteKeyHash,
  parseSigningKey,
  parseVerifierKey,
  parseVerifierKeys,
  signBody,
} from "./service-key.server";

// The example key and signed note of Go's golang.org/x/mod/sumdb/note (note_test.go and its package documentation):
// published vectors, so the key hash, key forms and Ed25519 signatures here agree with the signed-note spec's own.
const GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_SIGNATURE = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

const folder = mkdtempSync(join(tmpdir(), "ledger-key-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("the service's signing key", () => {
  it("reads Go's example key: the same key id, verifier key and signature as the signed-note reference", () => {
    const key = parseSigningKey(GO_SKEY);
    expect(key.keyId).toBe("PeterNeumann+c74f20a3");
    expect(key.verifierKey).toBe(GO_VKEY);
    expect(noteKeyHash("PeterNeumann", Buffer.from(GO_VKEY.slice(22), "base64").subarray(1))).toBe("c74f20a3");
    // A note signature is the key hash's 4 bytes then the Ed25519 signature of the text.
    const noteSignature = Buffer.concat([
      Buffer.from("c74f20a3", "hex"),
      sign(null, Buffer.from(GO_TEXT, "utf8"), key.privateKey),
    ]).toString("base64");
    expect(noteSignature).toBe(GO_SIGNATURE);
    expect(signBody(key, GO_TEXT)).toBe(Buffer.from(GO_SIGNATURE, "base64").subarray(4).toString("base64"));
    expect(parseVerifierKey(GO_VKEY).keyId).toBe("PeterNeumann+c74f20a3");
  });

  it("refuses malformed keys with a message that never repeats the private key", () => {
    const mangled = [
      GO_SKEY.replace("c74f20a3", "c74f20a4"),
      GO_SKEY.replace("PRIVATE+KEY+", ""),
      GO_SKEY.slice(0, -4),
      GO_SKEY.replace("PeterNeumann", "Peter Neumann"),
      "",
    ];
    for (const text of mangled) {
      expect(() => parseSigningKey(text)).toThrow(ConfigError);
      try {
        parseSigningKey(text);
      } catch (error) {
        expect((error as Error).message).not.toContain("AYEKFALV");
      }
    }
    for (const text of [GO_VKEY.replace("c74f20a3", "c74f20a4"), GO_VKEY.slice(0, -2), "PeterNeumann+c74f20a3"])
      expect(() => parseVerifierKey(text)).toThrow(ConfigError);
  });

  it("generates keys named as asked, that parse back", () => {
    const text = generateSigningKey("conduct.example.gov.uk");
    const key = parseSigningKey(text);
    expect(key.keyId).toMatch(/^conduct\.example\.gov\.uk\+[0-9a-f]{8}$/);
    expect(parseVerifierKey(key.verifierKey).keyId).toBe(key.keyId);
    expect(() => generateSigningKey("two words")).toThrow();
  });

  it("reads verifier keys with validity periods, either end open", () => {
    const keys = parseVerifierKeys(
      `# retired keys\n${GO_VKEY}@2026-01-01T00:00:00Z/2027-01-01T00:00:00Z, ${GO_VKEY}@/2025-06-01\n${GO_VKEY}`,
    );
    expect(keys.map((k) => [k.validFrom?.toISOString() ?? null, k.validUntil?.toISOString() ?? null])).toEqual([
      ["2026-01-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"],
      [null, "2025-06-01T00:00:00.000Z"],
      [null, null],
    ]);
    expect(() => parseVerifierKeys(`${GO_VKEY}@2026-01-01`)).toThrow(/<from>\/<until>/);
    expect(() => parseVerifierKeys(`${GO_VKEY}@yesterday/`)).toThrow(/ISO 8601/);
  });

  it("checks a body signature by key id, signature and validity period", () => {
    const key = parseSigningKey(GO_SKEY);
    const ring = { verifiers: parseVerifierKeys(`${GO_VKEY}@2026-01-01T00:00:00Z/2027-01-01T00:00:00Z`) };
    const body = '{"a":1}';
    const record = {
      keyId: key.keyId,
      bodySignature: signBody(key, body),
      recordedAt: new Date("2026-06-01T00:00:00Z"),
    };
    expect(checkBodySignature(ring, record, body)).toBe("valid");
    expect(checkBodySignature(ring, record, '{"a":2}')).toBe("bad-signature");
    expect(checkBodySignature(ring, { ...record, recordedAt: new Date("2027-01-01T00:00:00Z") }, body)).toBe(
      "outside-validity",
    );
    expect(checkBodySignature(ring, { ...record, keyId: "someone+00000000" }, body)).toBe("unknown-key");
    expect(checkBodySignature(ring, { ...record, bodySignature: null }, body)).toBe("missing");
    expect(checkBodySignature(ring, { ...record, bodySignature: "not base64!" }, body)).toBe("bad-signature");
  });

  it("outside production, with no key configured, generates one once and keeps it (mode 600) for the next start", () => {
    const config = { ...loadConfig({ NODE_ENV: "development" }) };
    config.ledgerKeys = { ...config.ledgerKeys, developmentKeyFile: join(folder, "dev", "ledger-signing-key") };
    const first = keyRingFrom(config);
    const second = keyRingFrom(config);
    expect(first.signer.keyId).toMatch(/^localhost\+[0-9a-f]{8}$/);
    expect(second.signer.verifierKey).toBe(first.signer.verifierKey);
    expect(statSync(config.ledgerKeys.developmentKeyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(config.ledgerKeys.developmentKeyFile, "utf8")).toMatch(/^PRIVATE\+KEY\+localhost\+/);
    expect(first.verifiers.map((v) => v.keyId)).toEqual([first.signer.keyId]);
  });

  it("in production, takes the key from the environment or its file and never generates one", () => {
    const production = {
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(40),
      SERVICE_URL: "https://conduct.example.gov.uk",
    };
    const fromValue = keyRingFrom(
      loadConfig({ ...production, LEDGER_SIGNING_KEY: GO_SKEY, LEDGER_VERIFIER_KEYS: `${GO_VKEY}@/2030-01-01` }),
    );
    expect(fromValue.signer.keyId).toBe("PeterNeumann+c74f20a3");
    // The signing key's own entry in LEDGER_VERIFIER_KEYS gives it its validity period; it is not listed twice.
    expect(fromValue.verifiers).toHaveLength(1);
    expect(fromValue.verifiers[0].validUntil?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    const config = loadConfig({ ...production, LEDGER_SIGNING_KEY_FILE: join(folder, "absent") });
    expect(() => keyRingFrom(config)).toThrow(/cannot read LEDGER_SIGNING_KEY_FILE/);
    expect(() => keyRingFrom({ ...config, ledgerKeys: { ...config.ledgerKeys, signingKeyFile: undefined } })).toThrow(
      /required in production/,
    );
  });
});
