import { PassThrough } from "node:stream";
import ExcelJS from "exceljs";
import { STATUS_LABELS } from "~/tracking/status.server";
import { evidenceOf } from "./evidence-labels";
import { exemptionReasonWords, KIND_LABELS, REPORT_COLUMNS, type ExportCounter } from "./export-csv.server";
import type { ReportRow } from "./report.server";

/**
 * The report as an XLSX workbook, written by exceljs's streaming writer. That writer does not wait for its
 * reader (it grew to ~680 MB at a million rows: docs/decisions/0008-exports.md), so rows are only added while the sheet's unwritten XML
 * stays small, and a workbook holds at most XLSX_MAX_ROWS rows (export.server.ts).
 */

const BACKLOG_LIMIT = 1 << 20;

/**
 * Bytes exceljs has written for the sheet that the zip has not yet compressed: what the sheet stream holds
 * before the zip reaches it, plus what sits in the deflate stream it pipes to. exceljs 4 keeps these in
 * internals (StreamBuf.buffers and .pipes); if they move, this reads 0 and the row cap still bounds memory.
 */
function sheetBacklog(sheet: ExcelJS.Worksheet): number {
  const stream = (
    sheet as unknown as { stream?: { buffers?: { length: number }[]; pipes?: { writableLength?: number }[] } }
  ).stream;
  if (!stream) return 0;
  let bytes = 0;
  for (const b of stream.buffers ?? []) bytes += b.length;
  for (const p of stream.pipes ?? []) bytes += p.writableLength ?? 0;
  return bytes;
}

const DATE_COLUMNS = new Set(["since", "due_on", "earlier_training_completed_on", "exempt_from", "exempt_until"]);
const TIME_COLUMNS = new Set(["completed_at"]);
const UUID_COLUMNS = new Set(["attempt_id", "earlier_training_id", "user_id", "requirement_id", "team_id"]);
const WIDEST = 60;

const londonParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/**
 * A spreadsheet's date-times have no zone: a cell holds the wall-clock time it shows. So a moment becomes the
 * Date whose UTC fields are its UK local time (exceljs writes a Date's UTC fields).
 */
export function ukWallClock(iso: string): Date {
  const at = Date.parse(iso);
  // London's offset is the same for a whole UTC hour: worked out once an hour, not once a row.
  const hour = Math.floor(at / 3_600_000);
  if (hour !== offsetMemo.hour) offsetMemo = { hour, ms: wallClockOf(hour * 3_600_000).getTime() - hour * 3_600_000 };
  return new Date(at + offsetMemo.ms);
}

let offsetMemo = { hour: NaN, ms: 0 };

function wallClockOf(at: number): Date {
  const parts = Object.fromEntries(londonParts.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return new Date(
    Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    ),
  );
}

/** A calendar day (YYYY-MM-DD) as a spreadsheet date. */
const calendarDay = (day: string) => new Date(`${day}T00:00:00Z`);

/**
 * A text cell (an inline string, never a formula) holding exactly `text`. XML reads a carriage return back as
 * a line feed and cannot hold most control characters, so those are written as OOXML's `_xHHHH_` escapes
 * (ECMA-376 ST_Xstring), and an underscore that would read as the start of one is escaped itself (`_x005F_`).
 */
export function textCell(text: string): ExcelJS.CellRichTextValue {
  const escaped = text
    .replace(/_(?=x[0-9A-Fa-f]{4}_)/g, "_x005F_")
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b-\x1f]/g, (c) => `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}_`);
  return { richText: [{ text: escaped }] };
}

const cellText = (column: string, row: ReportRow): string | null => {
  if (column === "status") return STATUS_LABELS[row.status] ?? row.status;
  if (column === "kind") return KIND_LABELS[row.kind] ?? row.kind;
  if (column === "evidence") return evidenceOf(row);
  if (column === "exemption_reason") return exemptionReasonWords(row);
  const value = (row as Record<string, unknown>)[column];
  return value === null || value === undefined ? null : String(value);
};

function cellOf(column: string, row: ReportRow): ExcelJS.CellValue {
  const value = cellText(column, row);
  if (value === null) return null;
  if (DATE_COLUMNS.has(column)) return calendarDay(String(value));
  if (TIME_COLUMNS.has(column)) return ukWallClock(String(value));
  return textCell(String(value));
}

/** Wide enough for the header and the longest value among the first rows (names and e-mails), up to a limit. */
function columnsFor(firstRows: ReportRow[]): Partial<ExcelJS.Column>[] {
  return REPORT_COLUMNS.map(([key, header]) => {
    if (DATE_COLUMNS.has(key))
      return { key, header, width: Math.max(12, header.length + 2), style: { numFmt: "dd/mm/yyyy" } };
    if (TIME_COLUMNS.has(key))
      return { key, header, width: Math.max(17, header.length + 2), style: { numFmt: "dd/mm/yyyy hh:mm" } };
    if (UUID_COLUMNS.has(key)) return { key, header, width: 38 };
    let longest = header.length;
    for (const row of firstRows) longest = Math.max(longest, (cellText(key, row) ?? "").length);
    return { key, header, width: Math.min(WIDEST, Math.max(10, longest + 2)) };
  });
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 2));

export async function* xlsxChunks(batches: AsyncIterable<ReportRow[]>, counter: ExportCounter): AsyncGenerator<Buffer> {
  const out = new PassThrough({ highWaterMark: 1 << 16 });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  let stopped = false;
  const state: { phase: "rows" | "finishing" | "done" } = { phase: "rows" };
  const producing = (async () => {
    const sheet = workbook.addWorksheet("Report", {
      views: [{ state: "frozen", ySplit: 1 }],
      // Printed across one page's width (landscape A4), as many pages down as it takes.
      pageSetup: { paperSize: 9, orientation: "landscape", fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
      headerFooter: { oddFooter: "Page &P of &N" },
    });
    let started = false;
    for await (const batch of batches) {
      if (stopped) return;
      if (!started) {
        // Columns are written before the first row: sized from the first batch.
        sheet.columns = columnsFor(batch);
        sheet.getRow(1).font = { bold: true };
        started = true;
      }
      for (const r of batch) sheet.addRow(REPORT_COLUMNS.map(([column]) => cellOf(column, r))).commit();
      counter.rows += batch.length;
      while (!stopped && sheetBacklog(sheet) > BACKLOG_LIMIT) await pause();
    }
    if (stopped) return;
    if (!started) {
      sheet.columns = columnsFor([]);
      sheet.getRow(1).font = { bold: true };
    }
    state.phase = "finishing";
    sheet.commit();
    await workbook.commit();
    state.phase = "done";
  })().catch((error: unknown) => {
    out.destroy(error as Error);
  });
  try {
    for await (const chunk of out) yield chunk as Buffer;
    await producing;
  } finally {
    stopped = true;
    if (state.phase !== "done") out.destroy();
    // Only the row loop needs waiting for (it closes the database cursor); a half-written zip is dropped.
    if (state.phase === "rows") await producing;
  }
}
