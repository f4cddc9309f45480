import { request as httpRequest, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../support/database";
import { aCouncil, aPolicyVersion, TEST_PASSWORD } from "../support/factories";
import { HttpClient } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

// Holes found by testing the running service from outside (issue 13): each answered as the issue asks.

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;

beforeAll(async () => {
  council = await aCouncil(db);
  await aPolicyVersion(db, council.organisation.id);
  server = await startTestServer(database);
});
afterAll(() => server.close());

type Raw = { status: number; headers: IncomingMessage["headers"]; body: string };

/**
 * A request written by hand, with headers fetch would not send. `body` is written, but the request is only ended
 * when `end` is true: a server that waits for the rest of a body it should not read never answers.
 */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; end?: boolean } = {},
): Promise<Raw> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on("error", reject);
      },
    );
    // The server may close the connection before taking the rest of a body it refused.
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    if (options.body !== undefined) req.write(options.body);
    if (options.end !== false) req.end();
    setTimeout(() => {
      req.destroy();
      reject(new Error(`No answer to ${options.method ?? "GET"} ${path} within 5 s`));
    }, 5000).unref();
  });
}

async function signedIn(email: string) {
  const client = new HttpClient(server.url);
  await client.signIn(email, TEST_PASSWORD);
  return client;
}

describe("every signed-in response is kept out of caches", () => {
  it("sends Cache-Control: no-store on pages, their ?_data= requests and downloads", async () => {
    const admin = await signedIn(council.admin.email);
    const champion = await signedIn(council.champion.email);
    const staff = await signedIn(council.staff.email);
    const responses: [string, Response][] = [
      ["/admin/people", await admin.get("/admin/people")],
      ["/admin/people?_data", await admin.get("/admin/people?_data=routes%2Fadmin.people._index")],
      [`/teams/${council.teamA.id}`, await champion.get(`/teams/${council.teamA.id}`)],
      [
        `/teams/${council.teamA.id}?_data`,
        await champion.get(`/teams/${council.teamA.id}?_data=routes%2Fteams.%24teamId`),
      ],
      ["/", await staff.get("/")],
      ["/?_data=root", await staff.get("/?_data=root")],
      ["/records", await staff.get("/records")],
      ["/records?_data", await staff.get("/records?_data=routes%2Frecords._index")],
      ["/code-of-conduct", await staff.get("/code-of-conduct")],
      ["/records/export.json", await staff.get("/records/export.json")],
    ];
    for (const [path, response] of responses) {
      expect(response.status, path).toBe(200);
      expect(response.headers.get("cache-control"), path).toMatch(/no-store/);
    }
  });
});

describe("bodies are limited before they are read", () => {
  it("refuses a 24 MB multipart POST to /sign-in with 413 without waiting for the body", async () => {
    const answer = await raw("/sign-in", {
      method: "POST",
      headers: {
        "content-type": "multipart/form-data; boundary=x",
        "content-length": String(24 * 1024 * 1024),
      },
      body: "--x\r\n",
      end: false,
    });
    expect(answer.status).toBe(413);
  });

  it("refuses a large upload to the roster page from someone not signed in with 413", async () => {
    const answer = await raw("/hr/roster", {
      method: "POST",
      headers: {
        "content-type": "multipart/form-data; boundary=x",
        "content-length": String(5 * 1024 * 1024),
      },
      body: "--x\r\n",
      end: false,
    });
    expect(answer.status).toBe(413);
  });

  it("refuses a POST from another site before reading its body", async () => {
    const answer = await raw("/sign-in", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": "100000",
        origin: "https://evil.example",
      },
      body: "email=a%40b.c&",
      end: false,
    });
    expect(answer.status).toBe(403);
  });
});

describe("crafted requests", () => {
  it("answers a signed-in GET /sign-in?returnTo=%2F%E3%80%80x with 400", async () => {
    const staff = await signedIn(council.staff.email);
    const answer = await raw("/sign-in?returnTo=%2F%E3%80%80x", { headers: { cookie: staff.cookieHeader } });
    expect(answer.status).toBe(400);
  });

  it("answers a Host header that is not a host with 400", async () => {
    const answer = await raw("/sign-in", { headers: { host: "[bad" } });
    expect(answer.status).toBe(400);
  });

  it("answers Origin: null with 400", async () => {
    const client = new HttpClient(server.url);
    const csrf = await client.csrfToken();
    const answer = await raw("/sign-in", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: client.cookieHeader,
        origin: "null",
      },
      body: new URLSearchParams({ csrf, email: council.staff.email, password: "wrong-password" }).toString(),
    });
    expect(answer.status).toBe(400);
    const page = await raw("/sign-in", { headers: { origin: "null" } });
    expect(page.status).toBe(200);
  });
});

describe("the CSRF token", () => {
  it("is renewed at sign-in", async () => {
    const client = new HttpClient(server.url);
    const before = await client.csrfToken();
    await client.signIn(council.staff.email, TEST_PASSWORD);
    expect(await client.csrfToken()).not.toBe(before);
  });

  it("from another session is refused, even in the same browser", async () => {
    const client = new HttpClient(server.url);
    await client.signIn(council.staff.email, TEST_PASSWORD);
    const first = await client.csrfToken();
    expect((await client.post("/sign-out", {}, { csrf: first })).status).toBe(302);
    await client.signIn(council.champion.email, TEST_PASSWORD);
    expect((await client.post("/sign-out", {}, { csrf: first })).status).toBe(403);
    expect((await client.post("/sign-out", {}, { csrf: await client.csrfToken() })).status).toBe(302);
  });

  it("of one person's session does not work with another's", async () => {
    const one = await signedIn(council.staff.email);
    const other = await signedIn(council.champion.email);
    expect((await other.post("/sign-out", {}, { csrf: await one.csrfToken() })).status).toBe(403);
  });
});

describe("sign-in throttling over HTTP", () => {
  it("keeps a person's own browser signing in while a colleague on the same network fails on their account", async () => {
    const own = await signedIn(council.hr.email);
    expect((await own.post("/sign-out", {})).status).toBe(302);
    // The colleague, from the same address (the test server sees every client as 127.0.0.1).
    const colleague = new HttpClient(server.url);
    for (let i = 0; i < 5; i++)
      await colleague.post("/sign-in", { email: council.hr.email, password: "not-the-password", returnTo: "/" });
    const locked = await colleague.post("/sign-in", {
      email: council.hr.email,
      password: TEST_PASSWORD,
      returnTo: "/",
    });
    expect(locked.status).toBe(429);
    const again = await own.post("/sign-in", { email: council.hr.email, password: TEST_PASSWORD, returnTo: "/" });
    expect(again.status).toBe(302);
  });
});
