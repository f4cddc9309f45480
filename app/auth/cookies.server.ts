import { createCookie } from "@remix-run/node";
import type { Config } from "~/config.server";

const cache = new WeakMap<Config, ReturnType<typeof build>>();

function build(config: Config) {
  // The __Host- prefix binds a cookie to this exact origin over HTTPS; it cannot be used without Secure.
  const prefix = config.secureCookies ? "__Host-" : "";
  const common = {
    httpOnly: true,
    sameSite: "lax" as const,
    secure: config.secureCookies,
    path: "/",
    secrets: [config.sessionSecret],
  };
  return {
    session: createCookie(`${prefix}session`, { ...common, maxAge: Math.floor(config.sessionMaxMs / 1000) }),
    csrf: createCookie(`${prefix}csrf`, common),
    /** A browser an account has signed in on (app/auth/known-devices.server.ts): kept for 180 days. */
    device: createCookie(`${prefix}device`, { ...common, maxAge: 180 * 24 * 3600 }),
    /** A sign-in at the council's provider under way (app/auth/sso.server.ts): signed, for 10 minutes. */
    sso: createCookie(`${prefix}sso`, { ...common, maxAge: 600 }),
  };
}

export function cookiesFor(config: Config) {
  let cookies = cache.get(config);
  if (!cookies) {
    cookies = build(config);
    cache.set(config, cookies);
  }
  return cookies;
}
