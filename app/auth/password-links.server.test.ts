import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Mailer } from "~/mail/mailer.server";
import { startSmtpServer, type Received } from "../../test/support/smtp";
import { auditLog, authAttempts, passwordTokens, sessions, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { anOrganisation, aPerson, TEST_PASSWORD } from "../../test/support/factories";
import { createPasswordLink, requestPasswordReset, setPasswordWithLink } from "./password-links.server";
import { verifyPassword } from "./password.server";
import { findActiveSession, type SessionPolicy } from "./session.server";
import { signIn } from "./sign-in.server";
import { sha256Hex } from "./tokens.server";

const database = await freshDatabase();
const db = database.db;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const POLICY: SessionPolicy = { idleMs: 30 * MINUTE, maxMs: 12 * HOUR };
const T0 = new Date("2026-03-02T09:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const BASE_URL = "https://conduct.example.gov.uk";
const NEW_PASSWORD = "a brand new password";

let organisationId: string;
let nextAddress = 1;
const anAddress = () => `203.0.113.${nextAddress++}`;
const request = (now: Date, ip = anAddress()) => ({ ip, requestId: null, userAgent: "vitest", now });
const aSignedUpPerson = () => aPerson(db, { organisationId });
const storedHash = async (userId: string) =>
  (await db.select({ h: users.passwordHash }).from(users).where(eq(users.id, userId)))[0].h;

beforeAll(async () => {
  organisationId = (await anOrganisation(db)).id;
});

/** A real SMTP server on loopback that keeps every message it accepts. */
let received: Received[];
let mailer: Mailer;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  received = smtp.received;
  mailer = smtp.mailer;
});
afterAll(() => smtp.close());
beforeEach(() => {
  received.length = 0;
});

/** The plain-text body of a message as its reader sees it (nodemailer may send it quoted-printable). */
function bodyText(raw: string): string {
  const split = raw.indexOf("\r\n\r\n");
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(headers)) return body;
  const bytes = body
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

function linkToken(text: string): string {
  const match = /\/set-password\?token=([A-Za-z0-9_-]+)/.exec(text);
  if (!match) throw new Error(`No set-password link in:\n${text}`);
  return match[1];
}

async function rowCounts() {
  const [[a], [b], [c], [d]] = await Promise.all([
    db.select({ n: count() }).from(auditLog),
    db.select({ n: count() }).from(authAttempts),
    db.select({ n: count() }).from(passwordTokens),
    db.select({ n: count() }).from(sessions),
  ]);
  return { audit: a.n, attempts: b.n, passwordTokens: c.n, sessions: d.n };
}

describe("createPasswordLink", () => {
  it("stores only the token's sha256, never the token", async () => {
    const person = await aSignedUpPerson();
    const token = await createPasswordLink(db, person.id, "set", T0);
    const rows = await db.select().from(passwordTokens).where(eq(passwordTokens.userId, person.id));
    expect(rows).toHaveLength(1);
    expect(rows[0].tokenHash).toBe(sha256Hex(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("retires the previous unused link when it makes a new one", async () => {
    const person = await aSignedUpPerson();
    const first = await createPasswordLink(db, person.id, "set", T0);
    const second = await createPasswordLink(db, person.id, "set", at(MINUTE));
    expect(await setPasswordWithLink(db, { token: first, password: NEW_PASSWORD }, request(at(2 * MINUTE)))).toEqual({
      ok: false,
    });
    expect(await setPasswordWithLink(db, { token: second, password: NEW_PASSWORD }, request(at(3 * MINUTE)))).toEqual({
      ok: true,
      userId: person.id,
    });
  });
});

describe("setPasswordWithLink", () => {
  it("sets the password the link was used with", async () => {
    const person = await aSignedUpPerson();
    const token = await createPasswordLink(db, person.id, "reset", T0);
    expect(await setPasswordWithLink(db, { token, password: NEW_PASSWORD }, request(at(MINUTE)))).toEqual({
      ok: true,
      userId: person.id,
    });
    const hash = await storedHash(person.id);
    expect(await verifyPassword(NEW_PASSWORD, hash)).toBe(true);
    expect(await verifyPassword(TEST_PASSWORD, hash)).toBe(false);
  });

  it("works once: a second use fails and changes nothing", async () => {
    const person = await aSignedUpPerson();
    const token = await createPasswordLink(db, person.id, "reset", T0);
    await setPasswordWithLink(db, { token, password: NEW_PASSWORD }, request(at(MINUTE)));
    const hashAfterFirstUse = await storedHash(person.id);
    const before = await rowCounts();
    expect(
      await setPasswordWithLink(db, { token, password: "another password entirely" }, request(at(2 * MINUTE))),
    ).toEqual({ ok: false });
    expect(await storedHash(person.id)).toBe(hashAfterFirstUse);
    expect(await rowCounts()).toEqual(before);
  });

  it("refuses an expired link and leaves the password alone", async () => {
    const person = await aSignedUpPerson();
    const hashBefore = await storedHash(person.id);
    const token = await createPasswordLink(db, person.id, "reset", T0);
    // A reset link lasts one hour.
    expect(await setPasswordWithLink(db, { token, password: NEW_PASSWORD }, request(at(HOUR)))).toEqual({ ok: false });
    expect(await storedHash(person.id)).toBe(hashBefore);
  });

  it("ends every session of the person", async () => {
    const person = await aSignedUpPerson();
    const tokens: string[] = [];
    for (const ip of [anAddress(), anAddress()]) {
      const result = await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(T0, ip));
      if (!result.ok) throw new Error(`sign-in failed: ${result.reason}`);
      tokens.push(result.token);
    }
    const link = await createPasswordLink(db, person.id, "reset", at(MINUTE));
    await setPasswordWithLink(db, { token: link, password: NEW_PASSWORD }, request(at(2 * MINUTE)));
    for (const token of tokens) expect(await findActiveSession(db, token, POLICY, at(3 * MINUTE))).toBeNull();
  });
});

describe("requestPasswordReset with a real SMTP server", () => {
  it("mails the person a set-password link", async () => {
    const person = await aSignedUpPerson();
    await requestPasswordReset(db, mailer, { email: person.email }, BASE_URL, request(T0));
    expect(received).toHaveLength(1);
    expect(received[0].from).toBe("test@localhost");
    expect(received[0].to).toEqual([person.email]);
    const text = bodyText(received[0].raw);
    expect(text).toContain(`Dear ${person.name},`);
    expect(text).toContain(`${BASE_URL}/set-password?token=`);
  });

  it("mails a link that sets the password once", async () => {
    const person = await aSignedUpPerson();
    await requestPasswordReset(db, mailer, { email: person.email }, BASE_URL, request(T0));
    const token = linkToken(bodyText(received[0].raw));
    expect(await setPasswordWithLink(db, { token, password: NEW_PASSWORD }, request(at(MINUTE)))).toEqual({
      ok: true,
      userId: person.id,
    });
    expect(
      await setPasswordWithLink(db, { token, password: "another password entirely" }, request(at(2 * MINUTE))),
    ).toEqual({ ok: false });
    expect(await verifyPassword(NEW_PASSWORD, await storedHash(person.id))).toBe(true);
  });

  it("sends nothing for an unknown address and writes only the throttle row", async () => {
    const before = await rowCounts();
    await requestPasswordReset(db, mailer, { email: "nobody-here@example.test" }, BASE_URL, request(T0));
    expect(received).toHaveLength(0);
    expect(await rowCounts()).toEqual({ ...before, attempts: before.attempts + 1 });
    const rows = await db.select().from(authAttempts).where(eq(authAttempts.email, "nobody-here@example.test"));
    expect(rows).toMatchObject([{ kind: "password-link", succeeded: true }]);
  });

  it("sends at most 3 mails an hour for one address", async () => {
    const person = await aSignedUpPerson();
    for (let i = 0; i < 5; i++) {
      await requestPasswordReset(db, mailer, { email: person.email }, BASE_URL, request(at(i * MINUTE)));
    }
    expect(received).toHaveLength(3);
    expect(received.every((mail) => mail.to[0] === person.email)).toBe(true);
  });
});
