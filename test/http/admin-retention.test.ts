import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, organisations } from "~db/schema";
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
  server = await startTestServer(database);
  admin = new HttpClient(server.url);
  await admin.signIn(one.admin.email, TEST_PASSWORD);
});
afterAll(() => server.close());

const monthsOf = async (organisationId: string) =>
  (await db.select().from(organisations).where(eq(organisations.id, organisationId)))[0].evidenceRetentionMonths;
const changes = (organisationId: string) =>
  db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.organisationId, organisationId), eq(auditLog.action, "retention.changed")));

describe("an admin's retention page", () => {
  it("is listed on the Admin page and says files are kept until the council sets a period", async () => {
    expect(pageText(await (await admin.get("/admin")).text())).toContain("Retention");
    const text = pageText(await (await admin.get("/admin/retention")).text());
    expect(text).toContain("Evidence of people who have left");
    expect(text).toContain("No files have been deleted yet.");
  });

  it("sets the period in whole months, audited once with the old and new values, however often it is sent", async () => {
    for (let i = 0; i < 2; i++) {
      const saved = await admin.post("/admin/retention", { retention: "delete", months: "18" });
      expect(saved.status).toBe(302);
      expect(saved.headers.get("location")).toBe("/admin/retention?saved=1");
    }
    expect(await monthsOf(one.organisation.id)).toBe(18);
    expect(await changes(one.organisation.id)).toEqual([
      expect.objectContaining({
        actorUserId: one.admin.id,
        subjectId: one.organisation.id,
        details: { before: { months: null }, after: { months: 18 } },
      }),
    ]);
    const page = await (await admin.get("/admin/retention?saved=1")).text();
    expect(pageText(page)).toContain("Your change has been saved.");
    expect(page).toMatch(/checked="" value="delete"/);
    expect(page).toMatch(/value="18"/);
    expect(await monthsOf(two.organisation.id)).toBeNull();
  });

  it("refuses a missing choice or a bad number with the error summary, and changes nothing", async () => {
    for (const [fields, message] of [
      [{}, "Choose whether to keep evidence of people who have left"],
      [{ retention: "delete", months: "" }, "Enter the number of months"],
      [{ retention: "delete", months: "six" }, "Enter the number of months as a number"],
      [{ retention: "delete", months: "2.5" }, "Enter the number of months as a whole number"],
      [{ retention: "delete", months: "0" }, "The number of months must be 1 or more"],
      [{ retention: "delete", months: "121" }, "The number of months must be 120 or fewer"],
      [{ retention: "forever" }, "Choose whether to keep evidence of people who have left"],
    ] as const) {
      const response = await admin.post("/admin/retention", fields);
      expect(response.status).toBe(400);
      expect(pageText(await response.text())).toContain(`There is a problem ${message}`);
    }
    expect(await monthsOf(one.organisation.id)).toBe(18);
    expect(await changes(one.organisation.id)).toHaveLength(1);
  });

  it("keeps everything again when asked, ignoring any number sent with it", async () => {
    const saved = await admin.post("/admin/retention", { retention: "keep", months: "nonsense" });
    expect(saved.status).toBe(302);
    expect(await monthsOf(one.organisation.id)).toBeNull();
    expect((await changes(one.organisation.id)).at(-1)?.details).toEqual({
      before: { months: 18 },
      after: { months: null },
    });
  });

  it("says when the rule last deleted files and how many, from the audit log", async () => {
    await anAuditEntry(db, {
      organisationId: one.organisation.id,
      action: "retention.applied",
      at: new Date("2026-05-04T06:00:00Z"),
      details: { evidenceFiles: 3, rosterUploads: 1, months: 18 },
    });
    expect(pageText(await (await admin.get("/admin/retention")).text())).toContain(
      "Files were last deleted on 4 May 2026 at 07:00: 3 certificates and 1 roster file.",
    );
  });

  it("answers 404 to anyone but an admin", async () => {
    const hr = new HttpClient(server.url);
    await hr.signIn(one.hr.email, TEST_PASSWORD);
    expect((await hr.get("/admin/retention")).status).toBe(404);
    expect((await hr.post("/admin/retention", { retention: "delete", months: "1" })).status).toBe(404);
    expect(await monthsOf(one.organisation.id)).toBeNull();
  });
});
