import { defaultKeyName, generateSigningKey, parseSigningKey } from "~/attestation/service-key.server";
import { FatalError, runCli } from "./lib/runtime";

// `npm run ledger:keygen [-- --name conduct.example.gov.uk]`: prints a new signing key (keep it secret: it goes in
// LEDGER_SIGNING_KEY or the file LEDGER_SIGNING_KEY_FILE names) and, on standard error, its verifier key to publish.
await runCli((config) => {
  const args = process.argv.slice(2);
  const at = args.indexOf("--name");
  const name = at >= 0 ? args[at + 1] : defaultKeyName(config);
  if (!name || /[+\s]/.test(name))
    throw new FatalError("--name takes a name without '+' or white space, e.g. the service's host");
  const key = generateSigningKey(name);
  console.log(key);
  console.error(
    `Verifier key (publish it; it goes in LEDGER_VERIFIER_KEYS once this key is retired):\n${parseSigningKey(key).verifierKey}`,
  );
  return Promise.resolve();
});
