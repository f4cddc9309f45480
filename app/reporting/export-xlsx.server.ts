import { PassThrough } from "node:stream";
import ExcelJS from "exceljs";
import { STATUS_LABELS } from "~/tracking/status.server";
import { KIND_LABELS, REPORT_COLUMNS, type ExportCounter } from "./export-csv.server";
import type { ReportRow } from "./report.server";

/**
 * The report as an XLSX workbook, written by exceljs's streaming writer. That writer does not wait for its
 * reader (STACK-NOTES: ~680 MB at a million rows), so rows are only added while the sheet's unwritten XML
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

const pause = () => new Promise((resolve) => setTimeout(resolve, 2));

export async function* xlsxChunks(batches: AsyncIterable<ReportRow[]>, counter: ExportCounter): AsyncGenerator<Buffer> {
  const out = new PassThrough({ highWaterMark: 1 << 16 });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  let stopped = false;
  const state: { phase: "rows" | "finishing" | "done" } = { phase: "rows" };
  const producing = (async () => {
    const sheet = workbook.addWorksheet("Report", { views: [{ state: "frozen", ySplit: 1 }] });
    sheet.columns = REPORT_COLUMNS.map(([key, header]) => ({ key, header, width: Math.max(12, header.length + 2) }));
    sheet.getRow(1).font = { bold: true };
    for await (const batch of batches) {
      if (stopped) return;
      for (const r of batch) {
        sheet
          .addRow({ ...r, status: STATUS_LABELS[r.status] ?? r.status, kind: KIND_LABELS[r.kind] ?? r.kind })
          .commit();
      }
      counter.rows += batch.length;
      while (!stopped && sheetBacklog(sheet) > BACKLOG_LIMIT) await pause();
    }
    if (stopped) return;
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
