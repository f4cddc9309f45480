import { and, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, identityProviders, sessions, userIdentities, users } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, anIdentityProvider, aPerson } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { signInAtProvider, startTestProvider, type TestProvider } from "../support/oidc-provider";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let idp: TestProvider;
let council: Awaited<ReturnType<typeof aCouncil>>;

beforeAll(async () => {
  council = await aCouncil(db);
  server = await startTestServer(database);
  idp = await startTestProvider({
    redirectUris: [`${server.url}/sso/callback`],
    postLogoutRedirectUris: [`${server.url}/signed-out`],
  });
  await anIdentityProvider(db, council.organisation.id, idp);
});
afterAll(async () => {
  await idp.stop();
  await server.close();
});

let n = 0;
/** A person of the council without a password, and their account at the provider (email vouched for). */
async function aProviderPerson(options: { email?: string; claims?: Record<string, unknown>; active?: boolean } = {}) {
  n++;
  const email = options.email ?? `sso-${n}-${Date.now()}@council.example`;
  const person = await aPerson(db, {
    organisationId: council.organisation.id,
    teamId: council.teamA.id,
    email,
    password: null,
    active: options.active,
  });
  const account = `account-${n}-${person.id.slice(0, 8)}`;
  idp.accounts.set(account, { email, email_verified: true, name: person.name, ...options.claims });
  return { person, account };
}

/** Starts at the service, signs in at the provider, and returns the callback's response. */
async function ssoSignIn(
  client: HttpClient,
  account: string,
  start = `/sso/start?council=${council.organisation.slug}`,
) {
  const started = await client.get(start);
  expect(started.status).toBe(302);
  const back = await signInAtProvider(started.headers.get("location")!, account);
  expect(back.startsWith(`${server.url}/sso/callback?`)).toBe(true);
  return { response: await client.get(back.slice(server.url.length)), callbackPath: back.slice(server.url.length) };
}

const rowCounts = async () => {
  const [[a], [s], [i]] = await Promise.all([
    db.select({ n: count() }).from(auditLog),
    db.select({ n: count() }).from(sessions),
    db.select({ n: count() }).from(userIdentities),
  ]);
  return { audit: a.n, sessions: s.n, identities: i.n };
};

/**
 * Expects the callback to send the browser to the refusal page saying this, and that only one audit entry (the
 * refusal) was written.
 */
async function expectRefusal(response: Response, before: Awaited<ReturnType<typeof rowCounts>>, text: string) {
  expect(response.status).toBe(302);
  const location = response.headers.get("location")!;
  expect(location.startsWith("/sso/refused?")).toBe(true);
  const page = await fetch(server.url + location);
  expect(page.status).toBe(200);
  expect(pageText(await page.text())).toContain(text);
  expect(await rowCounts()).toEqual({ ...before, audit: before.audit + 1 });
  const [entry] = await db.select().from(auditLog).orderBy(auditLog.id).limit(1).offset(before.audit);
  expect(entry.action).toBe("auth.sso-refused");
  return entry;
}

describe("signing in through the council's provider", () => {
  it("links the account on the first sign-in and matches on the provider's identifier afterwards", async () => {
    const { person, account } = await aProviderPerson();
    const client = new HttpClient(server.url);
    const { response } = await ssoSignIn(client, account);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/");
    expect(pageText(await (await client.get("/")).text())).toContain(`Welcome, ${person.name}`);
    const links = await db.select().from(userIdentities).where(eq(userIdentities.userId, person.id));
    expect(links).toMatchObject([{ issuer: idp.issuer, subject: account }]);
    const [session] = await db.select().from(sessions).where(eq(sessions.userId, person.id));
    expect(session.method).toBe("provider");

    // The address at the provider changes: the link, not the e-mail, finds the person.
    idp.accounts.set(account, { email: "renamed@elsewhere.example", email_verified: false });
    const again = await ssoSignIn(new HttpClient(server.url), account);
    expect(again.response.status).toBe(302);
    expect(await db.select().from(userIdentities).where(eq(userIdentities.userId, person.id))).toHaveLength(1);
  });

  it("creates nobody: an address of the council with no account here is refused", async () => {
    const account = `stranger-${Date.now()}`;
    idp.accounts.set(account, { email: `nobody-${Date.now()}@council.example`, email_verified: true });
    const before = await rowCounts();
    const people = (await db.select({ n: count() }).from(users))[0].n;
    const { response } = await ssoSignIn(new HttpClient(server.url), account);
    const entry = await expectRefusal(response, before, "There is no account for you in this service");
    expect(entry.details).toMatchObject({ reason: "unknown-person" });
    expect((await db.select({ n: count() }).from(users))[0].n).toBe(people);
  });

  it("refuses an address outside the council's domains", async () => {
    const { account } = await aProviderPerson({ claims: { email: `x-${Date.now()}@elsewhere.example` } });
    const before = await rowCounts();
    const { response } = await ssoSignIn(new HttpClient(server.url), account);
    await expectRefusal(response, before, "not one of your council's");
  });

  it("never links on an e-mail address the provider does not vouch for (nOAuth)", async () => {
    const { person, account } = await aProviderPerson({ claims: { email_verified: false } });
    const before = await rowCounts();
    const { response } = await ssoSignIn(new HttpClient(server.url), account);
    const entry = await expectRefusal(response, before, "did not confirm your email address");
    expect(entry.details).toMatchObject({ reason: "email-not-vouched" });
    expect(await db.select().from(userIdentities).where(eq(userIdentities.userId, person.id))).toHaveLength(0);
  });

  it("refuses a deactivated person whatever the provider says, and ends their sessions", async () => {
    const { person, account } = await aProviderPerson();
    const client = new HttpClient(server.url);
    expect((await ssoSignIn(client, account)).response.status).toBe(302);
    await db.update(users).set({ active: false }).where(eq(users.id, person.id));
    expect((await client.get("/")).status).toBe(302);
    const before = await rowCounts();
    const { response } = await ssoSignIn(new HttpClient(server.url), account);
    await expectRefusal(
      response,
      { ...before, sessions: before.sessions },
      "Your account in this service has been closed",
    );
    const open = await db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, person.id)));
    expect(open.every((s) => s.revokedAt !== null)).toBe(true);
  });
});

describe("bad callbacks", () => {
  it("refuses a callback without a matching state, writing only the audit entry", async () => {
    const { account } = await aProviderPerson();
    const client = new HttpClient(server.url);
    const started = await client.get(`/sso/start?council=${council.organisation.slug}`);
    const back = await signInAtProvider(started.headers.get("location")!, account);
    const forged = back.replace(/state=[^&]+/, "state=forged-state").slice(server.url.length);
    const before = await rowCounts();
    await expectRefusal(await client.get(forged), before, "did not start here");

    // A callback with no sign-in started in this browser at all.
    const before2 = await rowCounts();
    await expectRefusal(
      await new HttpClient(server.url).get(back.slice(server.url.length)),
      before2,
      "did not start here",
    );
  });

  it("refuses a replayed code: the provider will not exchange it twice", async () => {
    const { account } = await aProviderPerson();
    const client = new HttpClient(server.url);
    const started = await client.get(`/sso/start?council=${council.organisation.slug}`);
    const ssoCookie = client.cookieHeader;
    const back = (await signInAtProvider(started.headers.get("location")!, account)).slice(server.url.length);
    expect((await client.get(back)).status).toBe(302);
    // The same callback again, with the transaction cookie as it was (a captured request replayed).
    const before = await rowCounts();
    const replay = await fetch(server.url + back, { redirect: "manual", headers: { cookie: ssoCookie } });
    const entry = await expectRefusal(replay, before, "did not confirm who you are");
    expect(String((entry.details as { error: string }).error)).toContain("invalid_grant");
  });

  const tampered: [string, TestProvider["tamper"], string][] = [
    ["a wrong nonce", { claims: (c) => ({ ...c, nonce: "another-nonce" }) }, "(nonce)"],
    ["a token for another audience", { claims: (c) => ({ ...c, aud: "another-client" }) }, "(aud)"],
    [
      "an expired token",
      {
        claims: (c) => ({ ...c, exp: Math.floor(Date.now() / 1000) - 600, iat: Math.floor(Date.now() / 1000) - 4000 }),
      },
      "(exp)",
    ],
    ["a token from another issuer", { claims: (c) => ({ ...c, iss: "http://127.0.0.1:1/other" }) }, "(iss)"],
    ["a token signed by another key", { signWith: "stranger" }, "signature verification failed"],
  ];
  for (const [what, tamper, word] of tampered) {
    it(`refuses ${what}`, async () => {
      const { person, account } = await aProviderPerson();
      idp.tamper = tamper;
      try {
        const before = await rowCounts();
        const { response } = await ssoSignIn(new HttpClient(server.url), account);
        const entry = await expectRefusal(response, before, "did not confirm who you are");
        expect(String((entry.details as { error: string }).error).toLowerCase()).toContain(word);
        expect(await db.select().from(userIdentities).where(eq(userIdentities.userId, person.id))).toHaveLength(0);
      } finally {
        idp.tamper = null;
      }
    });
  }
});

describe("the sign-in page", () => {
  it("offers the council's provider, and sends an address at the council's domain straight there", async () => {
    const client = new HttpClient(server.url);
    const page = pageText(await (await client.get(`/sign-in?council=${council.organisation.slug}`)).text());
    expect(page).toContain("Sign in with Test Provider");
    const byAddress = await client.get(`/sso/start?email=${encodeURIComponent("someone@Council.example")}`);
    const offered = byAddress.headers.get("location")!;
    expect(offered).toBe(`/sign-in?council=${council.organisation.slug}&email=someone%40Council.example&returnTo=%2F`);
    const button = /href="(\/sso\/start[^"]+)"/
      .exec(await (await client.get(offered)).text())![1]
      .replace(/&amp;/g, "&");
    const straight = await client.get(button);
    expect(straight.status).toBe(302);
    const to = new URL(straight.headers.get("location")!);
    expect(to.origin).toBe(idp.issuer);
    expect(to.searchParams.get("login_hint")).toBe("someone@Council.example");
    expect(to.searchParams.get("response_mode")).toBe("query");
    expect(to.searchParams.get("code_challenge_method")).toBe("S256");
    const elsewhere = await client.get(`/sso/start?email=${encodeURIComponent("someone@elsewhere.example")}`);
    expect(elsewhere.headers.get("location")).toBe("/sign-in?noProvider=1&returnTo=%2F");
    expect(pageText(await (await client.get("/sign-in?noProvider=1")).text())).toContain(
      "Your council does not sign in through its own account here",
    );
  });

  it("refuses a password where the council signs in only through its provider, except an admin's (break-glass)", async () => {
    const only = await aCouncil(db);
    await anIdentityProvider(db, only.organisation.id, idp, { passwordSignIn: "no", emailDomains: "only.example" });
    const refused = await new HttpClient(server.url).post("/sign-in", {
      email: only.staff.email,
      password: "test-password-long-enough",
      returnTo: "/",
    });
    expect(refused.status).toBe(403);
    expect(pageText(await refused.text())).toContain("Your council signs in through Test Provider");
    expect(await db.select().from(sessions).where(eq(sessions.userId, only.staff.id))).toHaveLength(0);
    const admin = await new HttpClient(server.url).signIn(only.admin.email, "test-password-long-enough");
    expect(admin.status).toBe(302);
  });

  it("says clearly when the provider is down, offering password sign-in where the council allows it", async () => {
    const down = await aCouncil(db);
    const closed = await startTestProvider({ redirectUris: [`${server.url}/sso/callback`] });
    await closed.stop();
    await anIdentityProvider(db, down.organisation.id, closed, { emailDomains: "down.example" });
    const before = await rowCounts();
    const client = new HttpClient(server.url);
    const response = await client.get(`/sso/start?council=${down.organisation.slug}`);
    expect(response.headers.get("location")).toBe(`/sso/unavailable?council=${down.organisation.slug}&purpose=sign-in`);
    const page = pageText(await (await client.get(response.headers.get("location")!)).text());
    expect(page).toContain("Test Provider sign-in is not answering");
    expect(page).toContain("sign in with your email address and password");
    expect(await rowCounts()).toEqual(before);
  });

  it("says clearly when the provider goes down between sign-in and callback", async () => {
    const flaky = await aCouncil(db);
    const idp2 = await startTestProvider({ redirectUris: [`${server.url}/sso/callback`] });
    await anIdentityProvider(db, flaky.organisation.id, idp2, { emailDomains: "flaky.example" });
    idp2.accounts.set("flaky", { email: flaky.staff.email, email_verified: true });
    const client = new HttpClient(server.url);
    const started = await client.get(`/sso/start?council=${flaky.organisation.slug}`);
    const back = await signInAtProvider(started.headers.get("location")!, "flaky");
    await idp2.stop();
    const before = await rowCounts();
    const response = await client.get(back.slice(server.url.length));
    await expectRefusal(response, before, "not answering");
  });

  it("ends the service's session on sign-out and offers the provider's sign-out", async () => {
    const { person, account } = await aProviderPerson();
    const client = new HttpClient(server.url);
    await ssoSignIn(client, account);
    const out = await client.post("/sign-out", {});
    expect(out.headers.get("location")).toBe(`/signed-out?council=${council.organisation.slug}`);
    const [session] = await db.select().from(sessions).where(eq(sessions.userId, person.id));
    expect(session.revokedAt).not.toBeNull();
    const html = await (await client.get(out.headers.get("location")!)).text();
    expect(pageText(html)).toContain("Sign out of Test Provider too");
    const link = /href="([^"]+)"[^>]*>Sign out of/.exec(html)![1].replace(/&amp;/g, "&");
    expect(link.startsWith(`${idp.issuer}/session/end`)).toBe(true);
  });
});

describe("Entra: the tenant pinned", () => {
  const TENANT = "11111111-2222-3333-4444-555555555555";
  let entra: Awaited<ReturnType<typeof aCouncil>>;
  beforeAll(async () => {
    entra = await aCouncil(db);
    await anIdentityProvider(db, entra.organisation.id, idp, {
      kind: "entra",
      tenantId: TENANT,
      displayName: "Microsoft",
      emailDomains: "entra.example",
    });
  });

  async function entraPerson(claims: Record<string, unknown>) {
    const email = `e-${Date.now()}-${++n}@entra.example`;
    const person = await aPerson(db, { organisationId: entra.organisation.id, email, password: null });
    const account = `entra-${n}`;
    idp.accounts.set(account, { email, tid: TENANT, oid: `oid-${n}`, xms_edov: true, ...claims });
    return { person, account };
  }

  it("links on tid and oid when the tenant vouches for the address's domain (xms_edov)", async () => {
    const { person, account } = await entraPerson({});
    const { response } = await ssoSignIn(
      new HttpClient(server.url),
      account,
      `/sso/start?council=${entra.organisation.slug}`,
    );
    expect(response.status).toBe(302);
    const [link] = await db.select().from(userIdentities).where(eq(userIdentities.userId, person.id));
    expect(link.subject).toBe(`${TENANT}:oid-${n}`);
  });

  it("refuses a token from another tenant", async () => {
    const { account } = await entraPerson({ tid: "99999999-2222-3333-4444-555555555555" });
    const before = await rowCounts();
    const { response } = await ssoSignIn(
      new HttpClient(server.url),
      account,
      `/sso/start?council=${entra.organisation.slug}`,
    );
    const entry = await expectRefusal(response, before, "another organisation's directory");
    expect(entry.details).toMatchObject({ reason: "wrong-tenant" });
  });

  it("never links on an Entra email claim without xms_edov (nOAuth), even marked verified", async () => {
    const { account } = await entraPerson({ xms_edov: undefined, email_verified: true });
    const before = await rowCounts();
    const { response } = await ssoSignIn(
      new HttpClient(server.url),
      account,
      `/sso/start?council=${entra.organisation.slug}`,
    );
    const entry = await expectRefusal(response, before, "did not confirm your email address");
    expect(entry.details).toMatchObject({ reason: "email-not-vouched" });
  });
});

describe("re-authenticating at the provider before signing", () => {
  async function signedInPerson() {
    const { person, account } = await aProviderPerson();
    const client = new HttpClient(server.url);
    expect((await ssoSignIn(client, account)).response.status).toBe(302);
    return { person, account, client };
  }
  const reauthAt = async (userId: string) =>
    (await db.select().from(sessions).where(eq(sessions.userId, userId)))[0].providerReauthAt;

  it("asks the provider to authenticate again (prompt=login, max_age=0) and records a fresh auth_time", async () => {
    const { person, account, client } = await signedInPerson();
    const started = await client.get("/sso/start?purpose=reauth&returnTo=%2Fcode-of-conduct");
    const to = new URL(started.headers.get("location")!);
    expect(to.searchParams.get("prompt")).toBe("login");
    expect(to.searchParams.get("max_age")).toBe("0");
    const back = await signInAtProvider(to.toString(), account);
    const response = await client.get(back.slice(server.url.length));
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/code-of-conduct");
    expect(await reauthAt(person.id)).not.toBeNull();
  });

  it("refuses a stale auth_time", async () => {
    const { person, account, client } = await signedInPerson();
    idp.authTimeOffsetSeconds = -3600;
    try {
      const started = await client.get("/sso/start?purpose=reauth&returnTo=%2Fcode-of-conduct");
      const back = await signInAtProvider(started.headers.get("location")!, account);
      const before = await rowCounts();
      const entry = await expectRefusal(
        await client.get(back.slice(server.url.length)),
        before,
        "did not ask you to sign in again",
      );
      expect(entry.details).toMatchObject({ reason: "stale-auth-time" });
      expect(await reauthAt(person.id)).toBeNull();
    } finally {
      idp.authTimeOffsetSeconds = 0;
    }
  });

  it("refuses a token without auth_time", async () => {
    const { person, account, client } = await signedInPerson();
    idp.tamper = { claims: ({ auth_time: _dropped, ...rest }) => rest };
    try {
      const started = await client.get("/sso/start?purpose=reauth&returnTo=%2Fcode-of-conduct");
      const back = await signInAtProvider(started.headers.get("location")!, account);
      const before = await rowCounts();
      const entry = await expectRefusal(
        await client.get(back.slice(server.url.length)),
        before,
        "did not say when you signed in",
      );
      expect(entry.details).toMatchObject({ reason: "no-auth-time" });
      expect(await reauthAt(person.id)).toBeNull();
    } finally {
      idp.tamper = null;
    }
  });

  it("refuses a re-authentication as somebody else", async () => {
    const { person, client } = await signedInPerson();
    const other = await aProviderPerson();
    const started = await client.get("/sso/start?purpose=reauth&returnTo=%2Fcode-of-conduct");
    const back = await signInAtProvider(started.headers.get("location")!, other.account);
    const before = await rowCounts();
    await expectRefusal(await client.get(back.slice(server.url.length)), before, "different person");
    expect(await reauthAt(person.id)).toBeNull();
  });
});

describe("an admin sets the council's provider", () => {
  it("validates the form, changes nothing on a mistake, stores the secret encrypted and audits the change", async () => {
    const mine = await aCouncil(db);
    const admin = new HttpClient(server.url);
    await admin.signIn(mine.admin.email, "test-password-long-enough");
    expect((await admin.get("/admin/sign-in")).status).toBe(200);
    const before = await rowCounts();
    const wrong = await admin.post("/admin/sign-in", {
      kind: "entra",
      displayName: "Microsoft",
      tenantId: "not-a-tenant",
      issuer: "",
      clientId: "client",
      clientSecret: "a-secret-value",
      clientSecretEnv: "",
      emailDomains: "mine.example",
      passwordSignIn: "yes",
      provesFreshAuth: "yes",
    });
    expect(wrong.status).toBe(400);
    expect(pageText(await wrong.text())).toContain("Enter your Entra tenant ID");
    expect(await rowCounts()).toEqual(before);
    const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const saved = await admin.post("/admin/sign-in", {
      kind: "entra",
      displayName: "Microsoft",
      tenantId: tenant,
      issuer: "",
      clientId: "client",
      clientSecret: "a-secret-value",
      clientSecretEnv: "",
      emailDomains: "Mine.example, mine.nhs.example",
      passwordSignIn: "no",
      provesFreshAuth: "yes",
    });
    expect(saved.headers.get("location")).toBe("/admin/sign-in?saved=1");
    const [row] = await db
      .select()
      .from(identityProviders)
      .where(eq(identityProviders.organisationId, mine.organisation.id));
    expect(row).toMatchObject({
      issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
      tenantId: tenant,
      emailDomains: ["mine.example", "mine.nhs.example"],
      passwordSignIn: false,
      clientSecretEnv: null,
    });
    expect(row.clientSecretEncrypted).not.toContain("a-secret-value");
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "sso.provider-added"))
      .orderBy(auditLog.id);
    expect(JSON.stringify(entry)).not.toContain("a-secret-value");
  });
});
