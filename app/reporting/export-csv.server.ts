import type { Readable } from "node:stream";
import { sql, type SQL } from "drizzle-orm";
import { STATUS_LABELS, STATUSES } from "~/tracking/status.server";
import { EXEMPTION_REASON_LABELS } from "~/tracking/statuses";
import { exemptionReasonWords as reasonWords } from "~/tracking/status-words";
import type { Db } from "~db/client.server";
import { FORMULA_START, INERT_SIGNED_EMAIL, SIGNED_START } from "~/lib/csv";
import { EVIDENCE_LABELS } from "./evidence-labels";
import { copyCsvStream, databaseKind, streamRows } from "./export-rows.server";
import type { ReportRow } from "./report.server";

/**
 * The report as CSV (RFC 4180, UTF-8 with a byte order mark, CRLF between records). The cells are made in
 * SQL, formula-starting ones neutralised there too, so that on PostgreSQL the server's own COPY does the
 * formatting (about 95 % of its raw rate, against 13–15 % for rows formatted in Node: docs/decisions/0008-exports.md). On PGlite
 * a cursor feeds the same cells through `copyCsvRecord`, which quotes exactly as COPY does, so both paths
 * give the same bytes.
 */
export const REPORT_COLUMNS = [
  ["employee_number", "Employee number"],
  ["name", "Name"],
  ["email", "Email"],
  ["team", "Team"],
  ["requirement", "Requirement"],
  ["kind", "Kind"],
  ["status", "Status"],
  ["since", "Since"],
  ["due_on", "Due on"],
  ["completed_at", "Completed at"],
  ["evidence", "Evidence"],
  ["policy_version", "Policy version signed"],
  ["attestation_reference", "Attestation reference"],
  ["earlier_training", "Training completed elsewhere"],
  ["earlier_training_completed_on", "Completed elsewhere on"],
  ["earlier_training_recorded_by", "Recorded by"],
  ["exemption_reason", "Exemption reason"],
  ["exempt_from", "Exempt from"],
  ["exempt_until", "Exempt until"],
  ["attempt_id", "Attempt ID"],
  ["earlier_training_id", "Earlier training ID"],
  ["user_id", "User ID"],
  ["requirement_id", "Requirement ID"],
  ["team_id", "Team ID"],
] as const;

export type ExportCounter = { rows: number };

const labelSql = (column: string, labels: Record<string, string>) =>
  sql.raw(
    `case ${column} ${Object.entries(labels)
      .map(([k, v]) => `when '${k}' then '${v.replace(/'/g, "''")}'`)
      .join(" ")} else ${column} end`,
  );

export const KIND_LABELS = { module: "Training module", policy: "Code of conduct" } as const;

/** The exports' Evidence column in SQL: the words of evidenceOf. */
const evidenceSql = sql.raw(`case when r.attestation_reference is not null then '${EVIDENCE_LABELS.signature}'
  when r.attempt_id is not null then '${EVIDENCE_LABELS.pass}'
  when r.earlier_training_id is not null then '${EVIDENCE_LABELS.earlier}' end`);

/** An exemption's reason in words (status-words.ts), for a report row. */
export function exemptionReasonWords(row: Pick<ReportRow, "exemption_reason" | "exemption_reason_text">) {
  return reasonWords(row.exemption_reason, row.exemption_reason_text);
}

const exemptionReasonSql = sql`case when r.exemption_reason = 'other' and r.exemption_reason_text is not null
  then ${EXEMPTION_REASON_LABELS.other}::text || ': ' || r.exemption_reason_text
  else ${labelSql("r.exemption_reason", EXEMPTION_REASON_LABELS)} end`;

const BOM = Buffer.from("\uFEFF", "utf8");
const CRLF = Buffer.from("\r\n");

/** The guard of app/lib/csv.ts (what a spreadsheet would evaluate gets a leading apostrophe), in SQL. */
export function neutralisedSql(expression: SQL): SQL {
  const pattern = (p: string) => sql.raw(`'${p}'`);
  // ascii() first: most cells start with a letter or digit, and then no pattern is tried.
  return sql`case when ascii(${expression}) not in (9, 10, 13, 32, 43, 45, 61, 64) then ${expression}
    when ${expression} ~ ${pattern(FORMULA_START)} or (${expression} ~ ${pattern(SIGNED_START)} and ${expression} !~ ${pattern(INERT_SIGNED_EMAIL)}) then '''' || ${expression}
    else ${expression} end`;
}

/**
 * A moment (ISO 8601 text) as UK local time with its offset, to the second, as the certificate gives UK time:
 * `2026-06-01T10:20:00+01:00` in summer, `2026-02-01T09:20:00+00:00` in winter.
 */
export function londonTimeSql(text: SQL): SQL {
  const local = sql`((${text})::timestamptz at time zone 'Europe/London')`;
  const offset = sql`extract(epoch from ${local} - ((${text})::timestamptz at time zone 'UTC'))::int`;
  // No subquery (a correlated one runs once a row). London is +00:00 or +01:00; any other offset is spelt out.
  return sql`to_char(${local}, 'YYYY-MM-DD"T"HH24:MI:SS') || case ${offset} when 0 then '+00:00' when 3600 then '+01:00'
    else case when ${offset} < 0 then '-' else '+' end || lpad((abs(${offset}) / 3600)::text, 2, '0') || ':' || lpad((abs(${offset}) % 3600 / 60)::text, 2, '0') end`;
}

/**
 * Cells the service writes itself and that cannot start with a formula character: uuids, ISO dates and
 * times, and the fixed labels. Every other cell (names, e-mails, employee numbers, team and requirement
 * titles, version labels, references) is neutralised.
 */
const GENERATED_COLUMNS = new Set([
  "kind",
  "status",
  "since",
  "due_on",
  "completed_at",
  "evidence",
  "earlier_training_completed_on",
  "exempt_from",
  "exempt_until",
  "attempt_id",
  "earlier_training_id",
  "user_id",
  "requirement_id",
  "team_id",
]);

/**
 * The report rows as text cells ready for CSV: labels for status, kind, evidence and an exemption's reason, free text
 * (including the "other" reason HR typed) neutralised.
 */
export function csvCellsQuery(rowsQuery: SQL): SQL {
  const statusLabels = Object.fromEntries(STATUSES.map((s) => [s, STATUS_LABELS[s]]));
  const cells = REPORT_COLUMNS.map(([column]) => {
    const text =
      column === "status"
        ? labelSql("r.status", statusLabels)
        : column === "kind"
          ? labelSql("r.kind", KIND_LABELS)
          : column === "completed_at"
            ? londonTimeSql(sql.raw("r.completed_at"))
            : column === "evidence"
              ? evidenceSql
              : column === "exemption_reason"
                ? exemptionReasonSql
                : sql.raw(`r.${column}::text`);
    return sql`${GENERATED_COLUMNS.has(column) ? text : neutralisedSql(text)} as ${sql.identifier(column)}`;
  });
  return sql`select ${sql.join(cells, sql`, `)} from (${rowsQuery}) r`;
}

/**
 * Everything a readable has buffered, in one chunk per wake-up: postgres.js pushes one chunk per COPY row,
 * and awaiting each of a million would cost more than the rows themselves.
 */
export async function* bufferedChunks(stream: Readable): AsyncGenerator<Buffer> {
  for (;;) {
    let chunk: Buffer | null;
    while ((chunk = stream.read() as Buffer | null) !== null) yield chunk;
    if (stream.readableEnded || stream.destroyed) {
      if (stream.errored) throw stream.errored;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        stream.off("readable", done);
        stream.off("end", done);
        stream.off("close", done);
        stream.off("error", failed);
        resolve();
      };
      const failed = (error: Error) => {
        done();
        reject(error);
      };
      stream.on("readable", done);
      stream.on("end", done);
      stream.on("close", done);
      stream.on("error", failed);
    });
  }
}

/**
 * The columns people typed (names, e-mails, titles...), quoted whatever they hold (COPY's FORCE_QUOTE), so a
 * leading tab or carriage return reads back as the text it was and never as a separator or the end of a line.
 */
export const QUOTED_COLUMNS = REPORT_COLUMNS.map(([column]) => column).filter((c) => !GENERATED_COLUMNS.has(c));

/** One value as PostgreSQL's COPY (FORMAT csv) writes it: NULL empty, an empty string quoted, quotes doubled. */
export function copyCsvValue(value: string | null, forceQuote = false): string {
  if (value === null) return "";
  if (forceQuote || value === "" || /[",\r\n]/.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

export function copyCsvRecord(values: (string | null)[], forceQuote: boolean[] = []): string {
  return `${values.map((v, i) => copyCsvValue(v, forceQuote[i])).join(",")}\r\n`;
}

export function csvHeader(): Buffer {
  return Buffer.concat([BOM, Buffer.from(copyCsvRecord(REPORT_COLUMNS.map(([, label]) => label)))]);
}

/**
 * COPY ends each record with a bare LF; RFC 4180 wants CRLF. A newline inside a quoted cell is data and
 * stays as it is, so the quote state is tracked across chunks. Counting records here gives the row count.
 */
export async function* crlfRecords(source: AsyncIterable<Buffer>, counter: ExportCounter): AsyncGenerator<Buffer> {
  let inQuotes = false;
  for await (const chunk of source) {
    const parts: Buffer[] = [];
    let start = 0;
    let quote = chunk.indexOf(34);
    let newline = chunk.indexOf(10);
    while (newline !== -1) {
      if (quote !== -1 && quote < newline) {
        inQuotes = !inQuotes;
        quote = chunk.indexOf(34, quote + 1);
        continue;
      }
      if (!inQuotes) {
        parts.push(chunk.subarray(start, newline), CRLF);
        start = newline + 1;
        counter.rows++;
      }
      newline = chunk.indexOf(10, newline + 1);
    }
    for (; quote !== -1; quote = chunk.indexOf(34, quote + 1)) inQuotes = !inQuotes;
    parts.push(chunk.subarray(start));
    yield Buffer.concat(parts);
  }
}

export type CsvPath = "copy" | "cursor";

/** The whole CSV document as chunks: COPY on PostgreSQL unless told otherwise, a cursor on PGlite. */
export async function* csvChunks(
  db: Db,
  rowsQuery: SQL,
  counter: ExportCounter,
  path: CsvPath = databaseKind(db) === "postgres" ? "copy" : "cursor",
): AsyncGenerator<Buffer> {
  yield csvHeader();
  const cells = csvCellsQuery(rowsQuery);
  if (path === "copy") {
    const copy = await copyCsvStream(db, cells, QUOTED_COLUMNS);
    try {
      yield* crlfRecords(bufferedChunks(copy.stream), counter);
    } finally {
      copy.abandon();
    }
    return;
  }
  const columns = REPORT_COLUMNS.map(([column]) => column);
  const quoted = columns.map((c) => (QUOTED_COLUMNS as string[]).includes(c));
  for await (const rows of streamRows<Record<string, string | null>>(db, cells, 2000)) {
    let text = "";
    for (const row of rows)
      text += copyCsvRecord(
        columns.map((c) => row[c]),
        quoted,
      );
    counter.rows += rows.length;
    yield Buffer.from(text, "utf8");
  }
}
