import { readFileSync } from "node:fs";
import { verifyLedger, type ChainHead } from "~/attestation/ledger.server";
import { FatalError, openConfiguredDatabase, runCli } from "./lib/runtime";

// `npm run ledger:verify [-- --expect-head REFERENCE:HASH ...] [-- --checkpoint FILE ...]`: recomputes every chain and
// checks it against its council's latest signed checkpoint, prints each head, and exits 1 naming the first broken
// record (or a recorded head that is gone or changed, or a checkpoint held elsewhere that the log no longer extends).
function expectedHeads(args: string[]): ChainHead[] {
  const heads: ChainHead[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== "--expect-head") continue;
    const [reference, hash] = (args[++i] ?? "").split(":");
    if (!reference || !/^[0-9a-f]{64}$/.test(hash ?? ""))
      throw new FatalError("--expect-head takes REFERENCE:HASH, the hash being 64 hex characters");
    heads.push({ reference, hash });
  }
  return heads;
}

/** The signed checkpoints in the files given with --checkpoint (a file saved from a witness's e-mail or an evidence pack). */
function heldCheckpoints(args: string[]): { file: string; text: string }[] {
  const held: { file: string; text: string }[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== "--checkpoint") continue;
    const file = args[++i];
    if (!file) throw new FatalError("--checkpoint takes the name of a file holding a signed checkpoint");
    try {
      // As saved from an e-mail: line ends of either kind, with or without the last one.
      held.push({ file, text: `${readFileSync(file, "utf8").replace(/\r\n/g, "\n").trimEnd()}\n` });
    } catch (error) {
      throw new FatalError(
        `Cannot read the checkpoint file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
  }
  return held;
}

await runCli(async (config) => {
  const expectHeads = expectedHeads(process.argv.slice(2));
  const held = heldCheckpoints(process.argv.slice(2));
  const database = await openConfiguredDatabase(config);
  try {
    const started = performance.now();
    const report = await verifyLedger(database.db, { expectHeads, heldCheckpoints: held.map((h) => h.text) });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    for (const chain of report.chains) {
      console.log(
        `${chain.organisation}: ${chain.records} records, head ${chain.head ? `${chain.head.reference}:${chain.head.hash}` : "(empty)"}, ${chain.checkpoint ? `signed checkpoint of ${chain.checkpoint}` : "no checkpoint yet"}`,
      );
    }
    if (!report.ok && report.problem) {
      const p = report.problem;
      console.error(
        `Ledger BROKEN${p.organisation ? ` in ${p.organisation}` : ""}${p.reference ? ` at ${p.reference}` : ""}${p.seq ? ` (record ${p.seq})` : ""}: ${p.reason}`,
      );
      return 1;
    }
    console.log(
      `Ledger intact: ${report.records} records in ${report.chains.length} chains verified in ${seconds} s${expectHeads.length ? `; ${expectHeads.length} expected head(s) present and unchanged` : ""}${held.length ? `; extends the ${held.length} held checkpoint(s)` : ""}.`,
    );
  } finally {
    await database.close();
  }
});
