import PDFDocument from "pdfkit";
import type { CurrentUser } from "~/auth/session.server";
import { formatDateTime } from "~/lib/dates";
import type { Db } from "~db/client.server";
import type { AttestationRow } from "./ledger.server";
import { issuedOnce, recordForViewer } from "./records.server";

/**
 * What a withdrawal notice says, taken only from the two ledger records (the withdrawal and the signed record it
 * withdraws) and the policy version's label, so the page and the PDF read the same years later.
 */
export type WithdrawalNotice = {
  organisationName: string;
  withdrawal: { reference: string; hash: string; recordedAt: string; reason: string };
  record: { reference: string; hash: string; typedName: string; signedAt: string; versionLabel: string };
};

export function withdrawalNotice(found: WithdrawnRecord): WithdrawalNotice {
  return {
    organisationName: found.organisationName,
    withdrawal: {
      reference: found.withdrawal.reference,
      hash: found.withdrawal.hash,
      recordedAt: found.withdrawal.recordedAt.toISOString(),
      reason: found.withdrawal.reason ?? "",
    },
    record: {
      reference: found.record.reference,
      hash: found.record.hash,
      typedName: found.record.typedName ?? "",
      signedAt: found.record.recordedAt.toISOString(),
      versionLabel: found.versionLabel,
    },
  };
}

/** The notice's words, shared by its page and its PDF so that both say the same. */
export function noticeText(notice: WithdrawalNotice) {
  const { withdrawal, record } = notice;
  return {
    title: "Notice of withdrawal",
    withdrawn: `${notice.organisationName} withdrew record ${record.reference} on ${formatDateTime(withdrawal.recordedAt)} (UK time).`,
    signed: `In that record, ${record.typedName} signed the social media code of conduct, version ${record.versionLabel}, on ${formatDateTime(record.signedAt)} (UK time).`,
    reason: `Reason given: ${withdrawal.reason}`,
    meaning:
      "The record no longer counts as a signature of the code of conduct. Its certificate stays as it was first issued and does not show the withdrawal: read this notice with it.",
    checkHeading: "How to check this notice",
    checks: [
      ["Withdrawal reference", withdrawal.reference],
      ["Withdrawal record hash (SHA-256)", withdrawal.hash],
      ["Withdrawn record", record.reference],
      ["Withdrawn record hash (SHA-256)", record.hash],
    ] as const,
    howToCheck:
      "Anyone with a reference and record hash can check on this service's verification page that the record exists in the ledger, unaltered; for the withdrawn record, that page also gives the day it was withdrawn.",
  };
}

function renderWithdrawalNotice(notice: WithdrawalNotice): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const text = noticeText(notice);
    const doc = new PDFDocument({
      size: "A4",
      margin: 56,
      tagged: true,
      lang: "en-GB",
      displayTitle: true,
      pdfVersion: "1.7",
      info: {
        Title: `${text.title} ${notice.withdrawal.reference}`,
        Author: notice.organisationName,
        Subject: "Social media code of conduct",
        CreationDate: new Date(notice.withdrawal.recordedAt),
      },
    });
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    const body = doc.struct("Document");
    doc.addStructure(body);
    const block = (type: "H1" | "H2" | "P", words: string, size: number, font = "Helvetica") =>
      body.add(
        doc.struct(type, {}, () => {
          doc
            .font(font)
            .fontSize(size)
            .text(words, { paragraphGap: type === "H1" ? 12 : 8 });
        }),
      );
    block("H1", text.title, 22, "Helvetica-Bold");
    block("P", notice.organisationName, 14, "Helvetica-Bold");
    block("P", text.withdrawn, 12);
    block("P", text.signed, 12);
    block("P", text.reason, 12);
    block("P", text.meaning, 12);
    block("H2", text.checkHeading, 14, "Helvetica-Bold");
    for (const [label, value] of text.checks)
      block("P", `${label}: ${value}`, value.length === 64 ? 10 : 12, value.length === 64 ? "Courier" : "Helvetica");
    block("P", text.howToCheck, 11);
    body.end();
    doc.end();
  });
}

type WithdrawnRecord = {
  record: AttestationRow;
  withdrawal: AttestationRow;
  organisationName: string;
  versionLabel: string;
};

/** A withdrawn record and its withdrawal, for whoever may see the record (recordForViewer's rule); null if it was never withdrawn. */
export async function withdrawalForViewer(
  db: Db,
  viewer: CurrentUser,
  reference: string,
): Promise<WithdrawnRecord | null> {
  const found = await recordForViewer(db, viewer, reference);
  if (!found?.withdrawal) return null;
  return {
    record: found.record,
    withdrawal: found.withdrawal,
    organisationName: found.organisationName,
    versionLabel: found.version.versionLabel,
  };
}

/** The notice as a tagged PDF, frozen at first issue like a certificate (kept under the withdrawal record's id). */
export async function withdrawalNoticePdf(db: Db, withdrawn: WithdrawnRecord) {
  return issuedOnce(db, withdrawn.withdrawal.id, () => renderWithdrawalNotice(withdrawalNotice(withdrawn)));
}
