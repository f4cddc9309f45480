import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyRetention } from "~/organisations/retention.server";
import { uploadRoster } from "~/people/roster-plan.server";
import { auditLog, organisations, rosterUploads } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, anAuditEntry, aPerson, asCurrentUser, TEST_PASSWORD } from "../support/factories";
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
      [{ retention: "delete", months: "1e2" }, "Enter the number of months as a number"],
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

describe("a roster file the rule deleted before it was applied", () => {
  it("tells HR so on its page, keeps its hash, and cannot be applied", async () => {
    await db.update(organisations).set({ evidenceRetentionMonths: 1 }).where(eq(organisations.id, two.organisation.id));
    const leaver = await aPerson(db, {
      organisationId: two.organisation.id,
      teamId: two.teamA.id,
      startDate: "2019-01-07",
      leavingDate: "2020-01-31",
      active: false,
    });
    const file = `Employee number,Name,Email,Team,Start date,Leaving date\r\n${leaver.employeeNumber},${leaver.name},${leaver.email},Team A,2019-01-07,2020-01-31\r\n`;
    const uploaded = await uploadRoster(
      db,
      asCurrentUser(two.hr, two.organisation),
      { name: "march.csv", bytes: new TextEncoder().encode(file) },
      { ip: null, requestId: null, now: new Date("2020-03-02T10:00:00Z") },
    );
    if (!uploaded.ok) throw new Error(uploaded.error);
    expect((await applyRetention(db, new Date())).rosterUploads).toBeGreaterThanOrEqual(1);

    const hr = new HttpClient(server.url);
    await hr.signIn(two.hr.email, TEST_PASSWORD);
    const page = `/hr/roster/${uploaded.uploadId}`;
    const text = pageText(await (await hr.get(page)).text());
    expect(text).toContain("This file was deleted");
    expect(text).toContain("under your council's retention setting");
    expect(text).not.toContain(leaver.name);
    const applied = await hr.post(page, { intent: "apply", planDigest: uploaded.summary.planDigest });
    expect(applied.status).toBe(302);
    expect(applied.headers.get("location")).toBe(page);
    const [row] = await db.select().from(rosterUploads).where(eq(rosterUploads.id, uploaded.uploadId));
    expect(row).toMatchObject({ content: null, appliedAt: null, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
