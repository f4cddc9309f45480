import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { assistanceWording } from "~/reporting/evidence-labels";
import PDFDocument from "pdfkit";
import QRCode from "qrcode";
import type { CurrentUser } from "~/auth/session.server";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { csvDocument } from "~/lib/csv";
import { formatDateTime } from "~/lib/dates";
import type { Db } from "~db/client.server";
import {
  attemptEvents,
  attempts,
  attestations,
  certificates,
  moduleVersions,
  organisations,
  policyVersions,
  trainingModules,
  users,
} from "~db/schema";
import { latestCheckpoint } from "./checkpoints.server";
import { rowIsIntact, withdrawalOf, type AttestationRow } from "./ledger.server";
import { sha256OfBytes } from "./policies.server";

/** A person's own ledger records, newest first, each with its withdrawal if there is one. */
export async function recordsOf(db: Db, userId: string) {
  const rows = await db
    .select({ record: attestations, versionLabel: policyVersions.versionLabel })
    .from(attestations)
    .innerJoin(policyVersions, eq(policyVersions.id, attestations.policyVersionId))
    .where(eq(attestations.userId, userId))
    .orderBy(desc(attestations.recordedAt), desc(attestations.seq));
  const withdrawals = new Map(
    rows.filter((r) => r.record.kind === "withdrawn").map((r) => [r.record.subjectReference, r.record]),
  );
  return rows
    .filter((r) => r.record.kind === "signed")
    .map((r) => ({
      reference: r.record.reference,
      versionLabel: r.versionLabel,
      recordedAt: r.record.recordedAt.toISOString(),
      withdrawn: withdrawals.has(r.record.reference)
        ? {
            at: withdrawals.get(r.record.reference)!.recordedAt.toISOString(),
            reason: withdrawals.get(r.record.reference)!.reason ?? "",
          }
        : null,
    }));
}

export async function attemptsOf(db: Db, userId: string) {
  return db
    .select({
      id: attempts.id,
      moduleSlug: trainingModules.slug,
      title: moduleVersions.title,
      status: attempts.status,
      score: attempts.score,
      answered: attempts.answered,
      startedAt: attempts.startedAt,
      completedAt: attempts.completedAt,
    })
    .from(attempts)
    .innerJoin(moduleVersions, eq(moduleVersions.id, attempts.moduleVersionId))
    .innerJoin(trainingModules, eq(trainingModules.id, attempts.moduleId))
    .where(eq(attempts.userId, userId))
    .orderBy(desc(attempts.startedAt));
}

/**
 * One signed record, for its own signer, or for HR and admins of the same organisation. Everything shown
 * comes from the ledger row and the immutable policy version it names, so it reads the same years later.
 */
export async function recordForViewer(db: Db, viewer: CurrentUser, reference: string) {
  const [row] = await db
    .select({ record: attestations, version: policyVersions, organisationName: organisations.name })
    .from(attestations)
    .innerJoin(policyVersions, eq(policyVersions.id, attestations.policyVersionId))
    .innerJoin(organisations, eq(organisations.id, attestations.organisationId))
    .where(
      and(
        eq(attestations.reference, reference.toUpperCase()),
        eq(attestations.kind, "signed"),
        eq(attestations.organisationId, viewer.organisationId),
      ),
    );
  if (!row) return null;
  const mayView = row.record.userId === viewer.id || viewer.role === "hr" || viewer.role === "admin";
  if (!mayView) return null;
  const withdrawal = await withdrawalOf(db, row.record);
  // Its receipt is ready once a checkpoint covers it (app/attestation/receipts.server.ts).
  const checkpoint = await latestCheckpoint(db, row.record.organisationId);
  return {
    ...row,
    withdrawal: withdrawal ?? null,
    intact: rowIsIntact(row.record),
    receiptReady: checkpoint !== null && checkpoint.treeSize >= row.record.seq,
    assistance: await assistanceOf(db, row.record),
  };
}

/** Who witnessed a signing in an assisted session and who issued its one-time code, by name; null for any other. */
export async function assistanceOf(
  db: Db,
  record: Pick<AttestationRow, "witnessUserId" | "codeIssuerUserId">,
): Promise<{ witnessName: string; codeIssuerName: string | null } | null> {
  if (!record.witnessUserId) return null;
  const ids = [record.witnessUserId, ...(record.codeIssuerUserId ? [record.codeIssuerUserId] : [])];
  const people = await db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, ids));
  const nameOf = (id: string | null) => people.find((p) => p.id === id)?.name ?? null;
  return { witnessName: nameOf(record.witnessUserId) ?? "a witness", codeIssuerName: nameOf(record.codeIssuerUserId) };
}

export type CertificateDetails = {
  organisationName: string;
  versionLabel: string;
  policySha256: string;
  /** The service's address: the certificate links (and its QR code leads) to its verification page there. */
  serviceUrl: string;
  /** Signed in an assisted session: who witnessed and who issued the code (decision 0025). */
  assistance?: { witnessName: string; codeIssuerName: string | null } | null;
};

/** The verification page, filled in with a record's reference and hash: what a certificate's link and QR code open. */
export function verificationUrl(serviceUrl: string, record: { reference: string; hash: string }): string {
  const url = new URL("/verify", serviceUrl);
  url.searchParams.set("reference", record.reference);
  url.searchParams.set("hash", record.hash);
  return url.toString();
}

/** The QR code of a certificate's verification address, as a PNG (a 2-module quiet zone, medium error correction). */
export function verificationQrPng(url: string): Promise<Buffer> {
  return QRCode.toBuffer(url, { type: "png", errorCorrectionLevel: "M", margin: 2, scale: 3 });
}

async function renderCertificate(record: AttestationRow, details: CertificateDetails): Promise<Buffer> {
  const verifyAt = verificationUrl(details.serviceUrl, record);
  const qr = await verificationQrPng(verifyAt);
  return new Promise((resolve, reject) => {
    const title = `Certificate of attestation ${record.reference}`;
    const doc = new PDFDocument({
      size: "A4",
      margin: 56,
      tagged: true,
      lang: "en-GB",
      displayTitle: true,
      pdfVersion: "1.7",
      info: {
        Title: title,
        Author: details.organisationName,
        Subject: "Social media code of conduct",
        CreationDate: record.recordedAt,
      },
    });
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    const body = doc.struct("Document");
    doc.addStructure(body);
    const para = (text: string, size = 12, font = "Helvetica") =>
      body.add(
        doc.struct("P", {}, () => {
          doc.font(font).fontSize(size).text(text, { paragraphGap: 8 });
        }),
      );
    body.add(
      doc.struct("H1", {}, () => {
        doc.font("Helvetica-Bold").fontSize(22).text("Certificate of attestation", { paragraphGap: 12 });
      }),
    );
    para(details.organisationName, 14, "Helvetica-Bold");
    para(
      `${record.typedName ?? ""} signed the social media code of conduct, version ${details.versionLabel}, on ${formatDateTime(record.recordedAt)} (UK time).`,
    );
    // Format 2 keeps the account as it was at signing, beside the name as typed (decision 0015).
    if (record.formatVersion >= 2 && record.signerName) {
      para(`Name typed when signing: ${record.typedName ?? ""}`);
      para(`Name on their account when they signed: ${record.signerName}`);
      if (record.signerEmployeeNumber) para(`Employee number when they signed: ${record.signerEmployeeNumber}`);
    }
    if (details.assistance) para(assistanceWording(details.assistance), 12, "Helvetica-Bold");
    para("They declared:");
    for (const line of record.declarationText.split("\n")) para(`• ${line}`);
    body.add(
      doc.struct("H2", {}, () => {
        doc.font("Helvetica-Bold").fontSize(14).text("How to check this certificate", { paragraphGap: 8 });
      }),
    );
    para(`Record reference: ${record.reference}`);
    para(`Record hash (SHA-256): ${record.hash}`, 10, "Courier");
    para(`Text of the code of conduct (SHA-256): ${details.policySha256}`, 10, "Courier");
    para(
      "Anyone with the reference and the record hash can check on this service's verification page that the record exists in the ledger, unaltered. Open this address, or scan the QR code, to check this record:",
      11,
    );
    para(verifyAt, 9, "Courier");
    body.add(
      doc.struct("Figure", { alt: `QR code of the address of this record's verification page: ${verifyAt}` }, () => {
        doc.image(qr, { width: 120 });
      }),
    );
    body.end();
    doc.end();
  });
}

/**
 * A ledger record's PDF (a signed record's certificate, a withdrawal's notice): rendered at first issue, its sha256
 * recorded in the append-only certificates table, the same bytes for ever after.
 */
export async function issuedOnce(db: Db, attestationId: number, render: () => Promise<Buffer>) {
  const [issued] = await db.select().from(certificates).where(eq(certificates.attestationId, attestationId));
  if (issued) return { pdf: Buffer.from(issued.pdf, "base64"), sha256: issued.sha256 };
  const pdf = await render();
  const sha256 = sha256OfBytes(pdf);
  await db
    .insert(certificates)
    .values({ attestationId, pdf: pdf.toString("base64"), sha256 })
    .onConflictDoNothing();
  // Whoever issued first wins; every later download gives those bytes.
  const [stored] = await db.select().from(certificates).where(eq(certificates.attestationId, attestationId));
  return { pdf: Buffer.from(stored.pdf, "base64"), sha256: stored.sha256 };
}

/** The certificate PDF: rendered from the ledger record at first issue and never again, so it never shows a later withdrawal. */
export async function certificateFor(db: Db, record: AttestationRow, details: CertificateDetails) {
  return issuedOnce(db, record.id, () => renderCertificate(record, details));
}

/** Everything held about a person, for a subject access request: profile, attempts with each answer, and ledger records. */
async function personalData(db: Db, userId: string) {
  const [profile] = await db
    .select({
      name: users.name,
      email: users.email,
      employeeNumber: users.employeeNumber,
      role: users.role,
      startDate: users.startDate,
      leavingDate: users.leavingDate,
      active: users.active,
      organisation: organisations.name,
    })
    .from(users)
    .innerJoin(organisations, eq(organisations.id, users.organisationId))
    .where(eq(users.id, userId));
  const myAttempts = await attemptsOf(db, userId);
  const events = myAttempts.length
    ? await db
        .select()
        .from(attemptEvents)
        .where(
          inArray(
            attemptEvents.attemptId,
            myAttempts.map((a) => a.id),
          ),
        )
        .orderBy(asc(attemptEvents.attemptId), asc(attemptEvents.step))
    : [];
  const ledger = await db
    .select()
    .from(attestations)
    .where(eq(attestations.userId, userId))
    .orderBy(asc(attestations.recordedAt));
  return {
    profile,
    attempts: myAttempts.map((a) => ({
      ...a,
      answers: events
        .filter((e) => e.attemptId === a.id)
        .map((e) => ({ step: e.step, scenarioId: e.scenarioId, choiceId: e.choiceId, correct: e.correct, at: e.at })),
    })),
    attestations: ledger.map((r) => ({
      reference: r.reference,
      kind: r.kind,
      recordedAt: r.recordedAt,
      policyVersionId: r.policyVersionId,
      policySha256: r.policySha256,
      typedName: r.typedName,
      declarationText: r.declarationText,
      ip: r.ip,
      userAgent: r.userAgent,
      subjectReference: r.subjectReference,
      reason: r.reason,
      hash: r.hash,
      previousHash: r.previousHash,
    })),
  };
}

/** The columns of a person's own records as a spreadsheet: one row per attempt, answer given and ledger record. */
const PERSONAL_DATA_COLUMNS = ["type", "what", "status", "at", "completed", "score", "detail", "detail 2", "hash"];

function personalDataRows(data: Awaited<ReturnType<typeof personalData>>): unknown[][] {
  const rows: unknown[][] = [];
  for (const a of data.attempts) {
    rows.push(["attempt", a.title, a.status, a.startedAt, a.completedAt, `${a.score}/${a.answered}`, "", "", ""]);
    for (const answer of a.answers)
      rows.push([
        "answer",
        a.title,
        answer.correct ? "right" : "not the best answer",
        answer.at,
        "",
        "",
        answer.scenarioId,
        answer.choiceId,
        "",
      ]);
  }
  for (const r of data.attestations)
    rows.push(["attestation", r.reference, r.kind, r.recordedAt, "", "", r.typedName ?? "", r.reason ?? "", r.hash]);
  return rows;
}

/** A person's own records as they download them (subject access), as CSV or JSON, with the download audited. */
export async function exportPersonalData(
  db: Db,
  user: Pick<CurrentUser, "id" | "organisationId">,
  format: "csv" | "json",
  request: RequestInfo,
): Promise<string> {
  const data = await personalData(db, user.id);
  await writeAudit(
    db,
    {
      action: "records.exported",
      organisationId: user.organisationId,
      actorUserId: user.id,
      subjectType: "user",
      subjectId: user.id,
      details: { format },
    },
    request,
  );
  return format === "csv" ? csvDocument(PERSONAL_DATA_COLUMNS, personalDataRows(data)) : JSON.stringify(data, null, 2);
}
