import { execFileSync } from "node:child_process";
import cluster, { type Worker } from "node:cluster";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import pino, { type Logger } from "pino";
import type { Config } from "~/config.server";
import { startCheckpointer } from "~/attestation/checkpointer.server";
import { keyRingFrom, useServiceKeys } from "~/attestation/service-key.server";
import { boundHttpServer, createHttpApp } from "~/http/server.server";
import { syncPolicyContent } from "~/attestation/policies.server";
import { startMailQueue } from "~/mail/mail-queue.server";
import { createMailer } from "~/mail/mailer.server";
import { syncTrainingContent } from "~/training/content-sync.server";
import { appendOnlyTablesExposed, postgresCode, type Database } from "~db/client.server";
import { isSeeded, seedDemo } from "~db/seed-demo.server";
import { FatalError, openConfiguredDatabase, runCli } from "./lib/runtime";

/**
 * `npm start`. In development one process migrates, seeds on first run, builds when stale and serves. In
 * production the database must already be migrated (`npm run db:migrate`, as the owner role): this process
 * checks that, records new content, and then supervises the server in a worker process, starting another
 * with back-off whenever it dies. docs/decisions/0012.
 */
const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A worker that served this long before dying counts as stable: the next restart waits the first delay again. */
const STABLE_MS = 60_000;
/** On SIGTERM or SIGINT, requests in flight get this long to finish before their connections are closed. */
const SHUTDOWN_GRACE_MS = 10_000;

const buildFile = resolve("build/index.js");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfStale() {
  if (existsSync(buildFile) && statSync(buildFile).mtimeMs >= newestMtime("app")) return;
  console.log("Building the app…");
  execFileSync(process.execPath, [resolve("node_modules/@remix-run/dev/dist/cli.js"), "build"], {
    stdio: "inherit",
    // The Remix compiler loads Vite through its CommonJS entry; its deprecation notice is not ours to act on.
    env: { ...process.env, VITE_CJS_IGNORE_WARNING: "true" },
  });
}

async function syncContent(database: Database, logger: Logger) {
  const progress = (line: string) => logger.info(line);
  progress("Recording the councils' codes of conduct");
  await syncPolicyContent(database.db, "content");
  const content = await syncTrainingContent(database.db, "content", new Date(), progress);
  if (content.newVersions > 0) logger.info(`Recorded ${content.newVersions} new training module version(s)`);
  if (content.keptFromAdmin > 0)
    logger.info(
      `Left ${content.keptFromAdmin} module(s) as published from the admin pages; content/ not read for them`,
    );
}

/** Development: migrate, seed an empty database, record content, build if stale. The database stays open to serve. */
async function prepareDevelopment(config: Config, logger: Logger): Promise<Database> {
  const database = await openConfiguredDatabase(config, "pages");
  logger.info("Applying database migrations");
  await database.migrate();
  if (!(await isSeeded(database.db))) {
    logger.info("Seeding the demo councils (the first start only; under a minute on a quiet machine)");
    const result = await seedDemo(database.db, {
      demoPassword: config.demoPassword,
      progress: (line) => logger.info(line),
    });
    logger.info(
      `Seeded ${result.organisations} demo organisations with ${result.people} people, ${result.withHistory} of them with a year of training and signing history`,
    );
  }
  await syncContent(database, logger);
  buildIfStale();
  return database;
}

/** Production: the app's role cannot migrate, so a database behind the code stops the start with one line. */
async function prepareProduction(config: Config, logger: Logger): Promise<void> {
  if (!existsSync(buildFile)) throw new FatalError("No server build: run `npm run build` first.");
  const database = await openConfiguredDatabase(config, "jobs", { maxConnections: 2 });
  try {
    let pending: number;
    try {
      pending = await database.pendingMigrations();
    } catch (error) {
      if (postgresCode(error) !== "42501") throw error;
      throw new FatalError(
        "The app's database role cannot read drizzle.__drizzle_migrations to check for pending migrations: grant it USAGE on schema drizzle and SELECT on that table (docs/ledger.md).",
      );
    }
    if (pending > 0) {
      throw new FatalError(
        `The database has ${pending} migration(s) not yet applied: run \`npm run db:migrate\` as the database owner role (docs/ledger.md), then start again.`,
      );
    }
    if (database.kind === "postgres") {
      const exposed = await appendOnlyTablesExposed(database.db);
      if (exposed.length > 0)
        logger.warn(
          { tables: exposed },
          "The app's database role can change or disable the triggers of the append-only tables: run the app as a role that owns no table (docs/ledger.md)",
        );
    }
    await syncContent(database, logger);
  } finally {
    await database.close();
  }
}

/** The HTTP server: page requests on one pool, streamed exports on their own; drains in-flight requests on SIGTERM. */
async function serve(config: Config, logger: Logger, opened?: Database): Promise<void> {
  const database = opened ?? (await openConfiguredDatabase(config, "pages"));
  const exportDatabase = config.databaseUrl
    ? await openConfiguredDatabase(config, "exports", { maxConnections: 4 })
    : database;
  const build = (await import(pathToFileURL(buildFile).href)) as ServerBuild;
  const mailer = createMailer(config);
  const mailQueue = startMailQueue(database.db, mailer, { log: (line) => logger.warn(line) });
  const checkpointer = startCheckpointer(database.db, {
    log: (level, message, details) => logger[level](details ?? {}, message),
  });
  const app = createHttpApp({ database, exportDatabase, config, build, logger, mailer, mailQueue, checkpointer });
  const server = boundHttpServer(
    app.listen(config.port, () => {
      logger.info(
        { pid: process.pid },
        `Serving on http://localhost:${config.port} (${database.kind === "pglite" ? "embedded PGlite" : "PostgreSQL"})`,
      );
    }),
    config,
  );
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    const exit = (code: number) =>
      void Promise.allSettled([mailQueue.stop(), checkpointer.stop()])
        .then(() => mailer?.close())
        .then(() => Promise.allSettled([database.close(), exportDatabase.close()]))
        .finally(() => process.exit(code));
    server.close(() => exit(0));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    setTimeout(() => exit(1), SHUTDOWN_GRACE_MS + 5_000).unref();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

/** Production's primary process: one worker serves; when it dies another starts, 1 s later doubling to 30 s. */
function supervise(logger: Logger) {
  let worker: Worker | null = null;
  let startedAt = 0;
  let delay = RESTART_FIRST_MS;
  let restart: NodeJS.Timeout | undefined;
  let stopping = false;

  const start = () => {
    startedAt = Date.now();
    worker = cluster.fork();
    logger.info({ pid: worker.process.pid }, "Started the server process");
    worker.once("exit", (code, signal) => {
      worker = null;
      if (stopping) return;
      if (Date.now() - startedAt >= STABLE_MS) delay = RESTART_FIRST_MS;
      logger.error(
        { code, signal, restartInMs: delay },
        `The server process ended (${signal ?? `exit code ${code}`}); starting another in ${delay / 1000} s`,
      );
      restart = setTimeout(start, delay);
      delay = Math.min(delay * 2, RESTART_MAX_MS);
    });
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(restart);
    logger.info(`Stopping (${signal})`);
    const running = worker;
    if (!running) process.exit(0);
    running.once("exit", () => process.exit(0));
    running.process.kill("SIGTERM");
    setTimeout(() => running.process.kill("SIGKILL"), SHUTDOWN_GRACE_MS + 10_000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  start();
}

await runCli(async (config) => {
  // The ledger's signing key, read (or, outside production, generated) now: a missing or bad key stops the start here.
  useServiceKeys(keyRingFrom(config));
  const logger = pino({ level: config.logLevel, base: undefined, redact: ["req.headers.cookie", "password"] });
  if (cluster.isWorker) return serve(config, logger);
  if (!config.isProduction) return serve(config, logger, await prepareDevelopment(config, logger));
  await prepareProduction(config, logger);
  supervise(logger);
});
