import type { Config } from "~/config.server";
import { cookiesFor } from "./cookies.server";
import { normaliseEmail } from "./throttle.server";
import { randomToken, sha256Hex } from "./tokens.server";

/**
 * A known device: a browser an account has signed in on, remembered in a signed cookie (docs/decisions/0013). The
 * cookie holds a random id for the browser and a short hash of each account that signed in on it (not the
 * addresses), so a stolen cookie says nothing about whose it is, and only a real sign-in can add an account.
 */
export type KnownDevice = { id: string; accounts: string[] };

const MAX_ACCOUNTS = 10;

const accountKey = (email: string) => sha256Hex(`known-device\u0000${normaliseEmail(email)}`).slice(0, 24);

export async function readKnownDevice(config: Config, request: Request): Promise<KnownDevice | null> {
  const value = (await cookiesFor(config).device.parse(request.headers.get("Cookie"))) as unknown;
  if (typeof value !== "object" || value === null) return null;
  const { id, accounts } = value as Partial<KnownDevice>;
  if (typeof id !== "string" || !Array.isArray(accounts) || !accounts.every((a) => typeof a === "string")) return null;
  return { id, accounts };
}

/** This browser's device id when the account has signed in on it before, else null. */
export function knownDeviceFor(device: KnownDevice | null, email: string): string | null {
  return device && device.accounts.includes(accountKey(email)) ? device.id : null;
}

/** The Set-Cookie header that remembers this browser for the account that has just signed in. */
export async function rememberDevice(config: Config, device: KnownDevice | null, email: string): Promise<string> {
  const key = accountKey(email);
  const accounts = [key, ...(device?.accounts ?? []).filter((a) => a !== key)].slice(0, MAX_ACCOUNTS);
  return cookiesFor(config).device.serialize({ id: device?.id ?? randomToken(16), accounts });
}
