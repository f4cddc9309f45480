import PDFDocument from "pdfkit";
import { formatDate, formatDateTime } from "~/lib/dates";
import { STATUS_LABELS } from "~/tracking/status.server";
import { dueWords, exemptionSummary } from "~/tracking/status-words";
import type { PersonEvidence } from "./evidence.server";
import {
  ATTEMPT_STATUS_LABELS,
  DELIVERY_STATUS_LABELS,
  NUDGE_KIND_LABELS,
  nothingRequired,
  ROLE_LABELS,
  REAUTH_METHOD_LABELS,
  verificationSentence,
} from "./evidence-labels";

type Doc = PDFKit.PDFDocument;
type Struct = PDFKit.PDFStructureElement;
type Cell = string | { text: string; type: "TH"; scope: "Column" | "Row" };

const MARGIN = 56;
const BODY = 10;

/**
 * The per-person evidence pack as a tagged PDF (PDF/UA-style structure: headings, paragraphs and tables with
 * header cells, in a logical reading order, with the document's language and title), so a screen reader
 * reads it as it reads the page. It is produced afresh on each download and says when.
 */
export function renderEvidencePdf(evidence: PersonEvidence): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const { person } = evidence;
    const title = `Evidence pack: ${person.name} (${person.employeeNumber})`;
    const producedAt = new Date(evidence.producedAt);
    const doc = new PDFDocument({
      size: "A4",
      margin: MARGIN,
      tagged: true,
      lang: "en-GB",
      displayTitle: true,
      pdfVersion: "1.7",
      bufferPages: true,
      info: {
        Title: title,
        Author: evidence.organisation.name,
        Subject: "Social media code of conduct: evidence held about one person",
        CreationDate: producedAt,
      },
    });
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);

    const body = doc.struct("Document");
    doc.addStructure(body);
    const writer = new Writer(doc, body);

    writer.heading("H1", title, 18);
    writer.para(
      `${evidence.organisation.name}. Produced on ${formatDateTime(producedAt)} (UK time) by this service from its records as they stood at that moment.`,
    );

    writer.heading("H2", "Person");
    writer.table(
      [
        [th("Name", "Row"), person.name],
        [th("Employee number", "Row"), person.employeeNumber],
        [th("Email", "Row"), person.email ?? "No email address"],
        [th("Role", "Row"), ROLE_LABELS[person.role]],
        [th("Team now", "Row"), person.team ?? "No team"],
        [th("Start date", "Row"), formatDate(person.startDate)],
        [th("Leaving date", "Row"), person.leavingDate ? formatDate(person.leavingDate) : "None"],
        [th("Account", "Row"), person.active ? "Active" : "Deactivated"],
      ],
      [140, "*"],
    );

    writer.heading("H2", "Team memberships");
    if (evidence.memberships.length === 0) writer.para("No team memberships are recorded.");
    else
      writer.table([
        [th("Team"), th("From"), th("Until")],
        ...evidence.memberships.map((m) => [
          m.team,
          formatDate(m.startedOn),
          m.endedOn ? formatDate(m.endedOn) : "Now",
        ]),
      ]);

    writer.heading("H2", "Where they stand now");
    if (evidence.requirements.length === 0) writer.para(nothingRequired(person.leavingDate));
    else
      writer.table([
        [th("Requirement"), th("Status"), th("Since"), th("Due or renewal")],
        ...evidence.requirements.map((r) => [
          r.title,
          r.status === "exempt" ? exemptionSummary(r) : STATUS_LABELS[r.status],
          formatDate(r.since),
          dueWords(r),
        ]),
      ]);

    writer.heading("H2", `Training attempts (${evidence.attempts.length})`);
    if (evidence.attempts.length === 0) writer.para("No training attempts are recorded.");
    for (const attempt of evidence.attempts) {
      writer.heading("H3", `${attempt.moduleTitle}: attempt started ${formatDateTime(attempt.startedAt)}`);
      writer.table(
        [
          [th("Result", "Row"), ATTEMPT_STATUS_LABELS[attempt.status]],
          [
            th("Score", "Row"),
            attempt.scorePercent === null
              ? "No answers"
              : `${attempt.scorePercent}% (${attempt.score} of ${attempt.answered} answered well first time; pass mark ${attempt.passMarkPercent}%)`,
          ],
          [th("Finished", "Row"), attempt.completedAt ? formatDateTime(attempt.completedAt) : "Not finished"],
          [th("Module version", "Row"), `${attempt.moduleVersionId} (content SHA-256 ${attempt.contentHash})`],
          [th("Attempt", "Row"), attempt.id],
        ],
        [140, "*"],
      );
      if (attempt.answers.length > 0)
        writer.table(
          [
            [th("Step"), th("Question"), th("Answer given"), th("Right?"), th("At")],
            ...attempt.answers.map((a) => [
              String(a.step),
              a.question ?? `Scenario ${a.scenarioId}`,
              a.choiceText ?? `Choice ${a.choiceId}`,
              a.correct ? "Yes" : "No",
              formatDateTime(a.at),
            ]),
          ],
          [32, "*", "*", 40, 90],
        );
    }

    writer.heading("H2", `Ledger records (${evidence.attestations.length})`);
    if (evidence.attestations.length === 0) writer.para("No signatures or withdrawals are recorded.");
    for (const record of evidence.attestations) {
      writer.heading("H3", `${record.kind === "signed" ? "Signature" : "Withdrawal"} ${record.reference}`);
      writer.para(verificationSentence(record.verification));
      const rows: Cell[][] = [
        [th("Recorded", "Row"), `${formatDateTime(record.recordedAt)} (position ${record.seq} in the ledger)`],
        [th("Code of conduct", "Row"), `Version ${record.policyVersionLabel}, text SHA-256 ${record.policySha256}`],
      ];
      if (record.kind === "signed") {
        rows.push([th("Typed name", "Row"), record.typedName ?? ""]);
        if (record.formatVersion >= 2 && record.signerName)
          rows.push(
            [th("Name on the account when signed", "Row"), record.signerName],
            [th("Employee number when signed", "Row"), record.signerEmployeeNumber ?? "None recorded"],
          );
        if (record.reauthMethod)
          rows.push([
            th("Proved who they were by", "Row"),
            REAUTH_METHOD_LABELS[record.reauthMethod] ?? record.reauthMethod,
          ]);
        rows.push([th("Declared", "Row"), record.declarationText]);
        rows.push([th("Qualifying attempts", "Row"), record.qualifyingAttemptIds.join(", ") || "None"]);
        rows.push([th("Withdrawn", "Row"), record.withdrawnBy ? `Yes, by record ${record.withdrawnBy}` : "No"]);
      } else {
        rows.push(
          [th("Withdraws", "Row"), record.subjectReference ?? ""],
          [th("Withdrawn by", "Row"), record.actorName ?? "Unknown"],
          [th("Reason", "Row"), record.reason ?? ""],
        );
      }
      rows.push(
        [th("Address and browser", "Row"), `${record.ip ?? "Not recorded"}; ${record.userAgent ?? "not recorded"}`],
        [th("Previous hash", "Row"), record.previousHash],
        [th("Record hash", "Row"), record.hash],
        [
          th("Record format", "Row"),
          record.keyId
            ? `Version ${record.formatVersion}, signed with the service key ${record.keyId}`
            : `Version ${record.formatVersion}, from before records carried the service's signature`,
        ],
      );
      writer.table(rows, [140, "*"]);
    }

    writer.heading("H2", "Ledger chain head when this pack was produced");
    writer.para(
      evidence.chainHead
        ? `Record ${evidence.chainHead.reference}, position ${evidence.chainHead.seq}, recorded ${formatDateTime(evidence.chainHead.recordedAt)}, hash ${evidence.chainHead.hash}. Keep this reference and hash: a later full check of the ledger against them shows whether anything recorded up to this moment has since been removed or changed.`
        : `${evidence.organisation.name}'s ledger held no records.`,
    );

    writer.heading("H2", `Nudges and reminders (${evidence.nudges.length})`);
    if (evidence.nudges.length === 0) writer.para("No nudges, reminders or escalations are recorded.");
    else
      writer.table(
        [
          [th("Sent"), th("Kind"), th("From"), th("Message"), th("Delivery")],
          ...evidence.nudges.map((n) => [
            formatDateTime(n.createdAt),
            NUDGE_KIND_LABELS[n.kind],
            n.senderName ?? "The service",
            n.message ?? "",
            n.deliveries
              .map(
                (d) =>
                  `${d.channel === "email" ? "E-mail" : "In the app"}: ${DELIVERY_STATUS_LABELS[d.status]}${d.error ? ` (${d.error})` : ""}`,
              )
              .join("; ") || "None recorded",
          ]),
        ],
        [80, 60, 80, "*", 110],
      );

    body.end();
    footers(doc, `${title}. Produced ${formatDateTime(producedAt)}.`);
    doc.end();
  });
}

const th = (text: string, scope: "Column" | "Row" = "Column"): Cell => ({ text, type: "TH", scope });

class Writer {
  constructor(
    private readonly doc: Doc,
    private readonly body: Struct,
  ) {}

  /** A new page unless this much room is left, so a heading or a table's header row never ends a page alone. */
  private keepRoom(points: number) {
    if (this.doc.y + points > this.doc.page.height - this.doc.page.margins.bottom) this.doc.addPage();
  }

  heading(level: "H1" | "H2" | "H3", text: string, size = level === "H2" ? 14 : 12) {
    if (level !== "H1") this.doc.moveDown(0.5);
    this.keepRoom(90);
    this.body.add(
      this.doc.struct(level, {}, () => {
        this.doc.font("Helvetica-Bold").fontSize(size).text(text, MARGIN, undefined, { paragraphGap: 6 });
      }),
    );
  }

  para(text: string) {
    this.body.add(
      this.doc.struct("P", {}, () => {
        this.doc.font("Helvetica").fontSize(BODY).text(text, MARGIN, undefined, { paragraphGap: 6 });
      }),
    );
  }

  table(rows: Cell[][], columnWidths?: (number | string)[]) {
    this.keepRoom(60);
    this.doc.font("Helvetica").fontSize(BODY - 1);
    this.doc.x = MARGIN;
    // pdfkit's table tags Table, TR, TH (with Scope) and TD under structParent; its typings lag behind for those options.
    const options = {
      structParent: this.body,
      columnStyles: columnWidths ? columnWidths.map((width) => ({ width })) : undefined,
      defaultStyle: { border: 0.5, borderColor: "#b1b4b6", padding: 3 },
      data: rows.map((row) =>
        row.map((cell) => (typeof cell === "string" ? { text: cell } : { ...cell, font: { src: "Helvetica-Bold" } })),
      ),
    };
    this.doc.table(options as unknown as PDFKit.Mixins.TableOptionsWithData);
    this.doc.moveDown(0.5);
  }
}

/** Page numbers and the production time on every page, marked as pagination artifacts so a screen reader skips them. */
function footers(doc: Doc, text: string) {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.markContent("Artifact", { type: "Pagination" });
    doc
      .font("Helvetica")
      .fontSize(8)
      .fillColor("#505a5f")
      .text(`${text} Page ${i + 1} of ${range.count}.`, MARGIN, doc.page.height - MARGIN / 2 - 8, {
        width: doc.page.width - MARGIN * 2,
        lineBreak: false,
      });
    doc.endMarkedContent();
    doc.fillColor("black");
    doc.page.margins.bottom = bottom;
  }
}
