// Shared by the browser and the server: the exports page renders these (a .server module is empty in the browser).

export const EXPORT_FORMATS = ["csv", "xlsx", "xapi"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const FORMAT_LABELS: Record<ExportFormat, string> = {
  csv: "CSV (spreadsheet or any other program)",
  xlsx: "Excel workbook (XLSX)",
  xapi: "xAPI statements for a learning record store (JSON lines)",
};
