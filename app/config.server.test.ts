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

  it("uses secure cookies and the given secret in production", () => {
    const config = loadConfig({ NODE_ENV: "production", SESSION_SECRET: "s".repeat(40) });
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
});
