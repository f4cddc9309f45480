/**
 * RFC 4180 CSV. A cell that a spreadsheet would read as a formula (starting with =, +, -, @, tab or
 * carriage return: OWASP's rule) gets a leading apostrophe, so a name like "=HYPERLINK(...)" stays text.
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = neutraliseFormula(value instanceof Date ? value.toISOString() : String(value));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

/** A whole small document, with the byte order mark spreadsheet programs need to read UTF-8. */
export function csvDocument(header: string[], rows: unknown[][]): string {
  return `\uFEFF${csvLine(header)}${rows.map(csvLine).join("")}`;
}
