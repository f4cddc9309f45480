import { webcrypto } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describeVerdict, verdictText } from "./describe-verdict";
import { KeyListError, parseTrustedKeys, verifyReceipt } from "./receipt";

/**
 * The offline verifier as a Node script (bundled, dependency-free, into scripts/verify-receipt.mjs):
 *   node verify-receipt.mjs RECEIPT_FILE KEYS [--origin ORIGIN] [--json]
 * KEYS is a file of the council's verifier keys (one a line, optionally `tree-sizes=<from>-<until>`) or one verifier
 * key itself. Exit status: 0 the receipt holds, 1 it does not, 2 the input could not be read.
 */

const USAGE = "Usage: node verify-receipt.mjs RECEIPT_FILE KEYS_FILE_OR_VERIFIER_KEY [--origin ORIGIN] [--json]";

export async function main(args: string[]): Promise<number> {
  globalThis.crypto ??= webcrypto as Crypto;
  const json = args.includes("--json");
  const rest = args.filter((a) => a !== "--json");
  const at = rest.indexOf("--origin");
  const origin = at >= 0 ? rest[at + 1] : undefined;
  if (at >= 0) rest.splice(at, 2);
  if (rest.length !== 2 || (at >= 0 && !origin)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const [receiptPath, keysArg] = rest;
  let receipt: string;
  try {
    receipt = readFileSync(receiptPath, "utf8");
  } catch (error) {
    process.stderr.write(`Cannot read the receipt ${receiptPath}: ${(error as NodeJS.ErrnoException).code ?? error}\n`);
    return 2;
  }
  let keys;
  try {
    keys = await parseTrustedKeys(existsSync(keysArg) ? readFileSync(keysArg, "utf8") : keysArg);
  } catch (error) {
    if (!(error instanceof KeyListError)) throw error;
    process.stderr.write(`The verifier keys cannot be read: ${error.message}\n`);
    return 2;
  }
  const verdict = await verifyReceipt(receipt, keys, origin === undefined ? {} : { origin });
  process.stdout.write(json ? `${JSON.stringify(verdict, null, 2)}\n` : verdictText(describeVerdict(verdict)));
  return verdict.unreadable ? 2 : verdict.valid ? 0 : 1;
}
