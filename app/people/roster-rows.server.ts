import { z } from "zod";
import { COLUMN_LABELS, type ColumnKey, type RosterRecord } from "./roster-file.server";

/** A problem with one cell (or the whole row) of a roster, by the line it is on as a spreadsheet numbers it. */
export type RowProblem = { line: number; column: string; message: string };

export type RosterRow = {
  line: number;
  employeeNumber: string;
  name: string;
  /** Null when the cell is empty: a person without a work e-mail address, known by their employee number. */
  email: string | null;
  team: string;
  startDate: string;
  leavingDate: string | null;
};

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const UK_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/;

/** A calendar date as YYYY-MM-DD, from ISO (2026-04-01) or UK day/month/year (01/04/2026); anything else is refused. */
export function parseRosterDate(value: string): { ok: true; date: string } | { ok: false; message: string } {
  let year: number, month: number, day: number;
  const iso = ISO_DATE.exec(value);
  const uk = iso ? null : UK_DATE.exec(value);
  if (iso) [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (uk) {
    if (uk[3].length === 2) return { ok: false, message: `Write the year in full, like ${uk[1]}/${uk[2]}/20${uk[3]}` };
    [day, month, year] = [Number(uk[1]), Number(uk[2]), Number(uk[3])];
  } else {
    return { ok: false, message: "Enter a date like 2026-04-01 or 01/04/2026" };
  }
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    year < 1900 ||
    year > 2200 ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return { ok: false, message: `${value} is not a real date` };
  }
  return { ok: true, date: date.toISOString().slice(0, 10) };
}

const required = (what: string, max: number) =>
  z.string().trim().min(1, `Enter the ${what}`).max(max, `The ${what} must be ${max} characters or fewer`);

const dateCell = z.string().transform((value, ctx) => {
  const parsed = parseRosterDate(value);
  if (parsed.ok) return parsed.date;
  ctx.addIssue({ code: "custom", message: parsed.message });
  return z.NEVER;
});

export const rosterRowSchema = z.object({
  employeeNumber: required("employee number", 50).regex(
    /^[\p{L}\p{N}][\p{L}\p{N} ._/-]*$/u,
    "The employee number can only have letters, numbers, spaces, hyphens, full stops, slashes and underscores",
  ),
  name: required("name", 200),
  // Empty for a person without a work e-mail address (decision 0025): the employee number identifies them.
  email: z
    .string()
    .trim()
    .max(254, "The email address must be 254 characters or fewer")
    .transform((v) => (v === "" ? null : v))
    .pipe(z.email("Enter an email address in the correct format, like name@example.gov.uk").nullable()),
  team: required("team", 100).transform((t) => t.replace(/\s+/g, " ")),
  startDate: z.string().trim().min(1, "Enter the start date").pipe(dateCell),
  leavingDate: z
    .string()
    .trim()
    .transform((v) => (v === "" ? null : v))
    .pipe(dateCell.nullable()),
});

const START_AFTER_LEAVING = "The leaving date must be the same as or after the start date";

/** Checked apart from the schema so that it is reported alongside problems in other columns, not only once they are fixed. */
function startsAfterLeaving(cells: RosterRecord["cells"]): boolean {
  const start = parseRosterDate(cells.startDate.trim());
  const leaving = parseRosterDate(cells.leavingDate.trim());
  return start.ok && leaving.ok && start.date > leaving.date;
}

/** Compares e-mail addresses as the database's unique index does: lower(email). */
export const emailKey = (email: string) => email.toLowerCase();

/**
 * Every row checked on its own (zod) and against the rest of the file: an employee number or e-mail address
 * may appear once. Problems come back in file order; valid rows only when there are none.
 */
export function validateRosterRows(records: RosterRecord[]): { rows: RosterRow[]; problems: RowProblem[] } {
  const rows: RosterRow[] = [];
  const problems: RowProblem[] = [];
  const employeeLines = new Map<string, number>();
  const emailLines = new Map<string, number>();
  for (const record of records) {
    if (record.extraCells > 0) {
      problems.push({
        line: record.line,
        column: "Whole row",
        message: "This row has more values than the header line has columns",
      });
    }
    const parsed = rosterRowSchema.safeParse(record.cells);
    if (!parsed.success) {
      const seen = new Set<string>();
      for (const issue of parsed.error.issues) {
        const column = COLUMN_LABELS[issue.path[0] as ColumnKey] ?? "Whole row";
        if (seen.has(column)) continue;
        seen.add(column);
        problems.push({ line: record.line, column, message: issue.message });
      }
    }
    const datesReversed = startsAfterLeaving(record.cells);
    if (datesReversed)
      problems.push({ line: record.line, column: COLUMN_LABELS.leavingDate, message: START_AFTER_LEAVING });
    const employeeNumber = record.cells.employeeNumber.trim();
    const email = emailKey(record.cells.email.trim());
    if (employeeNumber !== "") {
      const first = employeeLines.get(employeeNumber);
      if (first !== undefined)
        problems.push({
          line: record.line,
          column: COLUMN_LABELS.employeeNumber,
          message: `Employee number ${employeeNumber} is also on line ${first}`,
        });
      else employeeLines.set(employeeNumber, record.line);
    }
    if (email !== "") {
      const first = emailLines.get(email);
      if (first !== undefined)
        problems.push({
          line: record.line,
          column: COLUMN_LABELS.email,
          message: `This email address is also on line ${first}`,
        });
      else emailLines.set(email, record.line);
    }
    if (parsed.success && !datesReversed && record.extraCells === 0) rows.push({ line: record.line, ...parsed.data });
  }
  return { rows, problems: sortProblems(problems) };
}

const COLUMN_ORDER = ["Whole row", ...Object.values(COLUMN_LABELS)];

export function sortProblems(problems: RowProblem[]): RowProblem[] {
  return problems.sort((a, b) => a.line - b.line || COLUMN_ORDER.indexOf(a.column) - COLUMN_ORDER.indexOf(b.column));
}
