import { syncPolicyContent } from "~/attestation/policies.server";
import { syncTrainingContent } from "~/training/content-sync.server";
import { isSeeded, seedDemo } from "~db/seed-demo.server";
import { FatalError, openConfiguredDatabase, runCli } from "./lib/runtime";

await runCli(async (config) => {
  if (config.isProduction)
    throw new FatalError("Refusing to seed demo data: NODE_ENV is production, where demo accounts must not exist.");
  const database = await openConfiguredDatabase(config);
  try {
    await database.migrate();
    if (await isSeeded(database.db)) {
      console.log("The database already has organisations: nothing seeded.");
      return;
    }
    const result = await seedDemo(database.db, { demoPassword: config.demoPassword });
    console.log(
      `Seeded ${result.organisations} demo organisations with ${result.people} people, ${result.withHistory} of them with a year of training and signing history.`,
    );
    await syncPolicyContent(database.db, "content");
    const content = await syncTrainingContent(database.db, "content", new Date());
    console.log(`Recorded ${content.newVersions} training module version(s).`);
  } finally {
    await database.close();
  }
});
