import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "~db/client.server";
import { auditLog } from "~db/schema";
import { seed } from "../../scripts/bench/exports";
import { freshDatabase } from "../support/database";
import { aPerson, TEST_PASSWORD } from "../support/factories";
import { HttpClient } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

/**
 * Each export's audit entries over HTTP: "started" before the first byte, then "completed", or "abandoned"
 * when the client goes away mid-download; the two share an exportId.
 */
const database = await freshDatabase();
const db = database.db;
// Large enough (about 5 MB of CSV) that a client who stops reading leaves most of it unsent.
const ROWS = 20_000;
let server: TestServer;
let hr: HttpClient;
let organisationId: string;

beforeAll(async () => {
  const council = await seed(db, ROWS);
  organisationId = council.id;
  const person = await aPerson(db, { organisationId, role: "hr" });
  server = await startTestServer(database, { env: { SERVICE_URL: "https://smcoc.example" } });
  hr = new HttpClient(server.url);
  await hr.signIn(person.email, TEST_PASSWORD);
}, 180_000);
afterAll(() => server.close());

async function entriesOf(action: string, exportId?: string) {
  return db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.action, action),
        eq(auditLog.organisationId, organisationId),
        exportId ? sql`${auditLog.details}->>'exportId' = ${exportId}` : undefined,
      ),
    )
    .orderBy(auditLog.id);
}

describe("export audit entries over HTTP", () => {
  it("writes started, then completed, for a download read to the end", async () => {
    const before = (await entriesOf("report.exported")).length;
    const response = await hr.get("/hr/export?format=csv");
    expect(response.status).toBe(200);
    const text = Buffer.from(await response.arrayBuffer()).toString("utf8");
    const lines = text.split("\r\n").filter(Boolean).length;
    expect(lines).toBeGreaterThan(ROWS);
    const entries = (await entriesOf("report.exported")).slice(before);
    expect(entries.map((e) => e.details.outcome)).toEqual(["started", "completed"]);
    expect(entries[1].details).toMatchObject({ exportId: entries[0].details.exportId, rows: lines - 1, via: "web" });
    expect(entries.map((e) => e.requestId)).toEqual([
      response.headers.get("x-request-id"),
      response.headers.get("x-request-id"),
    ]);
  });

  it("writes started, then abandoned with the rows sent so far, when the client goes away mid-download", async () => {
    const before = (await entriesOf("report.exported")).length;
    const abort = new AbortController();
    const response = await fetch(`${server.url}/hr/export?format=csv`, {
      headers: { cookie: hr.cookieHeader },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    await reader.closed.catch(() => undefined);
    const [started] = (await entriesOf("report.exported")).slice(before);
    expect(started.details).toMatchObject({ outcome: "started", format: "csv" });
    await expect
      .poll(async () => (await entriesOf("report.exported", String(started.details.exportId))).length)
      .toBe(2);
    const [, ended] = await entriesOf("report.exported", String(started.details.exportId));
    expect(ended.details).toMatchObject({ outcome: "abandoned", format: "csv", via: "web" });
    expect(ended.details.rows).toBeLessThan(ROWS);
  });

  it("writes started, then completed, for an evidence pack, and abandoned for one left part-way", async () => {
    const before = (await entriesOf("evidence-pack.exported")).length;
    const response = await hr.get("/hr/evidence-pack?status=complete&team=" + (await aTeamId()));
    expect(response.status).toBe(200);
    expect(
      Buffer.from(await response.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe("PK");
    const abort = new AbortController();
    const left = await fetch(`${server.url}/hr/evidence-pack`, {
      headers: { cookie: hr.cookieHeader },
      signal: abort.signal,
    });
    const reader = left.body!.getReader();
    await reader.read();
    abort.abort();
    await reader.closed.catch(() => undefined);
    await expect.poll(async () => (await entriesOf("evidence-pack.exported")).length - before).toBe(4);
    const entries = (await entriesOf("evidence-pack.exported")).slice(before);
    expect(entries.map((e) => e.details.outcome).sort()).toEqual(["abandoned", "completed", "started", "started"]);
  }, 120_000); // a team's pack first renders its hundred certificates: slow on PGlite on a busy machine
});

async function aTeamId() {
  const [team] = await queryRows<{ id: string }>(
    db,
    sql`select id from teams where organisation_id = ${organisationId} order by name limit 1`,
  );
  return team.id;
}
