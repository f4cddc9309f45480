import type { Config } from "~/config.server";
import type { Mailer } from "~/mail/mailer.server";
import type { Db } from "~db/client.server";

/** What the HTTP server hands every loader and action. */
export type AppContext = {
  db: Db;
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
};

declare module "@remix-run/server-runtime" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends AppContext {}
}
