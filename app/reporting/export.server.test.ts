import { eq, sql } from "drizzle-orm";
import ExcelJS from "exceljs";
import { beforeAll, describe, expect, it } from "vitest";
import { STATUS_LABELS } from "~/tracking/status.server";
import { queryRows } from "~db/client.server";
import { auditLog, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aPerson,
  aPolicyVersion,
  aRequiredModule,
  aSignature,
  aTeam,
  anAttempt,
  anOrganisation,
} from "../../test/support/factories";
import { KIND_LABELS, REPORT_COLUMNS } from "./export-csv.server";
import { copyCsvStream, databaseKind, inlineParameters, sqlLiteral } from "./export-rows.server";
import { exportPage, startExport, type ExportFormat, type ExportJob } from "./export.server";
import { parseReportFilters, reportPage } from "./report.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-05-01T12:00:00Z");
const onPostgres = databaseKind(db) === "postgres";

/** Names a spreadsheet would run as formulas, and cells RFC 4180 must quote. */
const HOSTILE = [
  '=HYPERLINK("http://attacker.example","click")',
  "+44 7700 900123",
  "-2+3",
  "@SUM(A1:A9)",
  "\tTabbed",
  "\rReturned",
  "Comma, Person",
  'Quote "Q" Person',
  "New\nLine",
];

let org: Awaited<ReturnType<typeof anOrganisation>>;
let other: Awaited<ReturnType<typeof anOrganisation>>;
let team: Awaited<ReturnType<typeof aTeam>>;
let otherTeam: Awaited<ReturnType<typeof aTeam>>;
let hr: Awaited<ReturnType<typeof aPerson>>;

const filters = (query = "") => {
  const parsed = parseReportFilters(new URLSearchParams(query), now);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  const { page: _page, ...rest } = parsed.data;
  return rest;
};

const job = (query = "", organisationId = org.id): ExportJob => ({
  organisationId,
  filters: filters(query),
  now,
  serviceUrl: "https://smcoc.example",
  actor: { userId: hr.id, via: "web" },
  request: { ip: "192.0.2.7", requestId: "test-request" },
});

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

async function exported(format: ExportFormat, query = "", options: { csvPath?: "copy" | "cursor" } = {}) {
  const started = await startExport(db, format, job(query), options);
  if (!started.ok) throw new Error(`export refused: ${started.reason}`);
  return { ...started, bytes: await collect(started.chunks) };
}

/** A small RFC 4180 reader, to read back what was written. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      record.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      record.push(cell);
      records.push(record);
      record = [];
      cell = "";
      i++;
    } else cell += c;
  }
  if (cell !== "" || record.length > 0) throw new Error("The last record does not end with CRLF");
  return records;
}

beforeAll(async () => {
  org = await anOrganisation(db);
  other = await anOrganisation(db);
  team = await aTeam(db, org.id, "@Red team");
  otherTeam = await aTeam(db, other.id, "Other");
  hr = await aPerson(db, {
    organisationId: org.id,
    teamId: team.id,
    role: "hr",
    name: "Harriet HR",
    startDate: "2026-01-05",
  });
  const required = await aRequiredModule(db, org.id, { title: "Personal use" });
  const v1 = await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2026-01-01" });
  for (const [i, name] of HOSTILE.entries()) {
    const person = await aPerson(db, { organisationId: org.id, teamId: team.id, name, startDate: "2026-01-05" });
    if (i === 1) await db.update(users).set({ employeeNumber: "=1+1" }).where(eq(users.id, person.id));
    if (i % 2 === 0) {
      await anAttempt(db, person, required, {
        status: "passed",
        startedAt: new Date("2026-02-01T09:00:00Z"),
        completedAt: new Date("2026-02-01T09:20:00Z"),
      });
      await aSignature(db, person, v1, new Date("2026-02-02T10:00:00Z"));
    }
  }
  await aPerson(db, { organisationId: other.id, teamId: otherTeam.id, name: "Someone else", startDate: "2026-01-05" });
});

describe("CSV export", () => {
  it("is UTF-8 with a byte order mark, a header and CRLF after every record", async () => {
    const { bytes, filename, contentType } = await exported("csv");
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString("utf8");
    expect(text.startsWith(`${REPORT_COLUMNS.map(([, label]) => label).join(",")}\r\n`)).toBe(true);
    expect(text.endsWith("\r\n")).toBe(true);
    expect(contentType).toBe("text/csv; charset=utf-8");
    expect(filename).toBe(`${org.slug}-report-2026-05-01.csv`);
  });

  it("neutralises every cell that starts with = + - @ tab or carriage return, and quotes commas, quotes and newlines", async () => {
    const records = parseCsv((await exported("csv")).bytes.subarray(3).toString("utf8"));
    const names = records.slice(1).map((r) => r[1]);
    expect(new Set(names)).toEqual(
      new Set([
        "Harriet HR",
        `'=HYPERLINK("http://attacker.example","click")`,
        "'+44 7700 900123",
        "'-2+3",
        "'@SUM(A1:A9)",
        "'\tTabbed",
        "'\rReturned",
        "Comma, Person",
        'Quote "Q" Person',
        "New\nLine",
      ]),
    );
    for (const record of records.slice(1)) {
      expect(record).toHaveLength(REPORT_COLUMNS.length);
      for (const cell of record) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(records.slice(1).map((r) => r[3])).toContain("'@Red team");
    expect(records.slice(1).map((r) => r[0])).toContain("'=1+1");
    const raw = (await exported("csv")).bytes.toString("utf8");
    expect(raw).toContain(`"'=HYPERLINK(""http://attacker.example"",""click"")"`);
    expect(raw).toContain('"New\nLine"');
    expect(raw).toContain('"Comma, Person"');
  });

  it("holds exactly the report rows, with the report's labels, whichever path wrote it", async () => {
    const page = await reportPage(db, org.id, { ...filters(), page: 1 }, now);
    const neutral = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
    const cell = (v: unknown) => {
      if (v === null || v === undefined) return "";
      const text = neutral(String(v));
      return text === "" || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    const expected =
      `\uFEFF${REPORT_COLUMNS.map(([, l]) => l).join(",")}\r\n` +
      page.rows
        .map(
          (r) =>
            REPORT_COLUMNS.map(([c]) =>
              cell(
                c === "status"
                  ? STATUS_LABELS[r.status]
                  : c === "kind"
                    ? KIND_LABELS[r.kind]
                    : (r as Record<string, unknown>)[c],
              ),
            ).join(",") + "\r\n",
        )
        .join("");
    const viaDefault = await exported("csv");
    expect(viaDefault.bytes.toString("utf8")).toBe(expected);
    expect(page.rows.length).toBe(HOSTILE.length * 2 + 2);
    if (onPostgres) {
      const viaCursor = await exported("csv", "", { csvPath: "cursor" });
      expect(viaCursor.bytes.equals(viaDefault.bytes)).toBe(true);
    }
  });

  it("applies the report's filters", async () => {
    const records = parseCsv((await exported("csv", "status=complete")).bytes.subarray(3).toString("utf8"));
    expect(records.slice(1).every((r) => r[6] === "Complete")).toBe(true);
    expect(records.length - 1).toBe(Math.ceil(HOSTILE.length / 2) * 2);
  });

  it("writes the audit log once the download ends: who, the filters, the format and the row count", async () => {
    await exported("csv", `team=${team.id}&status=overdue`);
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "report.exported"))
      .orderBy(sql`${auditLog.id} desc`)
      .limit(1);
    expect(entry).toMatchObject({
      organisationId: org.id,
      actorUserId: hr.id,
      subjectType: "organisation",
      ip: "192.0.2.7",
      requestId: "test-request",
    });
    expect(entry.details).toMatchObject({
      format: "csv",
      filters: { team: team.id, status: ["overdue"] },
      rows: HOSTILE.length + 1,
      outcome: "completed",
      via: "web",
    });
  });

  it("records an abandoned download as cancelled, with the rows sent so far", async () => {
    const started = await startExport(db, "csv", job());
    if (!started.ok) throw new Error("refused");
    await started.chunks.next();
    await started.chunks.return(undefined);
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "report.exported"))
      .orderBy(sql`${auditLog.id} desc`)
      .limit(1);
    expect(entry.details).toMatchObject({ outcome: "cancelled", format: "csv" });
  });

  it("answers not found for a team or policy version of another organisation", async () => {
    expect(await startExport(db, "csv", job(`team=${otherTeam.id}`))).toEqual({ ok: false, reason: "not-found" });
    const otherVersion = await aPolicyVersion(db, other.id, { label: "9" });
    expect(await startExport(db, "xapi", job(`policyVersion=${otherVersion.id}`))).toEqual({
      ok: false,
      reason: "not-found",
    });
  });
});

describe("XLSX export", () => {
  it("opens in a spreadsheet reader with the same rows, names as plain text", async () => {
    const { bytes, contentType } = await exported("xlsx");
    expect(contentType).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet("Report")!;
    expect(sheet.rowCount).toBe(HOSTILE.length * 2 + 3);
    expect(sheet.getRow(1).values).toEqual([undefined, ...REPORT_COLUMNS.map(([, l]) => l)]);
    const names = new Set<string>();
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      const cell = row.getCell(2);
      expect(cell.type).toBe(ExcelJS.ValueType.String);
      names.add(String(cell.value));
    });
    // XML reads a carriage return back as a line feed (XML 1.0, end-of-line handling): the text is otherwise exact.
    expect(names).toEqual(new Set(["Harriet HR", ...HOSTILE.map((n) => n.replace(/\r/g, "\n"))]));
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "report.exported"))
      .orderBy(sql`${auditLog.id} desc`)
      .limit(1);
    expect(entry.details).toMatchObject({ format: "xlsx", rows: HOSTILE.length * 2 + 2, outcome: "completed" });
  });
  it("refuses a workbook larger than the writer holds, and the exports page says why and what to do", async () => {
    expect(await startExport(db, "xlsx", job(), { xlsxMaxRows: 5 })).toEqual({
      ok: false,
      reason: "too-many-rows",
      rows: HOSTILE.length * 2 + 2,
      max: 5,
    });
    const page = await exportPage(db, org.id, new URLSearchParams("format=xlsx&problem=xlsx-too-large"), now, 5);
    expect(page.errors.format).toBe(
      `This selection has ${HOSTILE.length * 2 + 2} rows: an Excel download holds at most 5. Choose CSV (Excel opens it), or choose a team, status or dates to select fewer rows.`,
    );
  });
});

describe("COPY with inlined parameters", () => {
  it("writes any text as a literal PostgreSQL reads back unchanged", async () => {
    for (const value of ["plain", "it's", "$v$", "ends in $v", "$$", "back\\slash", "new\nline", "£ and ☃"]) {
      const [row] = await queryRows<{ v: string }>(db, sql.raw(`select ${sqlLiteral(value)}::text as v`));
      expect(row.v).toBe(value);
    }
    expect(inlineParameters(sql`select ${"a"}::text, ${2}::int, ${"b"}::text`)).toBe(
      "select $v$a$v$::text, 2::int, $v$b$v$::text",
    );
  });

  it.runIf(onPostgres)("frees the connection when a COPY is abandoned part-way", async () => {
    const copy = await copyCsvStream(db, sql`select g, repeat('x', 200) from generate_series(1, 2000000) g`);
    const iterator = copy.stream.iterator({ destroyOnReturn: false });
    await iterator.next();
    await iterator.return?.();
    copy.abandon();
    await new Promise<void>((resolve) => copy.stream.once("close", () => resolve()));
    const [row] = await queryRows<{ ok: number }>(db, sql`select 1 as ok`);
    expect(row.ok).toBe(1);
  });
});
