import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, publicConfig } from "./config.server";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("loadConfig accepted the environment");
}

describe("loadConfig", () => {
  it("has working defaults for development with nothing set", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: "development",
      isProduction: false,
      port: 3000,
      databaseUrl: undefined,
      pgliteDir: ".data/pglite",
      trustedProxyHops: 0,
      smtpUrl: undefined,
      logLevel: "info",
      sessionIdleMs: 30 * 60_000,
      sessionMaxMs: 12 * 3_600_000,
      secureCookies: false,
    });
    expect(config.sessionSecret.length).toBeGreaterThanOrEqual(32);
  });

  it("treats an empty DATABASE_URL as unset", () => {
    expect(loadConfig({ DATABASE_URL: "" }).databaseUrl).toBeUndefined();
  });

  it("takes a PostgreSQL URL as given", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://app@db.internal:5432/conduct" }).databaseUrl).toBe(
      "postgres://app@db.internal:5432/conduct",
    );
  });

  it("refuses a malformed DATABASE_URL with one line naming it", () => {
    const error = configError({ DATABASE_URL: "not-a-url" });
    expect(error.message).toContain("DATABASE_URL");
    expect(error.message).not.toContain("\n");
  });

  it("refuses production without SESSION_SECRET with one line naming it", () => {
    const error = configError({ NODE_ENV: "production" });
    expect(error.message).toContain("SESSION_SECRET");
    expect(error.message).not.toContain("\n");
  });

  it("refuses production without the ledger's signing key, in one line naming it", () => {
    const error = configError({
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(40),
      SERVICE_URL: "https://conduct.example.gov.uk",
    });
    expect(error.message).toBe(
      "Configuration error: LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE is required in production (npm run ledger:keygen makes one)",
    );
  });

  it("uses secure cookies and the given secret in production", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(40),
      SERVICE_URL: "https://conduct.example.gov.uk",
      LEDGER_SIGNING_KEY_FILE: "/run/secrets/ledger-signing-key",
    });
    expect(config).toMatchObject({ isProduction: true, secureCookies: true, sessionSecret: "s".repeat(40) });
  });
});

describe("publicConfig", () => {
  it("exposes only the service name, phase and idle timeout: no secret, no database URL", () => {
    const secret = "a-session-secret-that-is-long-enough-0123";
    const databaseUrl = "postgres://app:hunter2@db.internal:5432/conduct";
    const exposed = publicConfig(
      loadConfig({
        NODE_ENV: "production",
        SESSION_SECRET: secret,
        SERVICE_URL: "https://conduct.example.gov.uk",
        LEDGER_SIGNING_KEY_FILE: "/run/secrets/ledger-signing-key",
        DATABASE_URL: databaseUrl,
        SMTP_URL: "smtp://u:p@mail:587",
      }),
    );
    expect(Object.keys(exposed).sort()).toEqual(["phase", "serviceName", "sessionIdleMs"]);
    const json = JSON.stringify(exposed);
    expect(json).not.toContain(secret);
    expect(json).not.toContain("hunter2");
    expect(json).not.toContain("smtp://");
  });

  it("bounds every wait by default: pages, their statements and idle transactions, exports and jobs", () => {
    const config = loadConfig({});
    expect(config.pageTimeoutMs).toBe(30_000);
    expect(config.databaseBounds).toEqual({
      pages: { statementMs: 15_000, idleInTransactionMs: 15_000 },
      exports: { statementMs: 1_800_000, idleInTransactionMs: 15_000 },
      jobs: { statementMs: 3_600_000, idleInTransactionMs: 15_000 },
    });
    expect(config.databaseBounds.pages.statementMs).toBeLessThan(config.pageTimeoutMs);
  });

  it("takes bounds in seconds, fractions included, and refuses none, zero or nonsense in one line", () => {
    const config = loadConfig({ PAGE_TIMEOUT_SECONDS: "0.5", DB_STATEMENT_TIMEOUT_SECONDS: "0.25" });
    expect(config.pageTimeoutMs).toBe(500);
    expect(config.databaseBounds.pages.statementMs).toBe(250);
    for (const value of ["0", "-1", "soon", "100000"]) {
      const error = configError({ DB_STATEMENT_TIMEOUT_SECONDS: value });
      expect(error.message).toContain("DB_STATEMENT_TIMEOUT_SECONDS");
      expect(error.message).not.toContain("\n");
    }
  });
});
