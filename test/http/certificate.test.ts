import { createHash } from "node:crypto";
import PDFDocument from "pdfkit";
import QRCode from "qrcode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendRecord } from "~/attestation/ledger.server";
import { verificationUrl } from "~/attestation/records.server";
import { certificates } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aPolicyVersion, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { appendVersion1Record } from "../support/ledger-v1";
import { pdfStreams, pdfText } from "../support/pdf";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;
let version: Awaited<ReturnType<typeof aPolicyVersion>>;

beforeAll(async () => {
  council = await aCouncil(db);
  version = await aPolicyVersion(db, council.organisation.id, { label: "1" });
  server = await startTestServer(database);
});
afterAll(() => server.close());

/**
 * The pixels (RGB, one byte a channel) of the QR code of `url` as the certificate draws it, computed from the QR
 * code's own modules (a 2-module quiet zone, 3 pixels a module): pdfkit stores an image's colour data exactly so.
 */
function qrPixels(url: string): Buffer {
  const qr = QRCode.create(url, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  const side = (size + 4) * 3;
  const rgb = Buffer.alloc(side * side * 3, 255);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const row = Math.floor(y / 3) - 2;
      const column = Math.floor(x / 3) - 2;
      if (row >= 0 && column >= 0 && row < size && column < size && qr.modules.get(row, column))
        rgb.fill(0, (y * side + x) * 3, (y * side + x) * 3 + 3);
    }
  return rgb;
}

/** Whether the PDF holds an image that is the QR code of `url`, pixel for pixel. */
const hasQrCodeOf = (pdf: Buffer, url: string) => pdfStreams(pdf).includes(qrPixels(url).toString("latin1"));

async function download(email: string, reference: string) {
  const client = new HttpClient(server.url);
  await client.signIn(email, TEST_PASSWORD);
  const response = await client.get(`/records/${reference}/certificate.pdf`);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe("certificates of format 2 records", () => {
  it("print the account's name and employee number at signing beside the typed name, the verification address and its QR code", async () => {
    const { record: full } = await appendRecord(db, {
      organisationId: council.organisation.id,
      kind: "signed",
      userId: council.hr.id,
      policyVersionId: version.id,
      policySha256: version.sha256,
      declarationText: "I have read and understood the code of conduct.",
      typedName: council.hr.name.toLowerCase(),
      recordedAt: new Date("2026-03-02T11:00:00Z"),
      ip: null,
      userAgent: null,
      qualifyingAttemptIds: [],
      subjectReference: null,
      actorUserId: council.hr.id,
      reason: null,
      signerName: council.hr.name,
      signerEmployeeNumber: council.hr.employeeNumber,
      reauthMethod: "password",
    });
    const pdf = await download(council.hr.email, full.reference);
    const text = pdfText(pdf);
    expect(text).toContain(`${council.hr.name.toLowerCase()} signed the social media code of conduct, version 1`);
    expect(text).toContain(`Name typed when signing: ${council.hr.name.toLowerCase()}`);
    expect(text).toContain(`Name on their account when they signed: ${council.hr.name}`);
    expect(text).toContain(`Employee number when they signed: ${council.hr.employeeNumber}`);
    const url = verificationUrl(server.url, full);
    expect(url).toBe(`${server.url}/verify?reference=${full.reference}&hash=${full.hash}`);
    expect(text.replace(/\s/g, "")).toContain(url);
    // The QR code is the image of exactly that address, tagged as a figure with a text alternative.
    expect(hasQrCodeOf(pdf, url)).toBe(true);
    expect(hasQrCodeOf(pdf, verificationUrl(server.url, { reference: full.reference, hash: "0".repeat(64) }))).toBe(
      false,
    );
    const raw = pdf.toString("latin1");
    expect(raw).toContain("/StructTreeRoot");
    expect(raw).toMatch(/\/S \/Figure/);
    expect(raw).toContain("/Alt (QR code of the address of this record's verification page");
    // The address opens the verification page filled in, and it says the record is genuine.
    const page = await new HttpClient(server.url).get(new URL(url).pathname + new URL(url).search);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(pageText(html)).toContain("This record is genuine");
    expect(html).toContain(`value="${full.hash}"`);
  });
});

describe("certificates issued before format 2", () => {
  it("stay byte-identical: a frozen certificate is given as it was first issued", async () => {
    const old = await appendVersion1Record(db, {
      organisationId: council.organisation.id,
      kind: "signed",
      userId: council.admin.id,
      policyVersionId: version.id,
      policySha256: version.sha256,
      declarationText: "I have read and understood the code of conduct.",
      typedName: council.admin.name,
      recordedAt: new Date("2026-01-05T09:00:00Z"),
      ip: null,
      userAgent: null,
      qualifyingAttemptIds: [],
      subjectReference: null,
      actorUserId: council.admin.id,
      reason: null,
    });
    // A certificate as the earlier renderer issued it: no QR code, no address.
    const issued = await new Promise<Buffer>((resolve) => {
      const doc = new PDFDocument({ size: "A4", tagged: true, lang: "en-GB" });
      const chunks: Buffer[] = [];
      doc.on("data", (c: Buffer) => chunks.push(c));
      doc.on("end", () => resolve(Buffer.concat(chunks)));
      doc.text(
        `${old.typedName} signed the social media code of conduct, version 1. Record reference: ${old.reference}`,
      );
      doc.end();
    });
    await db.insert(certificates).values({
      attestationId: old.id,
      pdf: issued.toString("base64"),
      sha256: createHash("sha256").update(issued).digest("hex"),
    });
    const first = await download(council.admin.email, old.reference);
    const second = await download(council.admin.email, old.reference);
    expect(first.equals(issued)).toBe(true);
    expect(second.equals(issued)).toBe(true);
  });

  it("of a version 1 record first issued now carry the address and QR code, and no account facts it does not hold", async () => {
    const old = await appendVersion1Record(db, {
      organisationId: council.organisation.id,
      kind: "signed",
      userId: council.champion.id,
      policyVersionId: version.id,
      policySha256: version.sha256,
      declarationText: "I have read and understood the code of conduct.",
      typedName: council.champion.name,
      recordedAt: new Date("2026-01-06T09:00:00Z"),
      ip: null,
      userAgent: null,
      qualifyingAttemptIds: [],
      subjectReference: null,
      actorUserId: council.champion.id,
      reason: null,
    });
    const pdf = await download(council.champion.email, old.reference);
    const text = pdfText(pdf);
    expect(text).not.toContain("Name on their account");
    expect(text.replace(/\s/g, "")).toContain(verificationUrl(server.url, old));
    expect(hasQrCodeOf(pdf, verificationUrl(server.url, old))).toBe(true);
  });
});
