import { openConfiguredDatabase, runCli } from "./lib/runtime";

await runCli(async (config) => {
  const database = await openConfiguredDatabase(config);
  try {
    await database.migrate();
    console.log(
      `Migrated the ${database.kind === "pglite" ? `embedded database in ${config.pgliteDir}` : "PostgreSQL database"}.`,
    );
  } finally {
    await database.close();
  }
});
