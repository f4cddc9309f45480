import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

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
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && !env.SESSION_SECRET) {
      ctx.addIssue({ code: "custom", path: ["SESSION_SECRET"], message: "SESSION_SECRET is required in production" });
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
};

export class ConfigError extends Error {}

// Used only outside production, where a fixed secret is harmless and spares newcomers a step.
const DEVELOPMENT_SECRET = "development-only-secret-not-for-production-use";

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
export type PublicConfig = ReturnType<typeof publicConfig>;
