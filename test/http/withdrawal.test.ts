import { createHash } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attestations, certificates } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aPolicyVersion, aSignature, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { pdfText } from "../support/pdf";
import { startTestServer, type TestServer } from "../support/server";

/** A withdrawn record as everyone sees it: the public check, the record page, the frozen certificate and the notice. */
const database = await freshDatabase();
const db = database.db;
// Withdrawn at 23:30 UTC on 28 March 2027: already 29 March in London (BST), so the day shown is the UK one.
const now = new Date("2027-03-28T23:30:00Z");
const reason = "Signed at a shared desk by a colleague.";
let server: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;
let record: typeof attestations.$inferSelect;
let untouched: typeof attestations.$inferSelect;
let firstCertificate: Buffer;
let staff: HttpClient;

const bytes = async (response: Response) => Buffer.from(await response.arrayBuffer());

beforeAll(async () => {
  council = await aCouncil(db);
  const version = await aPolicyVersion(db, council.organisation.id, { label: "3", effectiveDate: "2027-01-01" });
  record = await aSignature(db, council.staff, version, new Date("2027-02-01T10:00:00Z"));
  untouched = await aSignature(db, council.champion, version, new Date("2027-02-02T10:00:00Z"));
  server = await startTestServer(database, { now: () => now });
  staff = new HttpClient(server.url);
  await staff.signIn(council.staff.email, TEST_PASSWORD);
  firstCertificate = await bytes(await staff.get(`/records/${record.reference}/certificate.pdf`));
  const hr = new HttpClient(server.url);
  await hr.signIn(council.hr.email, TEST_PASSWORD);
  const withdrawn = await hr.post("/hr/withdraw", { reference: record.reference, reason });
  expect(withdrawn.status).toBe(200);
  expect(pageText(await withdrawn.text())).toContain("Read and download the notice of withdrawal");
});
afterAll(() => server?.close());

const withdrawal = async () =>
  (
    await db
      .select()
      .from(attestations)
      .where(and(eq(attestations.subjectReference, record.reference), eq(attestations.kind, "withdrawn")))
  )[0];

describe("a withdrawn record", () => {
  it("is genuine on /verify, withdrawn on a day, and nothing else is said", async () => {
    const anonymous = new HttpClient(server.url);
    const html = await (await anonymous.get(`/verify?reference=${record.reference}&hash=${record.hash}`)).text();
    const text = pageText(html);
    expect(text).toContain("This record is genuine, and was withdrawn on 29 March 2027.");
    expect(text).toContain(`Record ${record.reference} exists in the ledger and has not been altered.`);
    for (const secret of [reason, council.staff.name, council.hr.name, council.organisation.name, "shared desk"])
      expect(text).not.toContain(secret);
    const other = pageText(
      await (await anonymous.get(`/verify?reference=${untouched.reference}&hash=${untouched.hash}`)).text(),
    );
    expect(other).toContain("This record is genuine");
    expect(other).not.toContain("withdrawn");
  });

  it("checks the withdrawal itself on /verify: genuine, and which record it withdrew on which day", async () => {
    const w = await withdrawal();
    const text = pageText(
      await (await new HttpClient(server.url).get(`/verify?reference=${w.reference}&hash=${w.hash}`)).text(),
    );
    expect(text).toContain(`It records the withdrawal of record ${record.reference} on 29 March 2027.`);
    expect(text).not.toContain(reason);
  });

  it("keeps its certificate as first issued, before and after the withdrawal", async () => {
    const after = await bytes(await staff.get(`/records/${record.reference}/certificate.pdf`));
    expect(after.equals(firstCertificate)).toBe(true);
    expect(pdfText(after)).not.toMatch(/withdr/i);
  });

  it("says on the record page that it was withdrawn, and links to the notice", async () => {
    const hr = new HttpClient(server.url);
    await hr.signIn(council.hr.email, TEST_PASSWORD);
    const text = pageText(await (await staff.get(`/records/${record.reference}`)).text());
    const w = await withdrawal();
    expect(text).toContain("This record was withdrawn on 29 March 2027");
    expect(text).toContain(`read the notice of withdrawal ${w.reference}`);
    expect(text).toContain("Download the certificate (PDF), as first issued");
    expect(text).toContain("Download the notice of withdrawal (PDF)");
    const unwithdrawn = await hr.get(`/records/${untouched.reference}`);
    expect(unwithdrawn.status).toBe(200);
    expect(pageText(await unwithdrawn.text())).not.toMatch(/withdr/i);
  });

  it("has a notice page, for the person and HR, and none for a record never withdrawn", async () => {
    const w = await withdrawal();
    const hr = new HttpClient(server.url);
    await hr.signIn(council.hr.email, TEST_PASSWORD);
    for (const client of [staff, hr]) {
      const response = await client.get(`/records/${record.reference}/withdrawal`);
      expect(response.status).toBe(200);
      const text = pageText(await response.text());
      expect(text).toContain("Notice of withdrawal");
      expect(text).toContain(`${council.organisation.name} withdrew record ${record.reference} on 29 March 2027`);
      expect(text).toContain(`Reason given: ${reason}`);
      expect(text).toContain(w.hash);
    }
    expect((await hr.get(`/records/${untouched.reference}/withdrawal`)).status).toBe(404);
    expect((await hr.get(`/records/${untouched.reference}/withdrawal.pdf`)).status).toBe(404);
  });

  it("has a tagged PDF notice, frozen at first issue like a certificate", async () => {
    const w = await withdrawal();
    const first = await staff.get(`/records/${record.reference}/withdrawal.pdf`);
    expect(first.headers.get("content-type")).toBe("application/pdf");
    const pdf = await bytes(first);
    expect(pdf.toString("latin1")).toContain("/StructTreeRoot");
    const text = pdfText(pdf);
    expect(text).toContain(`withdrew record ${record.reference} on 29 March 2027`);
    expect(text).toContain(w.reference);
    const hr = new HttpClient(server.url);
    await hr.signIn(council.hr.email, TEST_PASSWORD);
    expect((await bytes(await hr.get(`/records/${record.reference}/withdrawal.pdf`))).equals(pdf)).toBe(true);
    const [issued] = await db.select().from(certificates).where(eq(certificates.attestationId, w.id));
    expect(issued.sha256).toBe(createHash("sha256").update(pdf).digest("hex"));
    expect(first.headers.get("x-content-sha256")).toBe(issued.sha256);
  });
});
