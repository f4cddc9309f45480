import type { Config } from "~/config.server";
import type { Mailer } from "~/mail/mailer.server";
import type { Db } from "~db/client.server";

/** What the HTTP server hands every loader and action. */
export type AppContext = {
  db: Db;
  /** The database for streamed exports: their own connections, whose statements may last a download. */
  exportDb: Db;
  config: Config;
  mailer: Mailer | null;
  requestId: string;
  /** The client address after the configured number of trusted proxy hops, and nothing else. */
  clientIp: string | null;
  userAgent: string | null;
  csrfToken: string;
  cspNonce: string;
  /** Filled in as the request is handled, for the request log line. */
  log: { userId?: string };
  now: () => Date;
  /** Randomness for training draws and choice orders: an integer in [0, n). Crypto unless the server is given one. */
  pick: (n: number) => number;
  /** Sends the queued e-mail (app/mail/mail-queue.server.ts) once this response has gone. */
  wakeMailQueue: () => void;
  /** Checkpoints the ledger a few seconds after this response has gone (app/attestation/checkpointer.server.ts). */
  scheduleCheckpoint: () => void;
};

declare module "@remix-run/server-runtime" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends AppContext {}
}
