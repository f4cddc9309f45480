import { Agent, get } from "node:http";
import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, authAttempts, sessions } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, TEST_PASSWORD } from "../support/factories";
import { HttpClient } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;

beforeAll(async () => {
  council = await aCouncil(db);
  server = await startTestServer(database, { env: { TRUSTED_PROXY_HOPS: "1" } });
});
afterAll(() => server.close());

async function rowCounts() {
  const [[a], [b], [c]] = await Promise.all([
    db.select({ n: count() }).from(auditLog),
    db.select({ n: count() }).from(authAttempts),
    db.select({ n: count() }).from(sessions),
  ]);
  return { audit: a.n, attempts: b.n, sessions: c.n };
}

describe("the HTTP server", () => {
  it("keeps an idle connection open longer than Node's 5 s, so a client reusing it is not reset", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const localPort = () =>
      new Promise<number>((resolve, reject) =>
        get(`${server.url}/health`, { agent }, (response) => {
          const port = response.socket.localPort!;
          response.resume();
          response.on("end", () => resolve(port));
        }).on("error", reject),
      );
    try {
      const first = await localPort();
      await new Promise((r) => setTimeout(r, 6_000));
      // The same socket answers again: the server did not close it while it sat idle.
      expect(await localPort()).toBe(first);
    } finally {
      agent.destroy();
    }
  });

  it("answers /health with 200 while the database is reachable", async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "ok" });
  });

  it("sets security headers: a CSP with a nonce and no unsafe-inline script, no framing", async () => {
    const response = await fetch(`${server.url}/sign-in`);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("same-origin");
    const html = await response.text();
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    // Every inline script carries the nonce.
    const scripts = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes] of scripts) expect(attributes).toContain(`nonce="${nonce}"`);
  });

  it("refuses a form POST with a forged CSRF token, and writes nothing", async () => {
    const client = new HttpClient(server.url);
    await client.csrfToken();
    const before = await rowCounts();
    const response = await client.post(
      "/sign-in",
      { email: council.staff.email, password: TEST_PASSWORD },
      { csrf: "forged-token" },
    );
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("Sorry, we could not accept that form");
    expect(await rowCounts()).toEqual(before);
  });

  it("refuses a form POST with no CSRF token or from another site", async () => {
    const client = new HttpClient(server.url);
    expect(
      (await client.post("/sign-in", { email: council.staff.email, password: TEST_PASSWORD }, { csrf: null })).status,
    ).toBe(403);
    const token = await client.csrfToken();
    const crossSite = await client.post(
      "/sign-in",
      { email: council.staff.email, password: TEST_PASSWORD },
      { csrf: token, headers: { origin: "https://evil.example" } },
    );
    expect(crossSite.status).toBe(403);
  });

  it("refuses a 10 MB body with 413 and keeps serving", async () => {
    const client = new HttpClient(server.url);
    const token = await client.csrfToken();
    const before = await rowCounts();
    const response = await client.post(
      "/sign-in",
      { email: "a@b.c", password: "x".repeat(10 * 1024 * 1024) },
      { csrf: token },
    );
    expect(response.status).toBe(413);
    expect(await rowCounts()).toEqual(before);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("logs one JSON line per request with method, path, status, time, user and request id, and never the password, cookie or query", async () => {
    const client = new HttpClient(server.url);
    await client.signIn(council.staff.email, TEST_PASSWORD);
    await client.get("/?token=secret-token-value");
    const lines = server.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const home = lines.findLast((l) => l.path === "/" && l.method === "GET")!;
    expect(home).toMatchObject({ status: 200, userId: council.staff.id });
    expect(typeof home.ms).toBe("number");
    expect(typeof home.requestId).toBe("string");
    const all = server.logLines.join("\n");
    expect(all).not.toContain(TEST_PASSWORD);
    expect(all).not.toContain("secret-token-value");
    expect(all).not.toMatch(/session=|csrf=/);
  });

  it("records the client address from exactly the configured number of proxy hops", async () => {
    const client = new HttpClient(server.url);
    const token = await client.csrfToken();
    await client.post(
      "/sign-in",
      { email: "nobody@example.test", password: "wrong-password" },
      { csrf: token, headers: { "x-forwarded-for": "203.0.113.9, 198.51.100.7" } },
    );
    const rows = await db.select({ ip: authAttempts.ip, email: authAttempts.email }).from(authAttempts);
    // One trusted hop: the last address the proxy appended, not the one the client claimed.
    expect(rows.find((r) => r.email === "nobody@example.test")?.ip).toBe("198.51.100.7");
  });

  it("answers 503 on /health when the database cannot be reached", async () => {
    const broken = await startTestServer({ ...database, ping: () => Promise.reject(new Error("down")) });
    try {
      expect((await fetch(`${broken.url}/health`)).status).toBe(503);
    } finally {
      await broken.close();
    }
  });
});
