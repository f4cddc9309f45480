import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueAssistedCode } from "~/auth/assisted.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { auditLog, users } from "~db/schema";
import { freshDatabase } from "../support/database";
import {
  aChampion,
  aCouncil,
  aModuleContent,
  aPersonWithoutEmail,
  aPolicyVersion,
  asCurrentUser,
  TEST_PASSWORD,
} from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;
let person: Awaited<ReturnType<typeof aPersonWithoutEmail>>;

const request = () => ({ ip: null, requestId: null, now: new Date() });

beforeAll(async () => {
  council = await aCouncil(db);
  await syncTrainingModules(db, [aModuleContent(council.organisation.slug) as unknown as TrainingModule], new Date());
  await aPolicyVersion(db, council.organisation.id, { label: "1" });
  person = await aPersonWithoutEmail(db, {
    organisationId: council.organisation.id,
    teamId: council.teamA.id,
    name: "Pat Noemail",
  });
  server = await startTestServer(database);
});
afterAll(() => server.close());

const codeFor = async () =>
  (await issueAssistedCode(db, asCurrentUser(council.hr, council.organisation), person.id, request()))!.code;

describe("an assisted session over HTTP", () => {
  it("replaces the champion's session with the person's, which reaches only their training and signing until Finish", async () => {
    const code = await codeFor();
    const device = new HttpClient(server.url);
    await device.signIn(council.champion.email, TEST_PASSWORD);
    expect((await device.get(`/teams/${council.teamA.id}`)).status).toBe(200);
    const form = await device.get(`/assisted/start/${person.id}`);
    expect(pageText(await form.text())).toContain("Pat Noemail: type your one-time code");

    const wrong = await device.post(`/assisted/start/${person.id}`, { code: "2345-6789" });
    expect(wrong.status).toBe(400);
    expect(pageText(await wrong.text())).toContain("The code is not right");

    const started = await device.post(`/assisted/start/${person.id}`, { code: code.toLowerCase() });
    expect(started.status).toBe(302);
    expect(started.headers.get("location")).toBe("/assisted");
    const page = pageText(await (await device.get("/assisted")).text());
    expect(page).toMatch(new RegExp(`Assisted session for Pat Noemail ?, witnessed by ${council.champion.name}`));
    expect(page).toContain(`${council.champion.name} is witnessing`);

    for (const path of ["/training", "/code-of-conduct"]) expect((await device.get(path)).status, path).toBe(200);
    expect((await device.get("/")).headers.get("location")).toBe("/assisted");
    for (const path of [
      `/teams/${council.teamA.id}`,
      "/teams",
      "/records",
      "/records/export.json",
      `/assisted/start/${person.id}`,
    ])
      expect((await device.get(path)).status, path).toBe(404);
    const nudge = await device.post(`/teams/${council.teamA.id}/nudge`, { target: "everyone" });
    expect(nudge.status).toBe(404);

    const finished = await device.post("/assisted", {});
    expect(finished.headers.get("location")).toBe("/sign-in");
    expect((await device.get("/training")).status).toBe(302);
    const ended = await db
      .select({ details: auditLog.details, actor: auditLog.actorUserId })
      .from(auditLog)
      .where(and(eq(auditLog.action, "assisted.session-ended"), eq(auditLog.subjectId, person.id)));
    expect(ended).toEqual([{ details: { how: "finished", record: null }, actor: council.champion.id }]);
  });

  it("is 404 to a champion of another team, and to HR of another council", async () => {
    const code = await codeFor();
    await aChampion(db, council.staff.id, council.teamB.id);
    const champion = new HttpClient(server.url);
    await champion.signIn(council.staff.email, TEST_PASSWORD);
    expect((await champion.get(`/assisted/start/${person.id}`)).status).toBe(404);
    expect((await champion.post(`/assisted/start/${person.id}`, { code })).status).toBe(404);

    const other = await aCouncil(db);
    const otherHr = new HttpClient(server.url);
    await otherHr.signIn(other.hr.email, TEST_PASSWORD);
    expect((await otherHr.get(`/assisted/start/${person.id}`)).status).toBe(404);
    expect((await otherHr.get(`/hr/people/${person.id}/one-time-code`)).status).toBe(404);
  });

  it("shows HR the code once, and the admin's page shows and sets the person's e-mail address", async () => {
    const hr = new HttpClient(server.url);
    await hr.signIn(council.hr.email, TEST_PASSWORD);
    expect(pageText(await (await hr.get(`/hr/people/${person.id}`)).text())).toContain("No email address");
    const issued = pageText(await (await hr.post(`/hr/people/${person.id}/one-time-code`, {})).text());
    expect(issued).toMatch(/One-time code for Pat Noemail [2-9A-Z]{4}-[2-9A-Z]{4}/);
    expect(pageText(await (await hr.get(`/hr/people/${person.id}/one-time-code`)).text())).not.toMatch(
      /[2-9A-Z]{4}-[2-9A-Z]{4}/,
    );

    const admin = new HttpClient(server.url);
    await admin.signIn(council.admin.email, TEST_PASSWORD);
    expect(pageText(await (await admin.get(`/admin/people/${person.id}`)).text())).toContain(
      "E-mail address No e-mail address",
    );
    const taken = await admin.post(`/admin/people/${person.id}`, { intent: "email", email: council.staff.email });
    expect(taken.status).toBe(400);
    expect(pageText(await taken.text())).toContain("This email address is already used by another account");
    const saved = await admin.post(`/admin/people/${person.id}`, { intent: "email", email: "pat@example.test" });
    expect(saved.status).toBe(302);
    expect((await db.select({ email: users.email }).from(users).where(eq(users.id, person.id)))[0].email).toBe(
      "pat@example.test",
    );
    await admin.post(`/admin/people/${person.id}`, { intent: "email", email: "" });
    expect((await db.select({ email: users.email }).from(users).where(eq(users.id, person.id)))[0].email).toBeNull();
  });
});
