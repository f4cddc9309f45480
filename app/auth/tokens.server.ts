import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A signed-in session's CSRF token: bound to that session, so it is new at every sign-in. */
export function sessionCsrfToken(secret: string, sessionToken: string): string {
  return createHmac("sha256", secret).update(`csrf\u0000${sessionToken}`).digest("base64url");
}
