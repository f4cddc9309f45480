import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { earlierTraining, evidenceFiles, exemptions, requirementSettings } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aRequiredModule, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText, savedAs } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

/** Exemptions, training completed elsewhere and aimed requirements over HTTP, as a browser without JavaScript. */
const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let one: Awaited<ReturnType<typeof aCouncil>>;
let two: Awaited<ReturnType<typeof aCouncil>>;
let required: Awaited<ReturnType<typeof aRequiredModule>>;
let hr: HttpClient;
let admin: HttpClient;

beforeAll(async () => {
  one = await aCouncil(db);
  two = await aCouncil(db);
  required = await aRequiredModule(db, one.organisation.id, { title: "Using WhatsApp with families" });
  server = await startTestServer(database);
  hr = new HttpClient(server.url);
  await hr.signIn(one.hr.email, TEST_PASSWORD);
  admin = new HttpClient(server.url);
  await admin.signIn(one.admin.email, TEST_PASSWORD);
});
afterAll(() => server.close());

/** As a council's own scanner or a person's phone names a file. */
const UPLOADED_NAME = "Certificat d’été (2025).pdf";

async function postFile(client: HttpClient, path: string, fields: Record<string, string>, file: Uint8Array) {
  const form = new FormData();
  form.set("csrf", await client.csrfToken());
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set("file", new Blob([new Uint8Array(file)], { type: "application/pdf" }), UPLOADED_NAME);
  return fetch(server.url + path, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: client.cookieHeader },
    body: form,
  });
}

const training = {
  requirementId: "",
  "completedOn-day": "10",
  "completedOn-month": "11",
  "completedOn-year": "2025",
  description: "Classroom session",
};

describe("HR's records of exemptions and training elsewhere", () => {
  it("records an exemption for their own council's person, and answers 404 for another council's", async () => {
    const fields = {
      requirementId: "all",
      reason: "parental_leave",
      "startsOn-day": "1",
      "startsOn-month": "2",
      "startsOn-year": "2026",
      approvedBy: "Head of service",
    };
    const saved = await hr.post(`/hr/people/${one.staff.id}/exemptions/new`, fields);
    expect(saved.status).toBe(302);
    expect(saved.headers.get("location")).toBe(`/hr/people/${one.staff.id}?saved=exemption#exemptions`);
    expect(await db.select().from(exemptions).where(eq(exemptions.userId, one.staff.id))).toHaveLength(1);
    expect((await hr.get(`/hr/people/${two.staff.id}/exemptions/new`)).status).toBe(404);
    expect((await hr.post(`/hr/people/${two.staff.id}/exemptions/new`, fields)).status).toBe(404);
    expect(await db.select().from(exemptions).where(eq(exemptions.userId, two.staff.id))).toHaveLength(0);
    // Staff may not.
    const staff = new HttpClient(server.url);
    await staff.signIn(one.staff.email, TEST_PASSWORD);
    expect((await staff.get(`/hr/people/${one.staff.id}/exemptions/new`)).status).toBe(404);
  });

  it(
    "takes an evidence file through the upload address, refusing one that is not a PDF or image",
    { timeout: 120_000 },
    async () => {
      const path = `/hr/people/${one.champion.id}/earlier-training/new`;
      const fields = { ...training, requirementId: required.requirement.id };
      const refused = await postFile(hr, path, fields, new TextEncoder().encode("MZ not a pdf"));
      expect(refused.status).toBe(400);
      expect(pageText(await refused.text())).toContain("The selected file must be a PDF, PNG or JPEG");
      // A file over a form's 1 MB body limit (but within the evidence limit) is taken at this address.
      const big = new Uint8Array(2 * 1024 * 1024);
      big.set(new TextEncoder().encode("%PDF-1.4\n"));
      const saved = await postFile(hr, path, fields, big);
      expect(saved.status).toBe(302);
      const [record] = await db.select().from(earlierTraining).where(eq(earlierTraining.userId, one.champion.id));
      const [file] = await db.select().from(evidenceFiles).where(eq(evidenceFiles.id, record.evidenceFileId));
      expect(file.byteSize).toBe(big.length);
      const download = await hr.get(`/hr/people/${one.champion.id}/evidence-files/${file.id}`);
      expect(download.headers.get("content-type")).toBe("application/pdf");
      const disposition = download.headers.get("content-disposition")!;
      expect(disposition).toContain('filename="Certificat d_ete _2025_.pdf"');
      expect(savedAs(disposition)).toBe(UPLOADED_NAME);
      expect((await download.arrayBuffer()).byteLength).toBe(big.length);
      // Another council's HR cannot see it.
      const theirs = new HttpClient(server.url);
      await theirs.signIn(two.hr.email, TEST_PASSWORD);
      expect((await theirs.get(`/hr/people/${one.champion.id}/evidence-files/${file.id}`)).status).toBe(404);
    },
  );
});

describe("an admin aiming a requirement at teams", () => {
  it("saves chosen teams of their council, and refuses another council's team, changing nothing", async () => {
    const path = `/admin/requirements/${required.requirement.id}/teams`;
    expect(pageText(await (await admin.get(path)).text())).toContain("Who must do it");
    const refused = await admin.post(path, { who: "teams", teamIds: two.teamA.id });
    expect(refused.status).toBe(400);
    expect(pageText(await refused.text())).toContain("Choose teams of your council from the list");
    const rows = () =>
      db.select().from(requirementSettings).where(eq(requirementSettings.requirementId, required.requirement.id));
    expect(await rows()).toHaveLength(1);
    const saved = await admin.post(path, { who: "teams", teamIds: one.teamA.id });
    expect(saved.status).toBe(302);
    expect((await rows()).map((r) => r.teamIds)).toEqual([null, [one.teamA.id]]);
    expect(pageText(await (await admin.get("/admin/requirements")).text())).toContain(
      "Who must do it: people in 1 chosen teams",
    );
    expect((await admin.get(`/admin/requirements/${randomUUID()}/teams`)).status).toBe(404);
  });
});
