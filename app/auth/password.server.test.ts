import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password.server";

const PASSWORD = "three random words here";

describe("password hashing", () => {
  it("verifies the password a hash was made from", async () => {
    const hash = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
  });

  it("refuses a different password", async () => {
    const hash = await hashPassword(PASSWORD);
    expect(await verifyPassword("three random words hers", hash)).toBe(false);
  });

  it("refuses any password when there is no stored hash (the unknown-user decoy)", async () => {
    expect(await verifyPassword(PASSWORD, null)).toBe(false);
    expect(await verifyPassword(PASSWORD, undefined)).toBe(false);
    expect(await verifyPassword("", null)).toBe(false);
  });

  it("stores scrypt parameters, salt and key, never the password itself", async () => {
    const hash = await hashPassword(PASSWORD);
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain(PASSWORD);
    expect(hash).not.toContain(Buffer.from(PASSWORD).toString("base64url"));
  });

  it("salts each hash, so the same password hashes differently", async () => {
    expect(await hashPassword(PASSWORD)).not.toBe(await hashPassword(PASSWORD));
  });

  it("treats NFKC-equivalent spellings of a password as the same password", async () => {
    // "é" precomposed (U+00E9) and as "e" + combining acute (U+0301); the "ﬁ" ligature (U+FB01) and "fi".
    const hash = await hashPassword("caf\u00e9 \ufb01sh supper");
    expect(await verifyPassword("cafe\u0301 fish supper", hash)).toBe(true);
  });

  it("still tells NFKC-different passwords apart", async () => {
    const hash = await hashPassword("caf\u00e9 fish supper");
    expect(await verifyPassword("cafe fish supper", hash)).toBe(false);
  });
});
