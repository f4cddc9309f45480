import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, users } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aPerson, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";
import { startSmtpServer } from "../support/smtp";

// HR could take over a staff account by importing a new e-mail address for it and resetting the password there.
// Now the import only asks; an administrator confirms, without JavaScript, and the old address is told.

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let council: Awaited<ReturnType<typeof aCouncil>>;

beforeAll(async () => {
  council = await aCouncil(db);
  smtp = await startSmtpServer();
  server = await startTestServer(database, { env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}` } });
});
afterAll(async () => {
  await server.close();
  await smtp.close();
});

async function signedIn(email: string) {
  const client = new HttpClient(server.url);
  await client.signIn(email, TEST_PASSWORD);
  return client;
}

async function uploadCsv(client: HttpClient, text: string) {
  const form = new FormData();
  form.set("csrf", await client.csrfToken());
  form.set("file", new Blob([text], { type: "text/csv" }), "staff.csv");
  return fetch(`${server.url}/hr/roster`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: client.cookieHeader },
    body: form,
  });
}

const emailOf = async (id: string) => (await db.select({ e: users.email }).from(users).where(eq(users.id, id)))[0].e;

describe("a roster import that gives someone a new e-mail address", () => {
  it("is applied by HR only as a request, which an administrator confirms; the old address is told", async () => {
    const person = await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
    const victim = await signedIn(person.email);
    const hr = await signedIn(council.hr.email);
    const hrInbox = `hr-controlled@example.test`;

    const uploaded = await uploadCsv(
      hr,
      `Employee number,Name,Email,Team,Start date\r\n${person.employeeNumber},${person.name},${hrInbox},Team A,${person.startDate}\r\n`,
    );
    expect(uploaded.status).toBe(302);
    const previewPath = uploaded.headers.get("location")!;
    const preview = pageText(await (await hr.get(previewPath)).text());
    expect(preview).toContain("Email address changes an administrator must confirm");
    expect(preview).toContain(`Email: ${person.email} to ${hrInbox}`);
    const planDigest = /name="planDigest" value="([0-9a-f]{64})"/.exec(await (await hr.get(previewPath)).text())![1];
    expect((await hr.post(previewPath, { intent: "apply", planDigest })).status).toBe(302);

    // HR alone has not changed the address, and cannot confirm it.
    expect(await emailOf(person.id)).toBe(person.email);
    expect((await hr.get("/admin/email-changes")).status).toBe(404);
    expect((await victim.get("/")).status).toBe(200);

    const admin = await signedIn(council.admin.email);
    const page = await (await admin.get("/admin/email-changes")).text();
    expect(pageText(page)).toContain(`${person.email} to ${hrInbox}`);
    const changeId = /name="changeId" value="([0-9a-f-]{36})"/.exec(page)![1];
    const confirmed = await admin.post("/admin/email-changes", { changeId, decision: "confirm" });
    expect(confirmed.status).toBe(200);
    expect(pageText(await confirmed.text())).toContain(`${person.name}’s email address was changed`);

    expect(await emailOf(person.id)).toBe(hrInbox);
    expect((await victim.get("/")).status).toBe(302);
    await expect.poll(() => smtp.received.filter((m) => m.to[0] === person.email).length).toBe(1);
    expect(smtp.received.find((m) => m.to[0] === person.email)!.text).toContain(
      `changed the email address of your social media code of conduct account from ${person.email} to ${hrInbox}`,
    );
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "person.email-changed"), eq(auditLog.subjectId, person.id)));
    expect(entry).toMatchObject({ actorUserId: council.admin.id, organisationId: council.organisation.id });
  });
});
