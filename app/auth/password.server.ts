import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";

// scrypt from node:crypto (OWASP: N=2^17, r=8, p=1 is the reference; 2^15 keeps a sign-in near
// 50-100 ms on a 2-core server while staying far above brute-force budgets for a 12+ char password).
const N = 2 ** 15;
const r = 8;
const p = 1;
const KEY_LENGTH = 32;
const MAX_MEMORY = 256 * N * r;

function scrypt(password: string, salt: Buffer, n: number, rr: number, pp: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(
      password.normalize("NFKC"),
      salt,
      KEY_LENGTH,
      { N: n, r: rr, p: pp, maxmem: MAX_MEMORY },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, r, p);
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

// Checked against when no account matches, so an unknown e-mail costs the same time as a wrong password.
let decoyHash: Promise<string> | undefined;

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const target = stored ?? (await (decoyHash ??= hashPassword(randomBytes(16).toString("hex"))));
  const parts = target.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, n, rr, pp, salt, key] = parts;
  const expected = Buffer.from(key, "base64url");
  const actual = await scrypt(password, Buffer.from(salt, "base64url"), Number(n), Number(rr), Number(pp));
  return stored != null && actual.length === expected.length && timingSafeEqual(actual, expected);
}

export { MIN_PASSWORD_LENGTH } from "./forms";
