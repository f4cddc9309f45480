import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, organisations, requirements } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aRequiredModule, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let one: Awaited<ReturnType<typeof aCouncil>>;
let two: Awaited<ReturnType<typeof aCouncil>>;
let required: Awaited<ReturnType<typeof aRequiredModule>>;
let theirs: Awaited<ReturnType<typeof aRequiredModule>>;
let admin: HttpClient;

beforeAll(async () => {
  one = await aCouncil(db);
  two = await aCouncil(db);
  required = await aRequiredModule(db, one.organisation.id, { title: "Personal use of social media" });
  theirs = await aRequiredModule(db, two.organisation.id);
  server = await startTestServer(database);
  admin = new HttpClient(server.url);
  await admin.signIn(one.admin.email, TEST_PASSWORD);
});
afterAll(() => server.close());

describe("an admin's requirements page", () => {
  it("changes how long people have and how often they renew, audited", async () => {
    expect(pageText(await (await admin.get("/admin/requirements")).text())).toContain(
      "Personal use of social media Days to complete it in",
    );
    const saved = await admin.post("/admin/requirements", {
      requirementId: required.requirement.id,
      dueWithinDays: "42",
      renewalMonths: "24",
    });
    expect(saved.headers.get("location")).toBe(`/admin/requirements?saved=${required.requirement.id}`);
    const [row] = await db.select().from(requirements).where(eq(requirements.id, required.requirement.id));
    expect(row).toMatchObject({ dueWithinDays: 42, renewalMonths: 24 });
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.action, "requirement.changed"));
    expect(entry.details).toEqual({
      before: { dueWithinDays: 28, renewalMonths: 12 },
      after: { dueWithinDays: 42, renewalMonths: 24 },
    });
  });

  it("refuses bad numbers with a message for each, and changes nothing", async () => {
    const response = await admin.post("/admin/requirements", {
      requirementId: required.requirement.id,
      dueWithinDays: "soon",
      renewalMonths: "0",
    });
    expect(response.status).toBe(400);
    const text = pageText(await response.text());
    expect(text).toContain(
      "There is a problem Enter the days to complete it in as a number The months before it must be renewed must be 1 or more",
    );
    const [row] = await db.select().from(requirements).where(eq(requirements.id, required.requirement.id));
    expect(row).toMatchObject({ dueWithinDays: 42, renewalMonths: 24 });
  });

  it("changes the reminder settings and rhythm, audited", async () => {
    const saved = await admin.post("/admin/requirements", {
      intent: "settings",
      dueSoonDays: "7",
      escalationOverdueDays: "30",
      reminderRhythm: "weekly",
    });
    expect(saved.headers.get("location")).toBe("/admin/requirements?saved=settings");
    const [org] = await db.select().from(organisations).where(eq(organisations.id, one.organisation.id));
    expect(org).toMatchObject({ dueSoonDays: 7, escalationOverdueDays: 30, reminderRhythm: "weekly" });
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.action, "tracking-settings.changed"));
    expect(entry).toMatchObject({ organisationId: one.organisation.id, actorUserId: one.admin.id });
    expect(entry.details).toEqual({
      before: { dueSoonDays: 14, escalationOverdueDays: 14, reminderRhythm: "daily" },
      after: { dueSoonDays: 7, escalationOverdueDays: 30, reminderRhythm: "weekly" },
    });
    const page = await (await admin.get("/admin/requirements")).text();
    expect(page).toMatch(/checked="" value="weekly"/);
    expect(page).not.toMatch(/checked="" value="daily"/);
  });

  it("refuses a bad setting or rhythm with a message, and changes nothing", async () => {
    for (const [fields, message] of [
      [{ dueSoonDays: "0", escalationOverdueDays: "30", reminderRhythm: "daily" }, "must be 1 or more"],
      [{ dueSoonDays: "7", escalationOverdueDays: "30", reminderRhythm: "hourly" }, "Choose how often to remind"],
      [{ dueSoonDays: "7", escalationOverdueDays: "30" }, "Choose how often to remind"],
    ] as const) {
      const response = await admin.post("/admin/requirements", { intent: "settings", ...fields });
      expect(response.status).toBe(400);
      expect(pageText(await response.text())).toContain(message);
    }
    const [org] = await db.select().from(organisations).where(eq(organisations.id, one.organisation.id));
    expect(org).toMatchObject({ dueSoonDays: 7, escalationOverdueDays: 30, reminderRhythm: "weekly" });
    expect(await db.select().from(auditLog).where(eq(auditLog.action, "tracking-settings.changed"))).toHaveLength(1);
  });

  it("answers 404 for another council's requirement, and to anyone but an admin", async () => {
    expect(
      (
        await admin.post("/admin/requirements", {
          requirementId: theirs.requirement.id,
          dueWithinDays: "1",
          renewalMonths: "1",
        })
      ).status,
    ).toBe(404);
    const [row] = await db.select().from(requirements).where(eq(requirements.id, theirs.requirement.id));
    expect(row.dueWithinDays).toBe(28);
    const hr = new HttpClient(server.url);
    await hr.signIn(one.hr.email, TEST_PASSWORD);
    expect(
      (await hr.post("/admin/requirements", { intent: "settings", dueSoonDays: "3", escalationOverdueDays: "3" }))
        .status,
    ).toBe(404);
  });
});
