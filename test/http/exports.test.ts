import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aPolicyVersion, aRequiredModule, aSignature, anAttempt, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let one: Awaited<ReturnType<typeof aCouncil>>;
let two: Awaited<ReturnType<typeof aCouncil>>;
let hr: HttpClient;
let otherHr: HttpClient;

beforeAll(async () => {
  one = await aCouncil(db);
  two = await aCouncil(db);
  const required = await aRequiredModule(db, one.organisation.id, { title: "Personal use" });
  const version = await aPolicyVersion(db, one.organisation.id, { label: "1", effectiveDate: "2025-01-01" });
  await aRequiredModule(db, two.organisation.id, { title: "Their module" });
  await anAttempt(db, one.staff, required, {
    status: "passed",
    startedAt: new Date("2026-02-01T09:00:00Z"),
    completedAt: new Date("2026-02-01T09:20:00Z"),
  });
  await aSignature(db, one.staff, version, new Date("2026-02-02T10:00:00Z"));
  server = await startTestServer(database, { env: { SERVICE_URL: "https://smcoc.example" } });
  hr = new HttpClient(server.url);
  await hr.signIn(one.hr.email, TEST_PASSWORD);
  otherHr = new HttpClient(server.url);
  await otherHr.signIn(two.hr.email, TEST_PASSWORD);
});
afterAll(() => server.close());

const lastAudit = async (action: string) =>
  (
    await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, action))
      .orderBy(sql`${auditLog.id} desc`)
      .limit(1)
  )[0];

describe("HR exports over HTTP", () => {
  it("streams the CSV as a download, and audits who, the filters, the format and the rows", async () => {
    const response = await hr.get(`/hr/export?format=csv&team=${one.teamA.id}&status=complete&status=overdue`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(
      new RegExp(`^attachment; filename="${one.organisation.slug}-report-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
    );
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString("utf8").split("\r\n").filter(Boolean);
    expect(lines[0]).toMatch(/^Employee number,Name,Email,Team,/);
    expect(lines).toHaveLength(1 + 4);
    const entry = await lastAudit("report.exported");
    expect(entry).toMatchObject({ organisationId: one.organisation.id, actorUserId: one.hr.id, ip: "127.0.0.1" });
    expect(entry.requestId).toBe(response.headers.get("x-request-id"));
    expect(entry.details).toMatchObject({
      format: "csv",
      filters: { team: one.teamA.id, status: ["complete", "overdue"] },
      rows: 4,
      outcome: "completed",
      via: "web",
    });
  });

  it("streams XLSX and xAPI with their own types, the statements under SERVICE_URL", async () => {
    const xlsx = await hr.get("/hr/export?format=xlsx");
    expect(xlsx.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(
      Buffer.from(await xlsx.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe("PK");
    const xapi = await hr.get("/hr/export?format=xapi");
    expect(xapi.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    const statements = (await xapi.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { actor: { account: { homePage: string } } });
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.every((s) => s.actor.account.homePage === "https://smcoc.example")).toBe(true);
  });

  it("streams the evidence pack as a ZIP", async () => {
    const response = await hr.get(`/hr/evidence-pack?team=${one.teamA.id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(
      Buffer.from(await response.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe("PK");
    expect((await lastAudit("evidence-pack.exported")).details).toMatchObject({
      outcome: "completed",
      filters: { team: one.teamA.id },
    });
  });

  it("answers 404 to HR of another council asking for this council's team, and writes nothing", async () => {
    const before = await db.select({ n: sql<number>`count(*)::int` }).from(auditLog);
    expect((await otherHr.get(`/hr/export?format=csv&team=${one.teamA.id}`)).status).toBe(404);
    expect((await otherHr.get(`/hr/evidence-pack?team=${one.teamA.id}`)).status).toBe(404);
    const after = await db.select({ n: sql<number>`count(*)::int` }).from(auditLog);
    expect(after[0].n).toBe(before[0].n);
  });

  it("never gives another council's rows: their HR's export of everything has only their people", async () => {
    const text = await (await otherHr.get("/hr/export?format=csv")).text();
    expect(text).toContain(two.staff.email);
    expect(text).not.toContain(one.staff.email);
  });

  it("sends a download without a format or with bad filters back to the page, which says what to fix", async () => {
    const noFormat = await hr.get(`/hr/export?team=${one.teamA.id}`);
    expect(noFormat.status).toBe(302);
    const location = noFormat.headers.get("location")!;
    expect(location).toBe(`/hr/exports?team=${one.teamA.id}&problem=format`);
    const page = pageText(await (await hr.get(location)).text());
    expect(page).toContain("There is a problem Choose a format");
    const badDate = await hr.get("/hr/export?format=csv&completedFrom=31%2F12%2F2026");
    expect(badDate.status).toBe(302);
    const badPage = pageText(await (await hr.get(badDate.headers.get("location")!)).text());
    expect(badPage).toContain("The first day must be a real date");
    const badFields = await hr.get(
      "/hr/export?format=csv&completedFrom-day=31&completedFrom-month=12&completedFrom-year=",
    );
    expect(badFields.status).toBe(302);
    const badFieldsPage = await (await hr.get(badFields.headers.get("location")!)).text();
    expect(pageText(badFieldsPage)).toContain("The first day must include a year");
    // What was typed is shown again, in the fields it was typed in.
    expect(badFieldsPage).toMatch(/id="completedFrom" name="completedFrom-day"[^>]*value="31"/);
    const badPack = await hr.get("/hr/evidence-pack?asAt=tomorrow");
    expect(badPack.headers.get("location")).toBe("/hr/exports?asAt=tomorrow&problem=filters");
  });

  it("shows the page with the report's choices filled in", async () => {
    const html = await (await hr.get(`/hr/exports?format=xapi&team=${one.teamB.id}&status=overdue`)).text();
    expect(html).toContain('<form method="get" action="/hr/export"');
    expect(html).toMatch(new RegExp(`<option value="${one.teamB.id}" selected="">Team B</option>`));
    expect(html).toMatch(/checked="" value="xapi"/);
    expect(html).toMatch(/checked="" value="overdue"/);
    expect(html).toMatch(/formaction="\/hr\/evidence-pack"/i);
  });
});
