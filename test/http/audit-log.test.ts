import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, anAuditEntry, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let one: Awaited<ReturnType<typeof aCouncil>>;
let two: Awaited<ReturnType<typeof aCouncil>>;
let admin: HttpClient;

beforeAll(async () => {
  one = await aCouncil(db);
  two = await aCouncil(db);
  await anAuditEntry(db, {
    organisationId: one.organisation.id,
    action: "requirement.changed",
    at: new Date("2026-05-04T10:00:00Z"),
    actorUserId: one.admin.id,
    details: { before: { dueWithinDays: 28 }, after: { dueWithinDays: 42 } },
  });
  await anAuditEntry(db, {
    organisationId: one.organisation.id,
    action: "report.exported",
    at: new Date("2026-05-05T10:00:00Z"),
    actorUserId: one.hr.id,
  });
  await anAuditEntry(db, {
    organisationId: two.organisation.id,
    action: "roster.applied",
    at: new Date("2026-05-05T11:00:00Z"),
    actorUserId: two.hr.id,
    details: { secret: "the other council's" },
  });
  server = await startTestServer(database);
  admin = new HttpClient(server.url);
  await admin.signIn(one.admin.email, TEST_PASSWORD);
});
afterAll(() => server.close());

describe("the audit log page", () => {
  it("shows the admin their council's entries and offers its actions, never another council's", async () => {
    const response = await admin.get("/admin/audit");
    expect(response.status).toBe(200);
    const text = pageText(await response.text());
    expect(text).toContain("Report exported");
    expect(text).toContain(one.hr.name);
    expect(text).toContain('Requirement changed after: {"dueWithinDays":42}; before: {"dueWithinDays":28}');
    expect(text).not.toContain("Roster applied");
    expect(text).not.toContain("the other council's");
    expect(text).not.toContain(two.hr.name);
  });

  it("filters with the GET form, and downloads the same selection as CSV, audited", async () => {
    const filtered = pageText(
      await (await admin.get("/admin/audit?who=&action=report.exported&from-day=5&from-month=5&from-year=2026")).text(),
    );
    expect(filtered).toContain("1 entry, newest first");
    expect(filtered).not.toContain("Requirement changed before:");
    const csv = await admin.get("/admin/audit/export.csv?action=report.exported&from=2026-05-05");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes).split("\r\n");
    expect(lines[0]).toBe(
      "when (UTC),action,by,by employee number,subject type,subject id,subject name,details,ip,request id",
    );
    expect(lines.slice(1)).toEqual([
      `2026-05-05T10:00:00.000Z,report.exported,${one.hr.name},${one.hr.employeeNumber},,,,{},,`,
      "",
    ]);
    const [exported] = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "audit-log.exported"), eq(auditLog.organisationId, one.organisation.id)));
    expect(exported).toMatchObject({ actorUserId: one.admin.id });
    expect(exported.details).toEqual({ filter: { who: "", action: "report.exported", from: "2026-05-05" } });
  });

  it("the CSV never holds another council's entries", async () => {
    const text = await (await admin.get("/admin/audit/export.csv")).text();
    expect(text).toContain("requirement.changed");
    expect(text).not.toContain("roster.applied");
    expect(text).not.toContain(two.hr.name);
  });

  it("refuses bad filters with a message for each, and downloads nothing", async () => {
    const response = await admin.get(
      "/admin/audit?action=nonsense%21&from-day=31&from-month=2&from-year=2026&to-day=1&to-month=1&to-year=",
    );
    expect(response.status).toBe(400);
    const text = pageText(await response.text());
    expect(text).toContain(
      "There is a problem Choose what from the list The first day must be a real date The last day must include a year",
    );
    expect((await admin.get("/admin/audit/export.csv?from=2026-13-01")).status).toBe(400);
  });

  it("answers 404 to anyone but an admin", async () => {
    for (const person of [one.hr, one.staff, one.champion]) {
      const client = new HttpClient(server.url);
      await client.signIn(person.email, TEST_PASSWORD);
      expect((await client.get("/admin/audit")).status).toBe(404);
      expect((await client.get("/admin/audit/export.csv")).status).toBe(404);
    }
  });
});
