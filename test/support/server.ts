import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import pino from "pino";
import { loadConfig, type Config } from "~/config.server";
import { boundHttpServer, createHttpApp } from "~/http/server.server";
import { startMailQueue } from "~/mail/mail-queue.server";
import type { Checkpointer } from "~/attestation/checkpointer.server";
import { createMailer } from "~/mail/mailer.server";
import type { Database } from "~db/client.server";

const buildFile = resolve("build/index.js");

export async function loadBuild(): Promise<ServerBuild> {
  if (!existsSync(buildFile)) throw new Error("No server build: run `npm run build` (npm test does it first)");
  return (await import(pathToFileURL(buildFile).href)) as ServerBuild;
}

export type TestServer = { url: string; config: Config; logLines: string[]; close(): Promise<void> };

/**
 * The real app (the same HTTP server and Remix build as production) on a loopback port, on this file's database.
 * Queued e-mail is sent after each response as in production, unless `mailQueue: "manual"`: then it waits until
 * the test drains it (drainMailJobs), so a test can see what a request did before any of it was sent.
 */
export async function startTestServer(
  database: Database,
  options: {
    env?: Record<string, string>;
    now?: () => Date;
    exportDatabase?: Database;
    mailQueue?: "manual";
    checkpointer?: Checkpointer;
  } = {},
): Promise<TestServer> {
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    // The test process's own key (test/support/ledger-test-key.ts), so that a test may configure production.
    LEDGER_SIGNING_KEY_FILE: process.env.LEDGER_SIGNING_KEY_FILE,
    ...options.env,
  });
  const logLines: string[] = [];
  const logger = pino(
    { level: config.logLevel, base: undefined },
    { write: (line: string) => void logLines.push(line) },
  );
  const mailer = createMailer(config);
  const mailQueue =
    options.mailQueue === "manual"
      ? null
      : startMailQueue(database.db, mailer, { now: options.now, log: (line) => void logLines.push(line) });
  const app = createHttpApp({
    database,
    exportDatabase: options.exportDatabase,
    config,
    build: await loadBuild(),
    logger,
    mailer,
    mailQueue,
    checkpointer: options.checkpointer,
    now: options.now,
  });
  const server = boundHttpServer(app.listen(0, "127.0.0.1"), config);
  await new Promise<void>((ready) => server.once("listening", ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    logLines,
    close: async () => {
      await mailQueue?.stop();
      await new Promise<void>((done) => {
        mailer?.close();
        server.closeAllConnections();
        server.close(() => done());
      });
    },
  };
}
