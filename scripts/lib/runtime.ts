import { existsSync } from "node:fs";
import { ConfigError, loadConfig, type Config, type DatabaseWork } from "~/config.server";
import { ContentError } from "~/training/content-sync.server";
import { openDatabase, type Database } from "~db/client.server";

export class FatalError extends Error {}

function describeConnectionError(error: unknown, url: string): string {
  const code = (error as { code?: string }).code ?? "";
  let where = "the configured server";
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    /* the URL was validated already */
  }
  const reason = (error as Error).message || code;
  return `Cannot reach the PostgreSQL database at ${where}: ${reason}${code && !reason.includes(code) ? ` (${code})` : ""}`;
}

/**
 * Opens the database the configuration names and proves it answers, or fails with one clear line. On
 * PostgreSQL its connections carry the bounds of the work they are for: command-line jobs unless told.
 */
export async function openConfiguredDatabase(
  config: Config,
  work: DatabaseWork = "jobs",
  options: { maxConnections?: number } = {},
): Promise<Database> {
  if (config.databaseUrl) {
    const database = await openDatabase({
      url: config.databaseUrl,
      bounds: config.databaseBounds[work],
      applicationName: `smcoc ${work}`,
      maxConnections: options.maxConnections,
    });
    try {
      await database.ping();
    } catch (error) {
      await database.close().catch(() => {});
      throw new FatalError(describeConnectionError(error, config.databaseUrl));
    }
    return database;
  }
  try {
    return await openDatabase({ pgliteDir: config.pgliteDir });
  } catch (error) {
    throw new FatalError(`Cannot open the embedded database in ${config.pgliteDir}: ${(error as Error).message}`);
  }
}

/** Runs a command-line job: known failures print one line (no stack trace) and exit 1. */
export async function runCli(main: (config: Config) => Promise<void | number>): Promise<void> {
  try {
    // A local .env fills in what the environment does not set; real environment variables win.
    if (existsSync(".env")) process.loadEnvFile(".env");
    const code = await main(loadConfig());
    if (typeof code === "number") process.exitCode = code;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof FatalError || error instanceof ContentError) {
      console.error(error.message);
      process.exit(1);
    }
    console.error(error);
    process.exit(1);
  }
}
