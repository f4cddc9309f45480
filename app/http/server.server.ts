import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { once } from "node:events";
import type { IncomingMessage, Server } from "node:http";
import { resolve } from "node:path";
import { createRequestHandler, type ServerBuild } from "@remix-run/node";
import express, { type NextFunction, type Request as ExpressRequest, type Response as ExpressResponse } from "express";
import helmet from "helmet";
import type { Logger } from "pino";
import { cookiesFor } from "~/auth/cookies.server";
import { findActiveSession } from "~/auth/session.server";
import { randomToken, safeEqual, sessionCsrfToken } from "~/auth/tokens.server";
import type { Config } from "~/config.server";
import type { MailQueue } from "~/mail/mail-queue.server";
import type { Mailer } from "~/mail/mailer.server";
import type { Database } from "~db/client.server";
import type { AppContext } from "./load-context";
import type { Checkpointer } from "~/attestation/checkpointer.server";

export const FORM_BODY_LIMIT = 1024 * 1024;
export const UPLOAD_BODY_LIMIT = 25 * 1024 * 1024;
/**
 * The only addresses that take a body larger than a form's, and only from a signed-in person: the roster import,
 * and HR's evidence of training completed elsewhere (docs/decisions/0021).
 */
const UPLOAD_PATHS: readonly RegExp[] = [/^\/hr\/roster$/, /^\/hr\/people\/[0-9a-f-]{36}\/earlier-training\/new$/];
const isUploadPath = (pathname: string) => UPLOAD_PATHS.some((path) => path.test(pathname));

export type ServerDeps = {
  database: Database;
  /** Where streamed exports read (their own pool, with a longer statement bound); `database` when not given. */
  exportDatabase?: Database;
  config: Config;
  build: ServerBuild;
  logger: Logger;
  mailer: Mailer | null;
  /** Drains queued e-mail after responses; without one, queued mail waits for `npm run reminders`. */
  mailQueue?: MailQueue | null;
  /** Checkpoints the ledger a few seconds after a signature or withdrawal; without one, the sweep or the command does. */
  checkpointer?: Checkpointer | null;
  publicDir?: string;
  now?: () => Date;
  /** Randomness for training draws and choice orders (crypto by default); the benchmark's baseline fixes it. */
  pick?: (n: number) => number;
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly body: string,
  ) {
    super(title);
  }
}

function errorPage(title: string, body: string): string {
  // A plain GOV.UK-styled page for answers given before Remix runs (oversized bodies, failed CSRF checks).
  return `<!DOCTYPE html><html lang="en" class="govuk-template"><head><meta charset="utf-8"><title>${title} – Social media code of conduct</title><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/css/app.css"></head><body class="govuk-template__body"><div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content"><h1 class="govuk-heading-l">${title}</h1><p class="govuk-body">${body}</p><p class="govuk-body"><a class="govuk-link" href="/">Go to the start page</a></p></main></div></body></html>`;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit)
    throw new HttpError(
      413,
      "The file or form is too large",
      "What you sent was larger than this service accepts. Go back and try again with less.",
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new HttpError(
        413,
        "The file or form is too large",
        "What you sent was larger than this service accepts. Go back and try again with less.",
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const BAD_REQUEST = new HttpError(
  400,
  "Sorry, we could not understand that request",
  "The address or the request was not one this service can answer. Check the address and try again.",
);

/** The request's URL, or a 400 when its Host header or path cannot make one. */
function requestUrl(req: ExpressRequest): URL {
  const host = req.headers.host ?? "localhost";
  try {
    return new URL(req.originalUrl, `http://${host}`);
  } catch {
    throw BAD_REQUEST;
  }
}

const CSRF_FAILED = new HttpError(
  403,
  "Sorry, we could not accept that form",
  "The form had expired or did not come from this service. Go back, refresh the page and try again.",
);

async function submittedCsrfToken(headers: Headers, body: Buffer, url: string, method: string): Promise<string | null> {
  const header = headers.get("x-csrf-token");
  if (header) return header;
  const type = headers.get("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    return new URLSearchParams(body.toString("utf8")).get("csrf");
  }
  if (type.startsWith("multipart/form-data")) {
    try {
      const form = await new Request(url, { method, headers, body: new Uint8Array(body) }).formData();
      const value = form.get("csrf");
      return typeof value === "string" ? value : null;
    } catch {
      return null;
    }
  }
  return null;
}

function sameOrigin(headers: Headers, url: URL): boolean {
  const site = headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = headers.get("origin");
  if (origin) {
    try {
      return new URL(origin).host === url.host;
    } catch {
      return false;
    }
  }
  return true;
}

const NONCE_SLOT = "\u0000nonce\u0000";

/** The Content-Security-Policy header, with NONCE_SLOT where each response's script nonce goes. */
function contentSecurityPolicy(isProduction: boolean): string {
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'", `'nonce-${NONCE_SLOT}'`],
    ["style-src", "'self'"],
    ["img-src", "'self'", "data:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
    ["object-src", "'none'"],
    ["base-uri", "'self'"],
    ...(isProduction ? [["upgrade-insecure-requests"] as [string]] : []),
  ];
  return directives.map((d) => d.join(" ")).join(";");
}

/**
 * Writes a streamed body at the pace the client reads it (Remix's writeReadableStreamToWritable ignores
 * `write()` returning false, so a slow download of a large export would pile up in memory), and cancels
 * the stream when the client goes away, so an export stops reading rows.
 */
async function writeBody(body: ReadableStream<Uint8Array>, res: ExpressResponse): Promise<void> {
  const reader = body.getReader();
  const gone = new Promise<"gone">((resolve) => res.once("close", () => resolve("gone")));
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), gone]);
      if (next === "gone" || res.destroyed) {
        await reader.cancel();
        return;
      }
      if (next.done) {
        res.end();
        return;
      }
      if (!res.write(next.value) && (await Promise.race([once(res, "drain"), gone])) === "gone") {
        await reader.cancel();
        return;
      }
    }
  } catch (error) {
    res.destroy(error as Error);
    throw error;
  }
}

/**
 * Node's own bounds on a connection (docs/decisions/0012): the request's headers within 20 s and its whole body
 * within 120 s (a 25 MB roster on a slow line), and a socket that moves no bytes for longer than the page
 * deadline plus 30 s is closed: a download whose reader has stopped ends, and its export is abandoned. An idle
 * kept-alive connection stays open 65 s, longer than the 60 s a proxy or browser usually keeps one: with Node's
 * 5 s, a client that sends on a connection just as the server closes it gets a reset (ECONNRESET, or a 502 from
 * a proxy) for a request the server never saw.
 */
export function boundHttpServer(server: Server, config: Pick<Config, "pageTimeoutMs">): Server {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  server.timeout = Math.max(60_000, config.pageTimeoutMs + 30_000);
  return server;
}

/** Stops the page deadline; false when it has passed (the 503 went out, so the handler's answer is dropped). */
function answeredInTime(res: ExpressResponse): boolean {
  clearTimeout(res.locals.deadline as NodeJS.Timeout | undefined);
  return !res.headersSent;
}

export function createHttpApp(deps: ServerDeps) {
  const { database, config, build, logger, mailer, mailQueue, checkpointer } = deps;
  const now = deps.now ?? (() => new Date());
  const pick = deps.pick ?? ((n: number) => randomInt(n));
  const publicDir = resolve(deps.publicDir ?? "public");
  const handleRemix = createRequestHandler(build, config.env === "test" ? "production" : config.env);
  const cookies = cookiesFor(config);

  const app = express();
  app.disable("x-powered-by");
  // The client address honours exactly this many proxy hops of X-Forwarded-For, and nothing else.
  app.set("trust proxy", config.trustedProxyHops);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.locals.requestId = randomUUID();
    res.locals.cspNonce = randomBytes(16).toString("base64");
    res.locals.log = {} as { userId?: string };
    res.setHeader("X-Request-Id", res.locals.requestId);
    res.on("finish", () => {
      // Path only: query strings can carry one-time tokens. Never cookies, bodies or passwords.
      logger.info({
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        userId: res.locals.log.userId ?? null,
        requestId: res.locals.requestId,
      });
    });
    next();
  });

  // A page the handler has not answered within the deadline (counted once the request's body has arrived) gets
  // 503 in its place; a streamed download has answered once its headers are ready. docs/decisions/0012.
  app.use((req, res, next) => {
    const arm = () => {
      if (res.headersSent) return;
      res.locals.deadline = setTimeout(() => {
        if (res.headersSent) return;
        logger.warn(
          { requestId: res.locals.requestId, ms: config.pageTimeoutMs },
          "page deadline passed: answered 503",
        );
        res
          .status(503)
          .set({ "Retry-After": "30", "Cache-Control": "no-store" })
          .type("html")
          .send(
            errorPage("Sorry, there is a problem with the service", "The page took too long. Try again in a minute."),
          );
      }, config.pageTimeoutMs);
      res.once("close", () => clearTimeout(res.locals.deadline as NodeJS.Timeout));
    };
    if (req.method === "GET" || req.method === "HEAD" || req.complete) arm();
    else req.once("end", arm);
    next();
  });

  // The policy is built once, around the request's nonce: helmet's own CSP middleware re-validates every
  // directive on every request, which measured about 4 % of a training answer's server time.
  const [cspBefore, cspAfter] = contentSecurityPolicy(config.isProduction).split(NONCE_SLOT);
  app.use((_req, res, next) => {
    res.setHeader("Content-Security-Policy", `${cspBefore}${res.locals.cspNonce}${cspAfter}`);
    res.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    next();
  });
  app.use(
    helmet({
      contentSecurityPolicy: false,
      strictTransportSecurity: config.isProduction ? { maxAge: 31536000, includeSubDomains: true } : false,
      referrerPolicy: { policy: "same-origin" },
      xFrameOptions: { action: "deny" },
    }),
  );

  app.get("/health", async (_req, res) => {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000).unref());
    try {
      await Promise.race([database.ping(), timeout]);
      res.status(200).json({ status: "ok", database: "ok" });
    } catch {
      res.status(503).json({ status: "unavailable", database: "unreachable" });
    }
  });

  app.use("/build", express.static(resolve(publicDir, "build"), { immutable: true, maxAge: "1y", index: false }));
  app.use(express.static(publicDir, { maxAge: "1h", index: false }));

  app.all(/.*/, async (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    try {
      const url = requestUrl(req);
      const headers = new Headers();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v);
      }

      // A signed-in person's CSRF token is derived from their session, so it changes at sign-in and a token from
      // another session never matches; before sign-in it is the random value of the CSRF cookie.
      const cookieHeader = headers.get("cookie");
      const sessionToken = (await cookies.session.parse(cookieHeader)) as unknown;
      const hasSession = typeof sessionToken === "string" && sessionToken.length > 0;
      let csrfToken = (await cookies.csrf.parse(cookieHeader)) as unknown;
      const setCookies: string[] = [];
      if (typeof csrfToken !== "string" || csrfToken.length < 32) {
        csrfToken = randomToken();
        setCookies.push(await cookies.csrf.serialize(csrfToken));
      }
      if (hasSession) csrfToken = sessionCsrfToken(config.sessionSecret, sessionToken);

      let body: Buffer | undefined;
      if (req.method !== "GET" && req.method !== "HEAD") {
        // Everything that needs only the headers is checked before a byte of the body is read.
        // Remix refuses an action whose Origin does not match the host; "null" (sandboxed frames, privacy redirects)
        // never does, so it is answered here as the bad request it is rather than as Remix's 500.
        if (headers.get("origin") === "null") throw BAD_REQUEST;
        if (!sameOrigin(headers, url)) throw CSRF_FAILED;
        const isUpload =
          isUploadPath(url.pathname) &&
          (headers.get("content-type") ?? "").startsWith("multipart/form-data") &&
          hasSession &&
          Number(headers.get("content-length") ?? "0") <= UPLOAD_BODY_LIMIT &&
          (await findActiveSession(
            database.db,
            sessionToken,
            { idleMs: config.sessionIdleMs, maxMs: config.sessionMaxMs },
            now(),
          )) !== null;
        body = await readBody(req, isUpload ? UPLOAD_BODY_LIMIT : FORM_BODY_LIMIT);
        const submitted = await submittedCsrfToken(headers, body, url.toString(), req.method);
        if (!submitted || !safeEqual(submitted, csrfToken as string)) throw CSRF_FAILED;
      }

      let wakeMailQueue = false;
      let scheduleCheckpoint = false;
      res.once("close", () => {
        if (wakeMailQueue) mailQueue?.wake();
        if (scheduleCheckpoint) checkpointer?.schedule();
      });

      const context: AppContext = {
        db: database.db,
        exportDb: (deps.exportDatabase ?? database).db,
        config,
        mailer,
        requestId: res.locals.requestId,
        clientIp: req.ip ?? null,
        userAgent: headers.get("user-agent"),
        csrfToken: csrfToken as string,
        cspNonce: res.locals.cspNonce,
        log: res.locals.log,
        now,
        pick,
        wakeMailQueue: () => {
          wakeMailQueue = true;
        },
        scheduleCheckpoint: () => {
          scheduleCheckpoint = true;
        },
      };
      const controller = new AbortController();
      res.on("close", () => controller.abort());
      const request = new Request(url, {
        method: req.method,
        headers,
        body: body ? new Uint8Array(body) : undefined,
        signal: controller.signal,
      });
      const response = await handleRemix(request, context);
      if (!answeredInTime(res)) {
        await response.body?.cancel();
        return;
      }

      res.status(response.status);
      res.statusMessage = response.statusText || res.statusMessage;
      for (const [key, value] of response.headers) {
        if (key.toLowerCase() !== "set-cookie") res.append(key, value);
      }
      // Pages show personal data and carry the session's CSRF token: no cache, shared or the browser's, keeps one.
      if (!response.headers.has("cache-control")) res.setHeader("Cache-Control", "no-store");
      for (const cookie of [...setCookies, ...response.headers.getSetCookie()]) res.append("Set-Cookie", cookie);
      if (response.body) await writeBody(response.body, res);
      else res.end();
    } catch (error) {
      if (error instanceof HttpError) {
        res.setHeader("Cache-Control", "no-store");
        res.status(error.status).type("html").send(errorPage(error.title, error.body));
        return;
      }
      next(error);
    }
  });

  app.use((error: unknown, _req: ExpressRequest, res: ExpressResponse, _next: NextFunction) => {
    logger.error({ err: error, requestId: res.locals.requestId }, "unhandled error");
    if (res.headersSent) return res.end();
    res.status(500).type("html").send(errorPage("Sorry, there is a problem with the service", "Try again later."));
  });

  return app;
}
