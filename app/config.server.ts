import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

/** A bound in seconds (fractions allowed, for tests), at least 1 ms and at most a day. */
const seconds = (fallback: number) => z.coerce.number().min(0.001).max(86_400).default(fallback);

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    DATABASE_URL: z
      .string()
      .optional()
      .transform((v) => (v === "" ? undefined : v))
      .refine((v) => v === undefined || /^postgres(ql)?:\/\/[^\s]+$/.test(v), {
        message: "DATABASE_URL must look like postgres://user@host:5432/database",
      })
      .refine((v) => v === undefined || URL.canParse(v), { message: "DATABASE_URL is not a valid URL" }),
    PGLITE_DIR: z.string().default(".data/pglite"),
    SESSION_SECRET: z.string().min(32, "SESSION_SECRET must be at least 32 characters").optional(),
    TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    SERVICE_URL: z.string().url().optional(),
    SMTP_URL: z
      .string()
      .optional()
      .transform((v) => (v === "" ? undefined : v)),
    MAIL_FROM: z.string().default("Social media code of conduct <no-reply@localhost>"),
    DEMO_PASSWORD: z.string().min(12).default("correct-horse-battery-staple"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "silent"]).default("info"),
    SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(240).default(30),
    SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24).default(12),
    SECURE_COOKIES: bool,
    // Encrypts the councils' OpenID client secrets stored in the database (decision 0022): 32 bytes, base64.
    SSO_SECRET_KEY: z
      .string()
      .optional()
      .transform((v) => (v === "" ? undefined : v))
      .refine((v) => v === undefined || Buffer.from(v, "base64").length === 32, {
        message: "SSO_SECRET_KEY must be 32 bytes in base64 (openssl rand -base64 32)",
      }),
    // Bounds on waiting: docs/decisions/0012-bounded-waits-and-a-supervised-server.md says why each is what it is.
    PAGE_TIMEOUT_SECONDS: seconds(30),
    DB_STATEMENT_TIMEOUT_SECONDS: seconds(15),
    DB_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS: seconds(15),
    EXPORT_STATEMENT_TIMEOUT_SECONDS: seconds(1800),
    JOB_STATEMENT_TIMEOUT_SECONDS: seconds(3600),
    // The service's ledger signing key and the keys that verify older records (docs/ledger.md, "The service key").
    LEDGER_SIGNING_KEY: z
      .string()
      .optional()
      .transform((v) => (v === "" ? undefined : v)),
    LEDGER_SIGNING_KEY_FILE: z
      .string()
      .optional()
      .transform((v) => (v === "" ? undefined : v)),
    LEDGER_VERIFIER_KEYS: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && !env.SESSION_SECRET) {
      ctx.addIssue({ code: "custom", path: ["SESSION_SECRET"], message: "SESSION_SECRET is required in production" });
    }
    // Links in e-mails must never be built from a request's Host header, which the sender chooses.
    if (env.NODE_ENV === "production" && !env.SERVICE_URL) {
      ctx.addIssue({ code: "custom", path: ["SERVICE_URL"], message: "SERVICE_URL is required in production" });
    }
    // Without the service's key a record could be written by anyone with the database (docs/ledger.md).
    if (env.NODE_ENV === "production" && !env.LEDGER_SIGNING_KEY && !env.LEDGER_SIGNING_KEY_FILE) {
      ctx.addIssue({
        code: "custom",
        path: ["LEDGER_SIGNING_KEY"],
        message:
          "LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE is required in production (npm run ledger:keygen makes one)",
      });
    }
  });

export type Config = {
  env: "development" | "production" | "test";
  isProduction: boolean;
  port: number;
  databaseUrl: string | undefined;
  pgliteDir: string;
  sessionSecret: string;
  trustedProxyHops: number;
  serviceUrl: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  demoPassword: string;
  logLevel: string;
  sessionIdleMs: number;
  sessionMaxMs: number;
  secureCookies: boolean;
  /** The key that encrypts stored OpenID client secrets; null in production when SSO_SECRET_KEY is not set. */
  ssoSecretKey: Buffer | null;
  /** How long a page request may take before the server answers 503 in its place. */
  pageTimeoutMs: number;
  /** The PostgreSQL bounds of each kind of work's connections (statement_timeout, idle_in_transaction_session_timeout). */
  databaseBounds: Record<DatabaseWork, DatabaseBounds>;
  /** Where the ledger's signing key comes from (read by app/attestation/service-key.server.ts). */
  ledgerKeys: {
    signingKey: string | undefined;
    signingKeyFile: string | undefined;
    verifierKeys: string | undefined;
    /** Outside production, with neither of the above: generated once and kept here. */
    developmentKeyFile: string;
  };
};

/** Pages (the web server's pool), streamed exports (their own pool) and command-line jobs. */
export type DatabaseWork = "pages" | "exports" | "jobs";
export type DatabaseBounds = { statementMs: number; idleInTransactionMs: number };

export class ConfigError extends Error {}

// Used only outside production, where a fixed secret is harmless and spares newcomers a step.
const DEVELOPMENT_SECRET = "development-only-secret-not-for-production-use";
const DEVELOPMENT_SSO_KEY = Buffer.alloc(32, "development-only-sso-key");

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const name = first.path.join(".") || "environment";
    throw new ConfigError(
      `Configuration error: ${first.message.startsWith(name) ? first.message : `${name}: ${first.message}`}`,
    );
  }
  const env = parsed.data;
  const isProduction = env.NODE_ENV === "production";
  const ms = (seconds: number) => Math.max(1, Math.round(seconds * 1000));
  const idleInTransactionMs = ms(env.DB_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS);
  return {
    env: env.NODE_ENV,
    isProduction,
    port: env.PORT,
    databaseUrl: env.DATABASE_URL,
    pgliteDir: env.PGLITE_DIR,
    sessionSecret: env.SESSION_SECRET ?? DEVELOPMENT_SECRET,
    trustedProxyHops: env.TRUSTED_PROXY_HOPS,
    serviceUrl: env.SERVICE_URL,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
    demoPassword: env.DEMO_PASSWORD,
    logLevel: env.LOG_LEVEL,
    sessionIdleMs: env.SESSION_IDLE_MINUTES * 60_000,
    sessionMaxMs: env.SESSION_MAX_HOURS * 3_600_000,
    secureCookies: isProduction || env.SECURE_COOKIES,
    ssoSecretKey: env.SSO_SECRET_KEY
      ? Buffer.from(env.SSO_SECRET_KEY, "base64")
      : isProduction
        ? null
        : DEVELOPMENT_SSO_KEY,
    pageTimeoutMs: ms(env.PAGE_TIMEOUT_SECONDS),
    databaseBounds: {
      pages: { statementMs: ms(env.DB_STATEMENT_TIMEOUT_SECONDS), idleInTransactionMs },
      exports: { statementMs: ms(env.EXPORT_STATEMENT_TIMEOUT_SECONDS), idleInTransactionMs },
      jobs: { statementMs: ms(env.JOB_STATEMENT_TIMEOUT_SECONDS), idleInTransactionMs },
    },
    ledgerKeys: {
      signingKey: env.LEDGER_SIGNING_KEY,
      signingKeyFile: env.LEDGER_SIGNING_KEY_FILE,
      verifierKeys: env.LEDGER_VERIFIER_KEYS,
      developmentKeyFile: ".data/ledger-signing-key",
    },
  };
}

/** The only configuration values that may reach the browser. */
export function publicConfig(config: Config) {
  return {
    serviceName: "Social media code of conduct",
    phase: "beta" as const,
    sessionIdleMs: config.sessionIdleMs,
  };
}
