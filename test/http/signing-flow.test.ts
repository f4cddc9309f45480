import { createHash } from "node:crypto";
import { asc, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { attestations, auditLog, certificates } from "~db/schema";
import { freshDatabase } from "../support/database";
import {
  aCouncil,
  aModuleContent,
  aPolicyVersion,
  aSignature,
  asCurrentUser,
  TEST_PASSWORD,
  answerEveryQuestion,
} from "../support/factories";
import { HttpClient, pageText, savedAs } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;
let version: Awaited<ReturnType<typeof aPolicyVersion>>;

beforeAll(async () => {
  council = await aCouncil(db);
  await syncTrainingModules(db, [aModuleContent(council.organisation.slug) as unknown as TrainingModule], new Date());
  version = await aPolicyVersion(db, council.organisation.id, {
    label: "1",
    body: "1. Personal use\n\nDo not **accept** service users as friends.\n",
  });
  server = await startTestServer(database);
});
afterAll(() => server.close());

async function pass(person: typeof council.staff) {
  const user = asCurrentUser(person, council.organisation);
  const attemptId = (await startOrResumeAttempt(db, user, "test-module", new Date()))!;
  await answerEveryQuestion(db, user, "test-module", attemptId, new Date());
}

const signFields = (person: { name: string }) => ({
  policyVersionId: version.id,
  declarationRead: "yes",
  declarationFollow: "yes",
  declarationConsequences: "yes",
  typedName: person.name.toUpperCase(),
  password: TEST_PASSWORD,
});

const ledgerCount = async () => (await db.select({ n: count() }).from(attestations))[0].n;

describe("signing over HTTP", () => {
  it("says which modules remain before someone has passed them, and writes nothing when they try", async () => {
    const client = new HttpClient(server.url);
    await client.signIn(council.hr.email, TEST_PASSWORD);
    const html = await (await client.get("/code-of-conduct")).text();
    expect(pageText(html)).toContain("You need to pass this module before you can sign: Test module");
    expect(html).toContain("<strong>accept</strong>");
    const before = await ledgerCount();
    const response = await client.post("/code-of-conduct", signFields(council.hr));
    expect(response.status).toBe(409);
    expect(await ledgerCount()).toBe(before);
  });

  it("shows every problem of a bad form in the error summary, and writes nothing", async () => {
    await pass(council.admin);
    const client = new HttpClient(server.url);
    await client.signIn(council.admin.email, TEST_PASSWORD);
    const before = await ledgerCount();
    const response = await client.post("/code-of-conduct", {
      policyVersionId: version.id,
      typedName: "Nobody",
      password: "",
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("There is a problem");
    expect(html).toContain("Confirm that you have read and understood the code of conduct");
    expect(html).toContain("Confirm that you will follow the code of conduct");
    expect(html).toContain("Confirm that you understand what a breach may lead to");
    expect(html).toContain("Enter your password");
    const wrongName = await client.post("/code-of-conduct", {
      ...signFields(council.admin),
      typedName: "Someone Else",
    });
    expect(wrongName.status).toBe(400);
    expect(await wrongName.text()).toContain("Enter your full name as it appears on your account");
    expect(await ledgerCount()).toBe(before);
  });

  it("signs once however often the form is sent, and confirms with the record's reference", async () => {
    await pass(council.staff);
    const client = new HttpClient(server.url);
    await client.signIn(council.staff.email, TEST_PASSWORD);
    const responses = await Promise.all(
      [1, 2, 3].map(() => client.post("/code-of-conduct", signFields(council.staff))),
    );
    const locations = new Set(responses.map((r) => r.headers.get("location")));
    expect(responses.every((r) => r.status === 302)).toBe(true);
    expect(locations.size).toBe(1);
    const rows = await db.select().from(attestations).where(eq(attestations.userId, council.staff.id));
    expect(rows).toHaveLength(1);
    const confirmation = await (await client.get([...locations][0]!)).text();
    expect(confirmation).toContain("You have signed the code of conduct");
    expect(confirmation).toContain(rows[0].reference);
  });

  it("issues the certificate once and gives the same bytes on every download", async () => {
    const client = new HttpClient(server.url);
    await client.signIn(council.staff.email, TEST_PASSWORD);
    const [record] = await db.select().from(attestations).where(eq(attestations.userId, council.staff.id));
    const first = await client.get(`/records/${record.reference}/certificate.pdf`);
    expect(first.headers.get("content-type")).toBe("application/pdf");
    const bytes = Buffer.from(await first.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    expect(bytes.toString("latin1")).toContain("/StructTreeRoot");
    const second = Buffer.from(await (await client.get(`/records/${record.reference}/certificate.pdf`)).arrayBuffer());
    expect(second.equals(bytes)).toBe(true);
    const [issued] = await db.select().from(certificates).where(eq(certificates.attestationId, record.id));
    expect(issued.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
  });

  it("downloads the exact text that was signed", async () => {
    const client = new HttpClient(server.url);
    await client.signIn(council.staff.email, TEST_PASSWORD);
    const [record] = await db.select().from(attestations).where(eq(attestations.userId, council.staff.id));
    const text = Buffer.from(await (await client.get(`/records/${record.reference}/text`)).arrayBuffer());
    expect(createHash("sha256").update(text).digest("hex")).toBe(record.policySha256);
  });

  it("tells anyone whether a reference and hash match an unaltered record, and nothing else", async () => {
    const [record] = await db.select().from(attestations).where(eq(attestations.userId, council.staff.id));
    const anonymous = new HttpClient(server.url);
    const genuine = await (await anonymous.get(`/verify?reference=${record.reference}&hash=${record.hash}`)).text();
    expect(genuine).toContain("This record is genuine");
    expect(genuine).not.toContain(council.staff.name);
    const wrong = await (await anonymous.get(`/verify?reference=${record.reference}&hash=${"0".repeat(64)}`)).text();
    expect(wrong).toContain("No unaltered record matches");
    const invalid = await (await anonymous.get(`/verify?reference=&hash=xyz`)).text();
    expect(invalid).toContain("Enter the record reference");
  });

  it("lets HR withdraw a record with a reason; the person sees it on their records page", async () => {
    const [record] = await db.select().from(attestations).where(eq(attestations.userId, council.staff.id));
    const hr = new HttpClient(server.url);
    await hr.signIn(council.hr.email, TEST_PASSWORD);
    const short = await hr.post("/hr/withdraw", { reference: record.reference, reason: "short" });
    expect(short.status).toBe(400);
    const response = await hr.post("/hr/withdraw", {
      reference: record.reference,
      reason: "Signed at a shared desk by mistake.",
    });
    expect(response.status).toBe(200);
    expect(pageText(await response.text())).toContain(`Record ${record.reference} is withdrawn`);
    const staff = new HttpClient(server.url);
    await staff.signIn(council.staff.email, TEST_PASSWORD);
    const records = pageText(await (await staff.get("/records")).text());
    expect(records).toContain("Withdrawn");
    expect(records).toContain("Signed at a shared desk by mistake.");
  });

  it("exports a person's own data as JSON and CSV, and audits each export", async () => {
    const client = new HttpClient(server.url);
    await client.signIn(council.staff.email, TEST_PASSWORD);
    const json = (await (await client.get("/records/export.json")).json()) as {
      profile: { email: string };
      attempts: unknown[];
      attestations: unknown[];
    };
    expect(json.profile.email).toBe(council.staff.email);
    expect(json.attempts.length).toBeGreaterThan(0);
    expect(json.attestations.length).toBe(2);
    const csv = Buffer.from(await (await client.get("/records/export.csv")).arrayBuffer()).toString("utf8");
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv.slice(1).trimEnd().split("\r\n");
    expect(lines[0]).toBe("type,what,status,at,completed,score,detail,detail 2,hash");
    expect(lines.filter((l) => l.startsWith("attestation,"))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith("attempt,"))).toHaveLength(json.attempts.length);
    const audits = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "records.exported"))
      .orderBy(asc(auditLog.id));
    expect(audits.filter((a) => a.actorUserId === council.staff.id).map((a) => a.details)).toEqual([
      { format: "json" },
      { format: "csv" },
    ]);
  });
});

describe("a version whose label is more than plain letters and digits", () => {
  it("downloads its text, saved under the label as written", async () => {
    const other = await aCouncil(db);
    const label = "2026–27 “draft” (2)";
    const labelled = await aPolicyVersion(db, other.organisation.id, { label });
    const record = await aSignature(db, other.staff, labelled, new Date("2026-02-01T10:00:00Z"));
    const client = new HttpClient(server.url);
    await client.signIn(other.staff.email, TEST_PASSWORD);
    const response = await client.get(`/records/${record.reference}/text`);
    expect(response.status).toBe(200);
    const disposition = response.headers.get("content-disposition")!;
    expect(disposition).toContain('filename="code-of-conduct-version-2026_27 _draft_ _2_.txt"');
    expect(savedAs(disposition)).toBe(`code-of-conduct-version-${label}.txt`);
    const text = Buffer.from(await response.arrayBuffer());
    expect(createHash("sha256").update(text).digest("hex")).toBe(record.policySha256);
  });
});
