/**
 * Reading an uploaded staff roster: its bytes to text (UTF-8 only, with or without a byte order mark), the
 * text to CSV records (RFC 4180) with the line each record starts on, and the header to the columns we know.
 * Nothing here touches the database: a file refused here writes nothing but its audit entry.
 */

export const ROSTER_MAX_BYTES = 20 * 1024 * 1024;
export const ROSTER_MAX_MEGABYTES = ROSTER_MAX_BYTES / (1024 * 1024);

export const ROSTER_COLUMNS = [
  {
    key: "employeeNumber",
    label: "Employee number",
    required: true,
    names: ["employeenumber", "employeeno", "employeeid", "staffnumber"],
  },
  { key: "name", label: "Name", required: true, names: ["name", "fullname"] },
  { key: "email", label: "Email", required: true, names: ["email", "emailaddress"] },
  { key: "team", label: "Team", required: true, names: ["team", "teamname"] },
  { key: "startDate", label: "Start date", required: true, names: ["startdate"] },
  { key: "leavingDate", label: "Leaving date", required: false, names: ["leavingdate", "leavedate", "enddate"] },
] as const;

export type ColumnKey = (typeof ROSTER_COLUMNS)[number]["key"];
export const COLUMN_LABELS = Object.fromEntries(ROSTER_COLUMNS.map((c) => [c.key, c.label])) as Record<
  ColumnKey,
  string
>;

/** One staff line of the file as written, every cell a string ("" when absent). */
export type RosterRecord = { line: number; cells: Record<ColumnKey, string>; extraCells: number };

export type FileErrorCode =
  | "empty"
  | "too-large"
  | "spreadsheet"
  | "not-text"
  | "utf-16"
  | "not-utf-8"
  | "malformed"
  | "separator"
  | "columns"
  | "no-rows";
/** `howToSave`: the page shows how to save as CSV UTF-8 in each spreadsheet program. */
export type FileError = { code: FileErrorCode; message: string; howToSave: boolean };

/** How to fix an encoding or format problem, in the words of the program HR most likely used; the page lists the others. */
export const SAVE_AS_CSV_UTF8 =
  "Save it as “CSV UTF-8” and upload it again (in Excel: File, Save a Copy, then “CSV UTF-8 (Comma delimited) (*.csv)”).";

const expectedColumns = `The first line must name the columns ${ROSTER_COLUMNS.filter((c) => c.required)
  .map((c) => c.label)
  .join(", ")}, and optionally ${ROSTER_COLUMNS.filter((c) => !c.required)
  .map((c) => c.label)
  .join(", ")}, in any order.`;

const SAVE_AGAIN: FileErrorCode[] = ["spreadsheet", "not-text", "utf-16", "not-utf-8", "malformed", "separator"];
const fail = (code: FileErrorCode, message: string) => ({
  ok: false as const,
  error: { code, message, howToSave: SAVE_AGAIN.includes(code) },
});

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** How many line breaks (LF, CRLF or a lone CR) a piece of text holds. */
function lineBreaks(text: string, from = 0, to = text.length): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) count++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) count++;
  }
  return count;
}

/** The file's text, or why it is not a UTF-8 text file. */
export function decodeRoster(bytes: Uint8Array): { ok: true; text: string } | { ok: false; error: FileError } {
  if (bytes.length > ROSTER_MAX_BYTES) {
    return fail(
      "too-large",
      `The file is larger than ${ROSTER_MAX_MEGABYTES} MB. Split it into smaller files and upload each one.`,
    );
  }
  if (bytes.length === 0) return fail("empty", "The file is empty. Choose the file with your staff in it.");
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) {
    return fail("spreadsheet", `The file is a spreadsheet workbook, not a CSV file. ${SAVE_AS_CSV_UTF8}`);
  }
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    return fail(
      "utf-16",
      `The file is saved as UTF-16 (“Unicode text”), which this service cannot read. ${SAVE_AS_CSV_UTF8}`,
    );
  }
  const sample = bytes.subarray(0, 4096);
  const zeros = [0, 0];
  sample.forEach((b, i) => {
    if (b === 0) zeros[i % 2]++;
  });
  if (zeros[0] + zeros[1] > 0) {
    // UTF-16 without a byte order mark has a zero byte beside almost every Latin letter, always on the same side.
    const half = sample.length / 2;
    const utf16 = Math.max(...zeros) >= half * 0.3 && Math.min(...zeros) <= half * 0.05;
    if (utf16)
      return fail(
        "utf-16",
        `The file is saved as UTF-16 (“Unicode text”), which this service cannot read. ${SAVE_AS_CSV_UTF8}`,
      );
    return fail("not-text", `The file is not a CSV file: it holds data that is not text. ${SAVE_AS_CSV_UTF8}`);
  }
  const body = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? bytes.subarray(3) : bytes;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    const lossy = new TextDecoder("utf-8", { ignoreBOM: true }).decode(body);
    const line = lineBreaks(lossy, 0, Math.max(0, lossy.indexOf("\uFFFD"))) + 1;
    return fail(
      "not-utf-8",
      `The file is not saved as UTF-8: line ${line} has a character this service cannot read, such as an accent or a £ sign. ${SAVE_AS_CSV_UTF8}`,
    );
  }
  // Control characters other than tab and line breaks mean a binary file that happens to be valid UTF-8.
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.exec(text);
  if (control)
    return fail(
      "not-text",
      `The file is not a CSV file: line ${lineBreaks(text, 0, control.index) + 1} holds data that is not text. ${SAVE_AS_CSV_UTF8}`,
    );
  if (text.trim() === "") return fail("empty", "The file is empty. Choose the file with your staff in it.");
  return { ok: true, text };
}

export type CsvRecord = { line: number; cells: string[] };

/** RFC 4180 records (comma-separated, double-quoted cells that may hold commas, quotes and line breaks), each with the line it starts on. */
export function parseCsv(text: string): { ok: true; records: CsvRecord[] } | { ok: false; error: FileError } {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    for (;;) {
      let cell: string;
      if (text.charCodeAt(i) === 34) {
        const opened = line;
        let value = "";
        i++;
        for (;;) {
          const quote = text.indexOf('"', i);
          if (quote === -1) {
            return fail(
              "malformed",
              `The file is not a valid CSV file: a quoted value that starts on line ${opened} is never closed with a quote mark. ${SAVE_AS_CSV_UTF8}`,
            );
          }
          line += lineBreaks(text, i, quote);
          value += text.slice(i, quote);
          if (text.charCodeAt(quote + 1) === 34) {
            value += '"';
            i = quote + 2;
            continue;
          }
          i = quote + 1;
          break;
        }
        const next = text.charCodeAt(i);
        if (i < n && next !== 44 && next !== 10 && next !== 13) {
          return fail(
            "malformed",
            `The file is not a valid CSV file: on line ${line} there is text straight after a closing quote mark. ${SAVE_AS_CSV_UTF8}`,
          );
        }
        cell = value;
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === 44 || c === 10 || c === 13) break;
          j++;
        }
        cell = text.slice(i, j);
        i = j;
      }
      cells.push(cell);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === 44) {
        i++;
        continue;
      }
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      line++;
      break;
    }
    records.push({ line: startLine, cells });
  }
  return { ok: true, records };
}

const normaliseHeader = (cell: string) => cell.toLowerCase().replace(/[^a-z0-9]/g, "");
const isBlank = (cells: string[]) => cells.every((c) => c.trim() === "");

/** The staff records of a roster file, or the one reason the whole file is refused. */
export function readRosterFile(
  bytes: Uint8Array,
): { ok: true; records: RosterRecord[] } | { ok: false; error: FileError } {
  const decoded = decodeRoster(bytes);
  if (!decoded.ok) return decoded;
  const parsed = parseCsv(decoded.text);
  if (!parsed.ok) return parsed;
  const headerIndex = parsed.records.findIndex((r) => !isBlank(r.cells));
  const header = parsed.records[headerIndex];
  if (header.cells.length === 1) {
    const only = header.cells[0];
    const separator = only.includes(";") ? "semicolons" : only.includes("\t") ? "tabs" : null;
    if (separator)
      return fail("separator", `The file’s values are separated by ${separator}, not commas. ${SAVE_AS_CSV_UTF8}`);
  }

  const positions = new Map<ColumnKey, number>();
  const unknown: string[] = [];
  const repeated: string[] = [];
  header.cells.forEach((cell, index) => {
    const name = normaliseHeader(cell);
    if (name === "") return;
    const column = ROSTER_COLUMNS.find((c) => (c.names as readonly string[]).includes(name));
    if (!column) unknown.push(cell.trim());
    else if (positions.has(column.key)) repeated.push(column.label);
    else positions.set(column.key, index);
  });
  const missing = ROSTER_COLUMNS.filter((c) => c.required && !positions.has(c.key)).map((c) => c.label);
  if (missing.length > 0 || unknown.length > 0 || repeated.length > 0) {
    const parts = [
      missing.length > 0 ? `It has no ${missing.join(", ")} column${missing.length > 1 ? "s" : ""}.` : null,
      unknown.length > 0
        ? `It has column${unknown.length > 1 ? "s" : ""} this service does not use: ${unknown.join(", ")}.`
        : null,
      repeated.length > 0 ? `It names ${repeated.join(", ")} more than once.` : null,
      unknown.some((u) => normaliseHeader(u) === "role")
        ? "Remove the Role column: an import never gives or takes away a role; an administrator does."
        : null,
    ].filter(Boolean);
    return fail("columns", `The file does not have the right columns. ${parts.join(" ")} ${expectedColumns}`);
  }

  const width = header.cells.length;
  const records: RosterRecord[] = [];
  for (const record of parsed.records.slice(headerIndex + 1)) {
    if (isBlank(record.cells)) continue;
    const cells = {} as Record<ColumnKey, string>;
    for (const column of ROSTER_COLUMNS) {
      const at = positions.get(column.key);
      cells[column.key] = at === undefined ? "" : (record.cells[at] ?? "");
    }
    // Spreadsheets often pad rows with empty cells; only cells with something in them past the header count.
    const extraCells = record.cells.slice(width).filter((c) => c.trim() !== "").length;
    records.push({ line: record.line, cells, extraCells });
  }
  if (records.length === 0) return fail("no-rows", `The file has a header line but no staff in it. ${expectedColumns}`);
  return { ok: true, records };
}
