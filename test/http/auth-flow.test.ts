import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, sessions, users } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aPerson, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;

beforeAll(async () => {
  council = await aCouncil(db);
  server = await startTestServer(database);
});
afterAll(() => server.close());

const aStaffMember = (options: { password?: string | null } = {}) =>
  aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id, ...options });

async function rowCounts() {
  const [[a], [b]] = await Promise.all([
    db.select({ n: count() }).from(auditLog),
    db.select({ n: count() }).from(sessions),
  ]);
  return { audit: a.n, sessions: b.n };
}

const sessionCount = async (userId: string) =>
  (await db.select({ n: count() }).from(sessions).where(eq(sessions.userId, userId)))[0].n;

/** The Set-Cookie header a response set for the named cookie. */
function setCookie(response: Response, name: string): string | undefined {
  return response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
}

/** The text of the GOV.UK error summary on a page, or "" when there is none. */
function errorSummary(html: string): string {
  const start = html.indexOf('class="govuk-error-summary"');
  if (start === -1) return "";
  const end = html.indexOf("</ul>", start);
  return pageText(html.slice(start, end));
}

/** A fetch of a page with exactly this cookie header, as a replayed or stolen cookie would arrive. */
const getWithCookie = (path: string, cookie: string) =>
  fetch(server.url + path, { redirect: "manual", headers: { cookie } });

describe("signing in over HTTP", () => {
  it("takes a person to a home page with their name on it", async () => {
    const person = await aStaffMember();
    const client = new HttpClient(server.url);
    const signedIn = await client.signIn(person.email, TEST_PASSWORD);
    expect(signedIn.headers.get("location")).toBe("/");
    const home = await client.get("/");
    expect(home.status).toBe(200);
    expect(pageText(await home.text())).toContain(`Welcome, ${person.name}`);
  });

  it("answers an empty form with 400 and both messages in the error summary, and writes nothing", async () => {
    const client = new HttpClient(server.url);
    const csrf = await client.csrfToken();
    const before = await rowCounts();
    const response = await client.post("/sign-in", { email: "", password: "" }, { csrf });
    expect(response.status).toBe(400);
    const summary = errorSummary(await response.text());
    expect(summary).toContain("There is a problem");
    expect(summary).toContain("Enter your email address");
    expect(summary).toContain("Enter your password");
    expect(await rowCounts()).toEqual(before);
  });

  it("answers a wrong password with the generic message and makes no session", async () => {
    const person = await aStaffMember();
    const client = new HttpClient(server.url);
    const response = await client.post("/sign-in", {
      email: person.email,
      password: "not-the-password",
      returnTo: "/",
    });
    expect(response.status).toBe(401);
    expect(errorSummary(await response.text())).toContain("Enter a correct email address and password");
    expect(setCookie(response, "session")).toBeUndefined();
    expect(await sessionCount(person.id)).toBe(0);
  });

  it("answers an unknown e-mail address with the same generic message", async () => {
    const client = new HttpClient(server.url);
    const response = await client.post("/sign-in", {
      email: "nobody-here@example.test",
      password: TEST_PASSWORD,
      returnTo: "/",
    });
    expect(response.status).toBe(401);
    expect(errorSummary(await response.text())).toContain("Enter a correct email address and password");
  });

  it("sets an HttpOnly, SameSite=Lax session cookie without the __Host- prefix outside production", async () => {
    const person = await aStaffMember();
    const response = await new HttpClient(server.url).signIn(person.email, TEST_PASSWORD);
    const cookie = setCookie(response, "session");
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).not.toMatch(/;\s*Secure/i);
    expect(setCookie(response, "__Host-session")).toBeUndefined();
  });

  it("sets a Secure __Host-session cookie in production", async () => {
    const production = await startTestServer(database, {
      env: { NODE_ENV: "production", SESSION_SECRET: "x".repeat(40), SERVICE_URL: "https://conduct.example.gov.uk" },
    });
    try {
      const person = await aStaffMember();
      const response = await new HttpClient(production.url).signIn(person.email, TEST_PASSWORD);
      const cookie = setCookie(response, "__Host-session");
      expect(cookie).toBeDefined();
      expect(cookie).toMatch(/;\s*Secure/i);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Lax/i);
      expect(cookie).toMatch(/;\s*Path=\/(;|$)/i);
      expect(cookie).not.toMatch(/;\s*Domain=/i);
    } finally {
      await production.close();
    }
  });
});

describe("signing out over HTTP", () => {
  it("revokes the session on the server, so the old cookie replayed afterwards goes to the sign-in page", async () => {
    const person = await aStaffMember();
    const client = new HttpClient(server.url);
    await client.signIn(person.email, TEST_PASSWORD);
    const oldCookie = client.cookieHeader;
    expect((await getWithCookie("/", oldCookie)).status).toBe(200);
    const signedOut = await client.post("/sign-out", {});
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get("location")).toBe("/signed-out");
    const replay = await getWithCookie("/", oldCookie);
    expect(replay.status).toBe(302);
    expect(replay.headers.get("location")).toMatch(/^\/sign-in\?/);
    expect(await db.select().from(sessions).where(eq(sessions.userId, person.id))).toMatchObject([
      { revokedAt: expect.any(Date) },
    ]);
  });

  it("does not sign out on a GET", async () => {
    const person = await aStaffMember();
    const client = new HttpClient(server.url);
    await client.signIn(person.email, TEST_PASSWORD);
    await client.get("/sign-out");
    expect((await client.get("/")).status).toBe(200);
  });
});

describe("people and password links over HTTP", () => {
  it("ends a deactivated person's existing session", async () => {
    const person = await aStaffMember();
    const personClient = new HttpClient(server.url);
    await personClient.signIn(person.email, TEST_PASSWORD);
    expect((await personClient.get("/")).status).toBe(200);
    const admin = new HttpClient(server.url);
    await admin.signIn(council.admin.email, TEST_PASSWORD);
    const deactivated = await admin.post(`/admin/people/${person.id}/deactivate`, {});
    expect(deactivated.status).toBe(302);
    const after = await personClient.get("/");
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toMatch(/^\/sign-in\?/);
    expect(await db.select().from(sessions).where(eq(sessions.userId, person.id))).toMatchObject([
      { revokedAt: expect.any(Date) },
    ]);
  });

  it("gives an admin a one-time link with which a new person sets a password and signs in", async () => {
    const person = await aStaffMember({ password: null });
    const admin = new HttpClient(server.url);
    await admin.signIn(council.admin.email, TEST_PASSWORD);
    const issued = await admin.post(`/admin/people/${person.id}`, { intent: "password-link" });
    expect(issued.status).toBe(200);
    const html = await issued.text();
    expect(pageText(html)).toContain(`Password link for ${person.name}`);
    const match = new RegExp(`${server.url.replace(/[.]/g, "\\.")}(/set-password\\?token=[A-Za-z0-9_-]+)`).exec(html);
    expect(match).not.toBeNull();
    const linkPath = match![1];
    const token = new URL(linkPath, server.url).searchParams.get("token")!;

    const newcomer = new HttpClient(server.url);
    const page = await newcomer.get(linkPath);
    expect(pageText(await page.text())).toContain(`Choose a password For ${person.email}`);
    const newPassword = "a brand new password";
    const saved = await newcomer.post("/set-password", { token, password: newPassword, confirmPassword: newPassword });
    expect(saved.status).toBe(302);
    expect(saved.headers.get("location")).toBe("/sign-in?passwordSet=1");
    expect(pageText(await (await newcomer.get("/sign-in?passwordSet=1")).text())).toContain(
      "Success Your password has been set. Sign in with your email address and your new password. Sign in",
    );
    expect(pageText(await (await newcomer.get("/sign-in")).text())).not.toContain("Your password has been set");
    await newcomer.signIn(person.email, newPassword);
    expect(pageText(await (await newcomer.get("/")).text())).toContain(`Welcome, ${person.name}`);
  });

  it("does not let a link be used twice", async () => {
    const person = await aStaffMember({ password: null });
    const admin = new HttpClient(server.url);
    await admin.signIn(council.admin.email, TEST_PASSWORD);
    const html = await (await admin.post(`/admin/people/${person.id}`, { intent: "password-link" })).text();
    const token = /\/set-password\?token=([A-Za-z0-9_-]+)/.exec(html)![1];
    const newcomer = new HttpClient(server.url);
    await newcomer.post("/set-password", {
      token,
      password: "a brand new password",
      confirmPassword: "a brand new password",
    });
    const again = await newcomer.post("/set-password", {
      token,
      password: "another new password",
      confirmPassword: "another new password",
    });
    expect(again.status).toBe(410);
    expect(
      (await newcomer.post("/sign-in", { email: person.email, password: "another new password", returnTo: "/" }))
        .status,
    ).toBe(401);
  });

  it("answers a staff member's POST to deactivate someone with 404 and changes nothing", async () => {
    const person = await aStaffMember();
    const staff = new HttpClient(server.url);
    await staff.signIn(council.staff.email, TEST_PASSWORD);
    const before = await rowCounts();
    const response = await staff.post(`/admin/people/${person.id}/deactivate`, {});
    expect(response.status).toBe(404);
    expect(await rowCounts()).toEqual(before);
    expect((await db.select({ active: users.active }).from(users).where(eq(users.id, person.id)))[0].active).toBe(true);
  });
});

describe("keeping a session alive over HTTP", () => {
  it("answers 200 to a POST with a live session", async () => {
    const person = await aStaffMember();
    const client = new HttpClient(server.url);
    await client.signIn(person.email, TEST_PASSWORD);
    const response = await client.post("/session/keep-alive", {});
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it("redirects a POST without a session to the sign-in page", async () => {
    const client = new HttpClient(server.url);
    const response = await client.post("/session/keep-alive", {});
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toMatch(/^\/sign-in\?/);
  });
});
