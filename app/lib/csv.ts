/**
 * RFC 4180 CSV. A cell a spreadsheet would evaluate gets a leading apostrophe, so a name like
 * "=HYPERLINK(...)" stays text: one that starts, after any tabs, carriage returns, line feeds or spaces (which
 * some spreadsheets drop), with `=` or `@`, or with `+` or `-` unless the whole cell is an e-mail address no
 * formula can be read from (`+44team@x.gov.uk` stays usable; `+a-@x.gov.uk` reads as `a - @x.gov.uk`, so it
 * is guarded). OWASP's rule, narrowed: docs/decisions/0020-readable-exports-and-stable-xapi.md. The report
 * export applies the same patterns in SQL (app/reporting/export-csv.server.ts).
 */
export const FORMULA_START = "^[\\t\\r\\n ]*[=@]";
export const SIGNED_START = "^[\\t\\r\\n ]*[+-]";
export const INERT_SIGNED_EMAIL = "^[+-][A-Za-z0-9._%+-]*[A-Za-z0-9_]@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)+$";

const formulaStart = new RegExp(FORMULA_START);
const signedStart = new RegExp(SIGNED_START);
const inertSignedEmail = new RegExp(INERT_SIGNED_EMAIL);

export function neutraliseFormula(value: string): string {
  const evaluated = formulaStart.test(value) || (signedStart.test(value) && !inertSignedEmail.test(value));
  return evaluated ? `'${value}` : value;
}

/** A cell's text, quoted when RFC 4180 needs it or when it starts with white space a reader might drop. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = neutraliseFormula(value instanceof Date ? value.toISOString() : String(value));
  return /[",\r\n]|^[\t ]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

/** A whole small document, with the byte order mark spreadsheet programs need to read UTF-8. */
export function csvDocument(header: string[], rows: unknown[][]): string {
  return `\uFEFF${csvLine(header)}${rows.map(csvLine).join("")}`;
}
