import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKey } from "~/attestation/service-key.server";

/**
 * A TEST signing key for the ledger, made afresh for each test process and never committed: every test, and every
 * app process or command a test starts (they inherit the environment), signs records with it unless the test
 * names another.
 */
function freshTestKeyFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "ledger-test-key-")), "key.txt");
  writeFileSync(file, `${generateSigningKey("ledger-test-key.invalid")}\n`, { mode: 0o600 });
  return file;
}

process.env.LEDGER_SIGNING_KEY_FILE ??= freshTestKeyFile();
export const TEST_SIGNING_KEY_FILE = process.env.LEDGER_SIGNING_KEY_FILE;
