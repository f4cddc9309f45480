import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import pino from "pino";
import { createHttpApp } from "~/http/server.server";
import { syncPolicyContent } from "~/attestation/policies.server";
import { createMailer } from "~/mail/mailer.server";
import { syncTrainingContent } from "~/training/content-sync.server";
import { isSeeded, seedDemo } from "~db/seed-demo.server";
import { openConfiguredDatabase, runCli } from "./lib/runtime";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfStale(buildFile: string) {
  if (existsSync(buildFile) && statSync(buildFile).mtimeMs >= newestMtime("app")) return;
  console.log("Building the app…");
  execFileSync(process.execPath, [resolve("node_modules/@remix-run/dev/dist/cli.js"), "build"], { stdio: "inherit" });
}

await runCli(async (config) => {
  const logger = pino({ level: config.logLevel, base: undefined, redact: ["req.headers.cookie", "password"] });
  const database = await openConfiguredDatabase(config);
  await database.migrate();
  if (!config.isProduction && !(await isSeeded(database.db))) {
    const result = await seedDemo(database.db, { demoPassword: config.demoPassword });
    logger.info(
      `Seeded ${result.organisations} demo organisations with ${result.people} people, ${result.withHistory} of them with a year of training and signing history`,
    );
  }
  await syncPolicyContent(database.db, "content");
  const content = await syncTrainingContent(database.db, "content", new Date());
  if (content.newVersions > 0) logger.info(`Recorded ${content.newVersions} new training module version(s)`);
  const buildFile = resolve("build/index.js");
  if (!config.isProduction) buildIfStale(buildFile);
  const build = (await import(pathToFileURL(buildFile).href)) as ServerBuild;
  const mailer = createMailer(config);
  const app = createHttpApp({ database, config, build, logger, mailer });
  const server = app.listen(config.port, () => {
    logger.info(
      `Serving on http://localhost:${config.port} (${database.kind === "pglite" ? "embedded PGlite" : "PostgreSQL"})`,
    );
  });
  const shutdown = () => {
    mailer?.close();
    server.close();
    server.closeAllConnections();
    void database.close().finally(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
});
