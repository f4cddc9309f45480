import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { deactivatePerson } from "~/people/people.server";
import { sessions } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aPerson, asCurrentUser, TEST_PASSWORD } from "../../test/support/factories";
import { createPasswordLink, setPasswordWithLink } from "./password-links.server";
import { findActiveSession, type SessionPolicy } from "./session.server";
import { safeReturnTo, signIn, signOut } from "./sign-in.server";
import { isThrottled } from "./throttle.server";
import { sha256Hex } from "./tokens.server";

const database = await freshDatabase();
const db = database.db;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const POLICY: SessionPolicy = { idleMs: 30 * MINUTE, maxMs: 12 * HOUR };
const T0 = new Date("2026-03-02T09:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

let council: Awaited<ReturnType<typeof aCouncil>>;
beforeAll(async () => {
  council = await aCouncil(db);
});

// Each test signs in from its own address, so the per-address throttle of one test never touches another.
let nextAddress = 1;
const anAddress = () => `198.51.100.${nextAddress++}`;
const request = (ip: string, now: Date) => ({ ip, requestId: null, userAgent: "vitest", now });
const aSignedUpPerson = () => aPerson(db, { organisationId: council.organisation.id });

describe("signIn", () => {
  it("creates a session stored under the sha256 of the token, never the token itself", async () => {
    const person = await aSignedUpPerson();
    const result = await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(anAddress(), T0));
    if (!result.ok) throw new Error(`sign-in failed: ${result.reason}`);
    const rows = await db.select().from(sessions).where(eq(sessions.userId, person.id));
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(sha256Hex(result.token));
    expect(JSON.stringify(rows)).not.toContain(result.token);
  });

  it("gives the same `invalid` answer for a wrong password, an unknown e-mail and an inactive person", async () => {
    const person = await aSignedUpPerson();
    const leaver = await aPerson(db, { organisationId: council.organisation.id, active: false });
    const ip = anAddress();
    const wrongPassword = await signIn(
      db,
      { email: person.email, password: "not-the-password" },
      POLICY,
      request(ip, T0),
    );
    const unknown = await signIn(
      db,
      { email: "nobody-here@example.test", password: TEST_PASSWORD },
      POLICY,
      request(ip, T0),
    );
    const inactive = await signIn(db, { email: leaver.email, password: TEST_PASSWORD }, POLICY, request(ip, T0));
    expect(wrongPassword).toEqual({ ok: false, reason: "invalid" });
    expect(unknown).toEqual(wrongPassword);
    expect(inactive).toEqual(wrongPassword);
  });

  it("accepts the e-mail address in any case and with surrounding spaces", async () => {
    const person = await aSignedUpPerson();
    const result = await signIn(
      db,
      { email: `  ${person.email.toUpperCase()} `, password: TEST_PASSWORD },
      POLICY,
      request(anAddress(), T0),
    );
    expect(result).toMatchObject({ ok: true, userId: person.id });
  });
});

describe("the per-account throttle", () => {
  async function failFiveTimes(email: string, ip: string) {
    for (let i = 0; i < 5; i++) {
      const result = await signIn(db, { email, password: "not-the-password" }, POLICY, request(ip, at(i * MINUTE)));
      expect(result).toEqual({ ok: false, reason: "invalid" });
    }
  }

  it("starts at the fifth failure within 15 minutes, not before", async () => {
    const person = await aSignedUpPerson();
    const ip = anAddress();
    for (let i = 0; i < 4; i++)
      await signIn(db, { email: person.email, password: "not-the-password" }, POLICY, request(ip, at(i * MINUTE)));
    expect(await isThrottled(db, "sign-in", person.email, ip, at(4 * MINUTE))).toBe(false);
    await signIn(db, { email: person.email, password: "not-the-password" }, POLICY, request(ip, at(4 * MINUTE)));
    expect(await isThrottled(db, "sign-in", person.email, ip, at(5 * MINUTE))).toBe(true);
  });

  it("refuses even the right password once throttled", async () => {
    const person = await aSignedUpPerson();
    const ip = anAddress();
    await failFiveTimes(person.email, ip);
    const result = await signIn(
      db,
      { email: person.email, password: TEST_PASSWORD },
      POLICY,
      request(ip, at(6 * MINUTE)),
    );
    expect(result).toEqual({ ok: false, reason: "throttled" });
  });

  it("locks only the address the failures came from: the person signs in from another", async () => {
    const person = await aSignedUpPerson();
    await failFiveTimes(person.email, anAddress());
    const result = await signIn(
      db,
      { email: person.email, password: TEST_PASSWORD },
      POLICY,
      request(anAddress(), at(6 * MINUTE)),
    );
    expect(result).toMatchObject({ ok: true, userId: person.id });
  });

  it("lets a colleague's failures on the same network not keep the person out of the browser they use", async () => {
    const person = await aSignedUpPerson();
    const office = anAddress();
    await failFiveTimes(person.email, office);
    expect(
      await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(office, at(6 * MINUTE))),
    ).toEqual({ ok: false, reason: "throttled" });
    const result = await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, {
      ...request(office, at(6 * MINUTE)),
      device: "the-person's-browser",
    });
    expect(result).toMatchObject({ ok: true, userId: person.id });
  });

  it("locks the account for unknown browsers after 20 failures from anywhere, but not its known ones", async () => {
    const person = await aSignedUpPerson();
    for (let a = 0; a < 5; a++) {
      const ip = anAddress();
      for (let i = 0; i < 4; i++)
        await signIn(db, { email: person.email, password: "not-the-password" }, POLICY, request(ip, at(a * MINUTE)));
    }
    expect(
      await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(anAddress(), at(6 * MINUTE))),
    ).toEqual({ ok: false, reason: "throttled" });
    expect(
      await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, {
        ...request(anAddress(), at(6 * MINUTE)),
        device: "known",
      }),
    ).toMatchObject({ ok: true, userId: person.id });
  });

  it("holds a known browser to its own five failures", async () => {
    const person = await aSignedUpPerson();
    const ip = anAddress();
    for (let i = 0; i < 5; i++)
      await signIn(db, { email: person.email, password: "not-the-password" }, POLICY, {
        ...request(ip, at(i * MINUTE)),
        device: "shared-pc",
      });
    expect(
      await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, {
        ...request(ip, at(6 * MINUTE)),
        device: "shared-pc",
      }),
    ).toEqual({ ok: false, reason: "throttled" });
  });

  it("clears once the failures are more than 15 minutes old", async () => {
    const person = await aSignedUpPerson();
    const ip = anAddress();
    await failFiveTimes(person.email, ip);
    // The last failure was at 4 minutes: at 19 minutes and a second it is out of the window.
    const result = await signIn(
      db,
      { email: person.email, password: TEST_PASSWORD },
      POLICY,
      request(ip, at(19 * MINUTE + 1000)),
    );
    expect(result).toMatchObject({ ok: true, userId: person.id });
  });

  it("clears when the person sets a new password with a link", async () => {
    const person = await aSignedUpPerson();
    const ip = anAddress();
    await failFiveTimes(person.email, ip);
    const token = await createPasswordLink(db, person.id, "reset", at(5 * MINUTE));
    const set = await setPasswordWithLink(db, { token, password: "a brand new password" }, request(ip, at(6 * MINUTE)));
    expect(set).toEqual({ ok: true, userId: person.id });
    const result = await signIn(
      db,
      { email: person.email, password: "a brand new password" },
      POLICY,
      request(ip, at(7 * MINUTE)),
    );
    expect(result).toMatchObject({ ok: true, userId: person.id });
  });
});

describe("the per-address throttle", () => {
  it("is not started by one person's many failures on their own account: colleagues on the network sign in", async () => {
    const person = await aSignedUpPerson();
    const colleague = await aSignedUpPerson();
    const office = anAddress();
    for (let i = 0; i < 50; i++)
      await signIn(db, { email: person.email, password: "not-the-password" }, POLICY, request(office, at(i * 1000)));
    const result = await signIn(
      db,
      { email: colleague.email, password: TEST_PASSWORD },
      POLICY,
      request(office, at(51_000)),
    );
    expect(result).toMatchObject({ ok: true, userId: colleague.id });
  });

  // 30 real sign-ins, each a full scrypt: slow on a busy 2-core machine, so this one test gets more time.
  it(
    "starts after failures for 30 different accounts from one address, for its unknown browsers only",
    { timeout: 120_000 },
    async () => {
      const person = await aSignedUpPerson();
      const ip = anAddress();
      await Promise.all(
        Array.from({ length: 29 }, (_, i) =>
          signIn(
            db,
            { email: `guess-${i}@example.test`, password: "not-the-password" },
            POLICY,
            request(ip, at(i * 1000)),
          ),
        ),
      );
      expect(await isThrottled(db, "sign-in", person.email, ip, at(30_000))).toBe(false);
      await signIn(
        db,
        { email: "guess-29@example.test", password: "not-the-password" },
        POLICY,
        request(ip, at(30_000)),
      );
      expect(
        await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(ip, at(31_000))),
      ).toEqual({ ok: false, reason: "throttled" });
      expect(
        await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, {
          ...request(ip, at(31_000)),
          device: "their-own-browser",
        }),
      ).toMatchObject({ ok: true, userId: person.id });
    },
  );
});

describe("findActiveSession", () => {
  async function aSession(ip = anAddress()) {
    const person = await aSignedUpPerson();
    const result = await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(ip, T0));
    if (!result.ok) throw new Error(`sign-in failed: ${result.reason}`);
    return { person, token: result.token };
  }

  it("ends a session 30 minutes after it was last used", async () => {
    const { token } = await aSession();
    // A refused lookup writes nothing, so the second lookup still sees the session as last used at T0.
    expect(await findActiveSession(db, token, POLICY, at(30 * MINUTE))).toBeNull();
    expect(await findActiveSession(db, token, POLICY, at(29 * MINUTE))).not.toBeNull();
  });

  it("keeps a session in use alive past 30 minutes", async () => {
    const { person, token } = await aSession();
    expect(await findActiveSession(db, token, POLICY, at(20 * MINUTE))).not.toBeNull();
    expect((await findActiveSession(db, token, POLICY, at(40 * MINUTE)))?.user.id).toBe(person.id);
  });

  it("ends a session 12 hours after sign-in even when it has been used all along", async () => {
    const { token } = await aSession();
    for (let t = 20 * MINUTE; t < 12 * HOUR; t += 20 * MINUTE) {
      expect(await findActiveSession(db, token, POLICY, at(t))).not.toBeNull();
    }
    // Last used 20 minutes ago, so not idle: only the 12-hour limit can end it.
    expect(await findActiveSession(db, token, POLICY, at(12 * HOUR))).toBeNull();
  });
});

describe("signOut", () => {
  it("revokes the session on the server", async () => {
    const person = await aSignedUpPerson();
    const ip = anAddress();
    const result = await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(ip, T0));
    if (!result.ok) throw new Error(`sign-in failed: ${result.reason}`);
    const session = await findActiveSession(db, result.token, POLICY, at(MINUTE));
    expect(session).not.toBeNull();
    await signOut(db, session!, request(ip, at(2 * MINUTE)));
    expect(await findActiveSession(db, result.token, POLICY, at(3 * MINUTE))).toBeNull();
    const [row] = await db.select({ revokedAt: sessions.revokedAt }).from(sessions).where(eq(sessions.id, session!.id));
    expect(row.revokedAt).toEqual(at(2 * MINUTE));
  });
});

describe("deactivatePerson", () => {
  it("ends the person's sessions", async () => {
    const person = await aSignedUpPerson();
    const ip = anAddress();
    const first = await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(ip, T0));
    const second = await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(ip, T0));
    if (!first.ok || !second.ok) throw new Error("sign-in failed");
    await deactivatePerson(db, asCurrentUser(council.admin, council.organisation), person.id, request(ip, at(MINUTE)));
    expect(await findActiveSession(db, first.token, POLICY, at(2 * MINUTE))).toBeNull();
    expect(await findActiveSession(db, second.token, POLICY, at(2 * MINUTE))).toBeNull();
    const rows = await db
      .select({ revokedAt: sessions.revokedAt })
      .from(sessions)
      .where(eq(sessions.userId, person.id));
    expect(rows.map((r) => r.revokedAt)).toEqual([at(MINUTE), at(MINUTE)]);
  });

  it("stops the person signing in again", async () => {
    const person = await aSignedUpPerson();
    const ip = anAddress();
    await deactivatePerson(db, asCurrentUser(council.admin, council.organisation), person.id, request(ip, T0));
    const result = await signIn(db, { email: person.email, password: TEST_PASSWORD }, POLICY, request(ip, at(MINUTE)));
    expect(result).toEqual({ ok: false, reason: "invalid" });
  });
});

describe("safeReturnTo", () => {
  it("keeps a path on this site", () => {
    expect(safeReturnTo("/training/module?step=2")).toBe("/training/module?step=2");
  });

  it.each(["//evil.example", "https://evil.example", "/\\evil", "evil.example", "", undefined, 42])(
    "sends %j to the home page instead",
    (value) => {
      expect(safeReturnTo(value)).toBe("/");
    },
  );

  // Browsers drop tabs and newlines from a URL before parsing it, so "/<tab>/evil.example" means "//evil.example".
  it.each(["/\t/evil.example", "/\n/evil.example", "/\r\\evil.example"])(
    "sends %j, a protocol-relative URL once the browser strips it, home",
    (value) => {
      expect(safeReturnTo(value)).toBe("/");
    },
  );
});
