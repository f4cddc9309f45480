import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "~/config.server";
import { serviceUrlOf } from "./request.server";

const production = { NODE_ENV: "production", SESSION_SECRET: "s".repeat(40), LEDGER_SIGNING_KEY_FILE: "ledger-key" };
const fromEvil = new Request("http://evil.example/forgot-password", { method: "POST" });

describe("the service's address for links", () => {
  it("must be set in production: the configuration is refused without SERVICE_URL, in one line naming it", () => {
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/SERVICE_URL is required in production/);
  });

  it("is SERVICE_URL whatever Host the request came with", () => {
    const config = loadConfig({ ...production, SERVICE_URL: "https://conduct.example.gov.uk" });
    expect(serviceUrlOf(config, fromEvil)).toBe("https://conduct.example.gov.uk");
  });

  it("is the request's own origin only outside production, without SERVICE_URL (local use)", () => {
    expect(serviceUrlOf(loadConfig({ NODE_ENV: "development" }), fromEvil)).toBe("http://evil.example");
    expect(() => serviceUrlOf({ serviceUrl: undefined, isProduction: true }, fromEvil)).toThrow(/SERVICE_URL/);
  });
});
