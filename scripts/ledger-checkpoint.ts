import { checkpointAll } from "~/attestation/checkpoints.server";
import { openConfiguredDatabase, runCli } from "./lib/runtime";

// `npm run ledger:checkpoint`: checks the records appended since each council's last checkpoint and signs a new one
// (the server does the same a few seconds after each signature or withdrawal, and every minute). Exits 1 when a
// council's ledger holds a record the service did not write, naming it.
await runCli(async (config) => {
  const database = await openConfiguredDatabase(config);
  try {
    const runs = await checkpointAll(database.db);
    let refused = false;
    for (const { slug, outcome } of runs) {
      if (outcome.status === "checkpointed")
        console.log(`${slug}: checkpoint of ${outcome.size} records (was ${outcome.previousSize})`);
      else if (outcome.status === "busy") console.log(`${slug}: another checkpointer is at work`);
      else if (outcome.status === "refused") {
        refused = true;
        const p = outcome.problem;
        console.error(
          `${slug}: checkpoint REFUSED at ${p.reference || `record ${p.seq}`} (record ${p.seq}): ${p.reason}; the last checkpoint covers ${outcome.size} records`,
        );
      }
    }
    if (runs.length === 0) console.log("Every council's checkpoint is up to date.");
    return refused ? 1 : 0;
  } finally {
    await database.close();
  }
});
