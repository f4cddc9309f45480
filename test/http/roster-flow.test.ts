import { and, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, rosterUploads, users } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

/** Upload, preview and apply over HTTP exactly as a browser without JavaScript does: a multipart POST, then a plain form POST. */
const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;
let other: Awaited<ReturnType<typeof aCouncil>>;
const HEADER = "Employee number,Name,Email,Team,Start date,Leaving date";

beforeAll(async () => {
  council = await aCouncil(db);
  other = await aCouncil(db);
  server = await startTestServer(database);
});
afterAll(() => server.close());

async function signedIn(email: string) {
  const client = new HttpClient(server.url);
  await client.signIn(email, TEST_PASSWORD);
  return client;
}

/** A multipart/form-data POST with one file, as a browser sends a form with enctype="multipart/form-data". */
async function postFile(
  client: HttpClient,
  path: string,
  file: { name: string; bytes: Uint8Array } | null,
  options: { csrf?: string | null } = {},
) {
  const csrf = options.csrf === undefined ? await client.csrfToken() : options.csrf;
  const form = new FormData();
  if (csrf !== null) form.set("csrf", csrf);
  // A browser sends an empty part with no file name when no file was chosen.
  form.set(
    "file",
    file ? new Blob([new Uint8Array(file.bytes)], { type: "text/csv" }) : new Blob([]),
    file ? file.name : "",
  );
  return fetch(server.url + path, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: client.cookieHeader },
    body: form,
  });
}

function errorSummary(html: string): string {
  const start = html.indexOf('class="govuk-error-summary"');
  return start === -1 ? "" : pageText(html.slice(start, html.indexOf("</ul>", start)));
}

const csv = (...lines: string[]) => new TextEncoder().encode([HEADER, ...lines].join("\r\n") + "\r\n");
const appliedAudits = async () =>
  (
    await db
      .select({ n: count() })
      .from(auditLog)
      .where(and(eq(auditLog.action, "roster.applied"), eq(auditLog.organisationId, council.organisation.id)))
  )[0].n;

describe("importing a roster over HTTP without JavaScript", () => {
  it("offers a multipart upload form with the CSRF token and a labelled file input", async () => {
    const client = await signedIn(council.hr.email);
    const response = await client.get("/hr/roster");
    expect(response.status).toBe(200);
    const html = await response.text();
    // HTML attribute names are case-insensitive: React writes encType.
    expect(html).toMatch(/<form method="post" action="\/hr\/roster" enctype="multipart\/form-data"/i);
    expect(html).toContain('<input type="hidden" name="csrf"');
    expect(html).toMatch(/<label class="govuk-label govuk-label--m" for="file">/);
    const input = /<input [^>]*name="file"[^>]*>/.exec(html)?.[0] ?? "";
    for (const attribute of ['class="govuk-file-upload"', 'id="file"', 'type="file"', 'aria-describedby="file-hint"'])
      expect(input).toContain(attribute);
    expect(pageText(html)).toContain("like 2026-04-01 or 01/04/2026");
    expect(pageText(html)).toContain("up to 20 MB");
  });

  it("answers no file, a Windows-1252 file and a file over 20 MB with 400 and a message in the error summary, keeping nothing", async () => {
    const client = await signedIn(council.hr.email);
    const uploadsBefore = (await db.select({ n: count() }).from(rosterUploads))[0].n;
    const none = await postFile(client, "/hr/roster", null);
    expect(none.status).toBe(400);
    expect(errorSummary(await none.text())).toContain("Select a CSV file");

    const ansi = new Uint8Array([
      ...csv("E1,Ren").subarray(0, -2),
      0xe9,
      ...new TextEncoder().encode(",r@example.test,Team A,2026-04-01,\r\n"),
    ]);
    const refused = await postFile(client, "/hr/roster", { name: "staff.csv", bytes: ansi });
    expect(refused.status).toBe(400);
    const refusedHtml = await refused.text();
    const summary = errorSummary(refusedHtml);
    expect(summary).toContain("not saved as UTF-8");
    expect(summary).toContain(
      "Save it as “CSV UTF-8” and upload it again (in Excel: File, Save a Copy, then “CSV UTF-8 (Comma delimited) (*.csv)”)",
    );
    // The steps for every spreadsheet program are shown open under the form.
    expect(refusedHtml).toMatch(/<details class="govuk-details" open="">/);
    expect(pageText(refusedHtml)).toContain("LibreOffice Calc: choose File, Save As, “Text CSV (.csv)”");

    const large = await postFile(client, "/hr/roster", {
      name: "big.csv",
      bytes: new Uint8Array(21 * 1024 * 1024).fill(0x41),
    });
    expect(large.status).toBe(400);
    expect(errorSummary(await large.text())).toContain("larger than 20 MB");
    expect((await db.select({ n: count() }).from(rosterUploads))[0].n).toBe(uploadsBefore);
  });

  it("refuses a body over the server's 25 MB cap, and a multipart POST without the CSRF token", async () => {
    const client = await signedIn(council.hr.email);
    const huge = await postFile(client, "/hr/roster", {
      name: "huge.csv",
      bytes: new Uint8Array(26 * 1024 * 1024).fill(0x41),
    });
    expect(huge.status).toBe(413);
    const forged = await postFile(
      client,
      "/hr/roster",
      { name: "staff.csv", bytes: csv("E1,Ann,ann-forged@example.test,Team A,2026-04-01,") },
      { csrf: null },
    );
    expect(forged.status).toBe(403);
  });

  it("shows each row problem with its line and column, and has nothing to apply", async () => {
    const client = await signedIn(council.hr.email);
    const response = await postFile(client, "/hr/roster", {
      name: "bad.csv",
      bytes: csv("B1,Bea,bea@example.test,Team A,2026-04-01,", "B2,,not-an-email,Team A,31/02/2026,"),
    });
    expect(response.status).toBe(302);
    const location = response.headers.get("location") ?? "";
    expect(location).toMatch(/^\/hr\/roster\/[0-9a-f-]{36}$/);
    const html = await (await client.get(location)).text();
    expect(errorSummary(html)).toContain("bad.csv has 3 problems in 1 row. Nothing has been changed.");
    const text = pageText(html);
    expect(text).toContain("3 Name Enter the name");
    expect(text).toContain("3 Email Enter an email address in the correct format");
    expect(text).toContain("3 Start date 31/02/2026 is not a real date");
    expect(html).not.toContain("Apply these changes");
    expect(await db.select().from(users).where(eq(users.employeeNumber, "B1"))).toEqual([]);
  });

  it("uploads, previews and applies a correct file once, however often Apply is sent", async () => {
    const client = await signedIn(council.hr.email);
    const file = csv(
      "H1,Hana Http,hana@example.test,Team A,2026-04-01,",
      `${council.staff.employeeNumber},${council.staff.name},${council.staff.email},Team B,${council.staff.startDate},`,
    );
    const uploaded = await postFile(client, "/hr/roster", { name: "staff.csv", bytes: file });
    expect(uploaded.status).toBe(302);
    const location = uploaded.headers.get("location")!;

    const preview = await (await client.get(location)).text();
    const previewText = pageText(preview);
    expect(previewText).toContain("Check the changes before you apply them");
    expect(previewText).toContain("Added 1");
    expect(previewText).toContain("Changed 1");
    expect(previewText).toContain("Team: Team A to Team B");
    expect(previewText).toContain("an administrator can give each new person a link");
    expect(await db.select().from(users).where(eq(users.employeeNumber, "H1"))).toEqual([]);

    const planDigest = /name="planDigest" value="([0-9a-f]{64})"/.exec(preview)?.[1];
    expect(planDigest).toBeDefined();
    const applied = await client.post(location, { intent: "apply", planDigest: planDigest! });
    expect(applied.status).toBe(302);
    expect(applied.headers.get("location")).toBe(location);
    const again = await client.post(location, { intent: "apply", planDigest: planDigest! });
    expect(again.status).toBe(302);

    const result = pageText(await (await client.get(location)).text());
    expect(result).toContain("Staff roster imported 1 person added, 1 person changed, 0 people deactivated");
    expect(result).toContain(
      "1 person needs a one-time link to set their password: an administrator can give each of them one from the People page",
    );
    expect(
      await db.select({ role: users.role, teamId: users.teamId }).from(users).where(eq(users.employeeNumber, "H1")),
    ).toEqual([{ role: "staff", teamId: council.teamA.id }]);
    expect(await appliedAudits()).toBe(1);

    // Another council's HR, and HR colleagues' roles that may not import, get 404 for this upload and its Apply.
    for (const email of [other.hr.email, council.admin.email, council.staff.email]) {
      const stranger = await signedIn(email);
      expect((await stranger.get(location)).status).toBe(404);
      expect((await stranger.post(location, { intent: "apply", planDigest: planDigest! })).status).toBe(404);
    }
  });
});
