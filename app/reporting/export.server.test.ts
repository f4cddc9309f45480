import { eq, sql } from "drizzle-orm";
import ExcelJS from "exceljs";
import { beforeAll, describe, expect, it } from "vitest";
import { STATUS_LABELS } from "~/tracking/status.server";
import { queryRows } from "~db/client.server";
import { auditLog, users } from "~db/schema";
import { parseCsv } from "../../test/support/csv";
import { freshDatabase } from "../../test/support/database";
import { unzip } from "../../test/support/zip";
import { collect } from "../../test/support/streams";
import {
  aPerson,
  aPolicyVersion,
  aRequiredModule,
  aSignature,
  aTeam,
  anAttempt,
  anOrganisation,
  asCurrentUser,
} from "../../test/support/factories";
import { neutraliseFormula } from "~/lib/csv";
import { recordEarlierTraining } from "~/tracking/earlier-training.server";
import { recordExemption } from "~/tracking/exemptions.server";
import { ALL_REQUIREMENTS, exemptionSchema } from "~/tracking/forms";
import { exemptionSummary } from "~/tracking/status-words";
import { EXEMPTION_REASONS } from "~/tracking/statuses";
import { evidenceOf } from "./evidence-labels";
import { exemptionReasonWords, KIND_LABELS, QUOTED_COLUMNS, REPORT_COLUMNS } from "./export-csv.server";
import { copyCsvStream, databaseKind, inlineParameters, sqlLiteral } from "./export-rows.server";
import { exportPage, startExport, type ExportFormat, type ExportJob } from "./export.server";
import { parseReportFilters, reportPage } from "./report.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-05-01T12:00:00Z");
const onPostgres = databaseKind(db) === "postgres";

/** Names a spreadsheet would run as formulas, names that only look like it, and cells RFC 4180 must quote. */
const HOSTILE = [
  '=HYPERLINK("http://attacker.example","click")',
  "+44 7700 900123",
  "-2+3",
  "@SUM(A1:A9)",
  "\tTabbed",
  "\rReturned",
  "\t=1+1",
  "Comma, Person",
  'Quote "Q" Person',
  "New\nLine",
];

/** E-mail addresses given to some of the people above: the first two stay usable, the last two are guarded. */
const EMAILS: Record<number, string> = {
  0: "+44team@example.test",
  2: "-ops.desk@example.test",
  3: "+a-@example.test",
  4: "-x@example.test(1)",
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A moment as UK local time with its offset, independently of the export's SQL (Intl's own UK offset). */
function ukTime(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "longOffset",
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === "GMT" ? "+00:00" : parts.timeZoneName.slice(3);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

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

async function exported(format: ExportFormat, query = "", options: { csvPath?: "copy" | "cursor" } = {}) {
  const started = await startExport(db, format, job(query), options);
  if (!started.ok) throw new Error(`export refused: ${started.reason}`);
  return { ...started, bytes: await collect(started.chunks) };
}

async function readSheet(bytes: Buffer) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook.getWorksheet("Report")!;
}

/** The sheet's own XML. */
async function sheetXmlOf(bytes: Buffer): Promise<string> {
  return (await unzip(bytes)).get("xl/worksheets/sheet1.xml")!.toString("utf8");
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
    const person = await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name,
      startDate: "2026-01-05",
      ...(EMAILS[i] ? { email: EMAILS[i] } : {}),
    });
    if (i === 1) await db.update(users).set({ employeeNumber: "=1+1" }).where(eq(users.id, person.id));
    if (i % 2 === 0) {
      await anAttempt(db, person, required, {
        status: "passed",
        startedAt: new Date("2026-02-01T09:00:00Z"),
        completedAt: new Date("2026-02-01T09:20:00Z"),
      });
      // One signature in British Summer Time, the others in winter.
      await aSignature(db, person, v1, new Date(i === 0 ? "2026-04-02T10:00:00Z" : "2026-02-02T10:00:00Z"));
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

  it("guards what a spreadsheet would evaluate, keeps e-mail addresses usable, and quotes what people typed", async () => {
    const records = parseCsv((await exported("csv")).bytes.subarray(3).toString("utf8"));
    const names = records.slice(1).map((r) => r[1]);
    expect(new Set(names)).toEqual(
      new Set([
        "Harriet HR",
        `'=HYPERLINK("http://attacker.example","click")`,
        "'+44 7700 900123",
        "'-2+3",
        "'@SUM(A1:A9)",
        "\tTabbed",
        "\rReturned",
        "'\t=1+1",
        "Comma, Person",
        'Quote "Q" Person',
        "New\nLine",
      ]),
    );
    const emails = new Set(records.slice(1).map((r) => r[2]));
    for (const usable of ["+44team@example.test", "-ops.desk@example.test"]) expect(emails).toContain(usable);
    for (const guarded of ["'+a-@example.test", "'-x@example.test(1)"]) expect(emails).toContain(guarded);
    for (const record of records.slice(1)) {
      expect(record).toHaveLength(REPORT_COLUMNS.length);
      for (const cell of record) {
        expect(cell).not.toMatch(/^[\t\r\n ]*[=@]/);
        if (/^[\t\r\n ]*[+-]/.test(cell)) expect(["+44team@example.test", "-ops.desk@example.test"]).toContain(cell);
      }
    }
    expect(records.slice(1).map((r) => r[3])).toContain("'@Red team");
    expect(records.slice(1).map((r) => r[0])).toContain("'=1+1");
    const raw = (await exported("csv")).bytes.toString("utf8");
    expect(raw).toContain(`"'=HYPERLINK(""http://attacker.example"",""click"")"`);
    expect(raw).toContain('"New\nLine"');
    expect(raw).toContain('"Comma, Person"');
    // Typed text is quoted whatever it holds, so a leading tab is never read as a separator or dropped.
    expect(raw).toContain(',"\tTabbed",');
    expect(raw).toContain(',"\rReturned",');
    expect(raw).toContain(',"Harriet HR",');
  });

  it("gives dates as ISO days and times as UK local time with the offset, and the five ids last", async () => {
    const records = parseCsv((await exported("csv")).bytes.subarray(3).toString("utf8"));
    const header = records[0];
    expect(header.slice(-5)).toEqual(["Attempt ID", "Earlier training ID", "User ID", "Requirement ID", "Team ID"]);
    const at = (label: string) => header.indexOf(label);
    const completed = records.slice(1).map((r) => r[at("Completed at")]);
    expect(completed).toContain("2026-02-01T09:20:00+00:00");
    expect(completed).toContain("2026-02-02T10:00:00+00:00");
    expect(completed).toContain("2026-04-02T11:00:00+01:00");
    for (const record of records.slice(1)) {
      expect(record[at("Since")]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(record[at("Due on")]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (record[at("Completed at")])
        expect(record[at("Completed at")]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
      // What a person reads comes first: no id before the last five columns.
      for (const cell of record.slice(0, -5)) expect(cell).not.toMatch(UUID);
      expect(record[at("User ID")]).toMatch(UUID);
      expect(record[at("Requirement ID")]).toMatch(UUID);
    }
  });

  it("holds exactly the report rows, with the report's labels, whichever path wrote it", async () => {
    const page = await reportPage(db, org.id, { ...filters(), page: 1 }, now);
    const typed = new Set<string>(QUOTED_COLUMNS);
    const cell = (column: string, v: unknown) => {
      if (v === null || v === undefined) return "";
      const text = typed.has(column)
        ? neutraliseFormula(String(v))
        : column === "completed_at"
          ? ukTime(String(v))
          : String(v);
      return typed.has(column) || text === "" || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    const expected =
      `\uFEFF${REPORT_COLUMNS.map(([, l]) => l).join(",")}\r\n` +
      page.rows
        .map(
          (r) =>
            REPORT_COLUMNS.map(([c]) =>
              cell(
                c,
                c === "status"
                  ? STATUS_LABELS[r.status]
                  : c === "kind"
                    ? KIND_LABELS[r.kind]
                    : c === "evidence"
                      ? evidenceOf(r)
                      : c === "exemption_reason"
                        ? exemptionReasonWords(r)
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
      // The people without attempts or signatures (every second one) and Harriet, two requirements each.
      rows: Math.floor(HOSTILE.length / 2) * 2 + 2,
      outcome: "completed",
      via: "web",
    });
  });

  it("records the start before the first byte, and an abandoned download with the rows sent so far", async () => {
    const started = await startExport(db, "csv", job());
    if (!started.ok) throw new Error("refused");
    const [begun] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "report.exported"))
      .orderBy(sql`${auditLog.id} desc`)
      .limit(1);
    expect(begun.details).toMatchObject({ outcome: "started", format: "csv", exportId: expect.any(String) });
    await started.chunks.next();
    await started.chunks.return(undefined);
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "report.exported"))
      .orderBy(sql`${auditLog.id} desc`)
      .limit(1);
    expect(entry.details).toMatchObject({ outcome: "abandoned", format: "csv", exportId: begun.details.exportId });
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
  it("opens in a spreadsheet reader with the same rows, every text cell typed text holding exactly what was typed", async () => {
    const { bytes, contentType } = await exported("xlsx");
    expect(contentType).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    // Inline strings (t="inlineStr"): text, never a formula, so nothing is guarded.
    const sheetXml = await sheetXmlOf(bytes);
    expect(sheetXml).not.toContain("<f>");
    expect(sheetXml).toContain('t="inlineStr"');
    const sheet = await readSheet(bytes);
    expect(sheet.rowCount).toBe(HOSTILE.length * 2 + 3);
    expect(sheet.getRow(1).values).toEqual([undefined, ...REPORT_COLUMNS.map(([, l]) => l)]);
    const names = new Set<string>();
    const emails = new Set<string>();
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      for (const [i, [column]] of REPORT_COLUMNS.entries()) {
        if (
          ["since", "due_on", "completed_at", "earlier_training_completed_on", "exempt_from", "exempt_until"].includes(
            column,
          )
        )
          continue;
        const cell = row.getCell(i + 1);
        if (cell.value === null) continue;
        expect(cell.type).toBe(ExcelJS.ValueType.RichText);
      }
      names.add(row.getCell(2).text);
      emails.add(row.getCell(3).text);
    });
    // A leading tab and a carriage return come back as they were, and nothing gained an apostrophe.
    expect(names).toEqual(new Set(["Harriet HR", ...HOSTILE]));
    for (const email of Object.values(EMAILS)) expect(emails).toContain(email);
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "report.exported"))
      .orderBy(sql`${auditLog.id} desc`)
      .limit(1);
    expect(entry.details).toMatchObject({ format: "xlsx", rows: HOSTILE.length * 2 + 2, outcome: "completed" });
  });

  it("holds dates a spreadsheet understands, shown in UK form, with the five ids last", async () => {
    const sheet = await readSheet((await exported("xlsx")).bytes);
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(-5)).toEqual(["Attempt ID", "Earlier training ID", "User ID", "Requirement ID", "Team ID"]);
    const column = (label: string) => header.indexOf(label) + 1;
    const completed: string[] = [];
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      for (const label of ["Since", "Due on"]) {
        const cell = row.getCell(column(label));
        expect(cell.type).toBe(ExcelJS.ValueType.Date);
        expect(cell.numFmt).toBe("dd/mm/yyyy");
        expect((cell.value as Date).toISOString()).toMatch(/T00:00:00.000Z$/);
      }
      const at = row.getCell(column("Completed at"));
      if (at.value !== null) {
        expect(at.type).toBe(ExcelJS.ValueType.Date);
        expect(at.numFmt).toBe("dd/mm/yyyy hh:mm");
        // A spreadsheet's time has no zone: the cell holds the UK wall-clock time.
        completed.push((at.value as Date).toISOString());
      }
      for (let c = 1; c <= header.length - 5; c++) expect(row.getCell(c).text).not.toMatch(UUID);
      expect(row.getCell(column("User ID")).text).toMatch(UUID);
    });
    expect(completed).toContain("2026-02-01T09:20:00.000Z");
    expect(completed).toContain("2026-04-02T11:00:00.000Z");
    // The row of the person whose signature was in summer: its due and since days, as the report gives them.
    const page = await reportPage(db, org.id, { ...filters(), page: 1 }, now);
    const summer = page.rows.find((r) => r.completed_at === "2026-04-02T10:00:00.000Z")!;
    let found = false;
    sheet.eachRow((row) => {
      if (row.getCell(column("Completed at")).text === "" || row.getCell(column("User ID")).text !== summer.user_id)
        return;
      if (row.getCell(column("Kind")).text !== KIND_LABELS.policy) return;
      found = true;
      expect((row.getCell(column("Since")).value as Date).toISOString().slice(0, 10)).toBe(summer.since);
      expect((row.getCell(column("Due on")).value as Date).toISOString().slice(0, 10)).toBe(summer.due_on);
    });
    expect(found).toBe(true);
  });

  it("has columns wide enough for names and e-mails and prints across one page's width", async () => {
    const sheet = await readSheet((await exported("xlsx")).bytes);
    const people = await db
      .select({ name: users.name, email: users.email })
      .from(users)
      .where(eq(users.organisationId, org.id));
    const longestName = Math.max(...people.map((p) => p.name.length));
    const longestEmail = Math.max(...people.map((p) => (p.email ?? "").length));
    expect(sheet.getColumn(2).width).toBeGreaterThanOrEqual(longestName);
    expect(sheet.getColumn(3).width).toBeGreaterThanOrEqual(longestEmail);
    expect(sheet.pageSetup).toMatchObject({ fitToPage: true, fitToWidth: 1, fitToHeight: 0, orientation: "landscape" });
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

describe("exemptions and training completed elsewhere", () => {
  /** A council of its own: one person exempt for "other" reasons, one from the code of conduct only, one trained elsewhere. */
  async function aCouncilWithExemptionsAndEarlierTraining() {
    const council = await anOrganisation(db);
    const office = await aTeam(db, council.id, "Office");
    const required = await aRequiredModule(db, council.id, { title: "Personal use" });
    await aPolicyVersion(db, council.id, { label: "1", effectiveDate: "2026-01-01" });
    const hrRow = await aPerson(db, {
      organisationId: council.id,
      teamId: office.id,
      role: "hr",
      name: "Hazel Records",
      startDate: "2026-01-05",
    });
    const hrUser = asCurrentUser(hrRow, council);
    const away = await aPerson(db, {
      organisationId: council.id,
      teamId: office.id,
      name: "Away Person",
      startDate: "2026-01-05",
    });
    const parent = await aPerson(db, {
      organisationId: council.id,
      teamId: office.id,
      name: "Parent Person",
      startDate: "2026-01-05",
    });
    const trained = await aPerson(db, {
      organisationId: council.id,
      teamId: office.id,
      name: "Trained Person",
      startDate: "2026-01-05",
    });
    const at = (iso: string) => ({ ip: null, requestId: null, now: new Date(iso) });
    const exemption = (input: Record<string, unknown>) =>
      exemptionSchema.parse({ approvedBy: "Head of HR", requirementId: ALL_REQUIREMENTS, ...input });
    expect(
      await recordExemption(
        db,
        hrUser,
        away.id,
        exemption({ reason: "other", reasonText: "=on a sabbatical", startsOn: "2026-03-01", endsOn: "2026-09-30" }),
        at("2026-02-20T10:00:00Z"),
      ),
    ).toMatchObject({ ok: true });
    const policyRequirement = (
      await queryRows<{ id: string }>(
        db,
        sql`select id from requirements where organisation_id = ${council.id}::uuid and kind = 'policy'`,
      )
    )[0];
    expect(
      await recordExemption(
        db,
        hrUser,
        parent.id,
        exemption({ reason: "parental_leave", requirementId: policyRequirement.id, startsOn: "2026-04-01" }),
        at("2026-03-20T10:00:00Z"),
      ),
    ).toMatchObject({ ok: true });
    const recorded = await recordEarlierTraining(
      db,
      hrUser,
      trained.id,
      {
        requirementId: required.requirement.id,
        completedOn: "2026-02-10",
        description: "-Classroom course at Barset Council",
        file: { name: "certificate.pdf", bytes: new TextEncoder().encode("%PDF-1.4\nevidence\n%%EOF\n") },
      },
      at("2026-02-12T10:00:00Z"),
    );
    expect(recorded.ok).toBe(true);
    const [earlier] = await queryRows<{ id: string }>(
      db,
      sql`select id from earlier_training where user_id = ${trained.id}::uuid`,
    );
    return { council, required, away, parent, trained, earlierId: earlier.id };
  }

  async function exportedFor(
    format: ExportFormat,
    organisationId: string,
    options: { csvPath?: "copy" | "cursor" } = {},
  ) {
    const started = await startExport(db, format, job("", organisationId), options);
    if (!started.ok) throw new Error(`export refused: ${started.reason}`);
    return collect(started.chunks);
  }

  it("CSV names the exemption in words with its days, and training completed elsewhere as what it is", async () => {
    const { council, away, parent, trained, earlierId } = await aCouncilWithExemptionsAndEarlierTraining();
    const records = parseCsv((await exportedFor("csv", council.id)).subarray(3).toString("utf8"));
    const header = records[0];
    const rows = records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
    const row = (userId: string, kind: string) => rows.find((r) => r["User ID"] === userId && r.Kind === kind)!;
    for (const kind of [KIND_LABELS.module, KIND_LABELS.policy])
      expect(row(away.id, kind)).toMatchObject({
        Status: "Exempt",
        // HR's own text for "other", guarded like anything typed.
        "Exemption reason": "Other: =on a sabbatical",
        "Exempt from": "2026-03-01",
        "Exempt until": "2026-09-30",
        "Completed at": "",
        Evidence: "",
        "Attempt ID": "",
        "Attestation reference": "",
        "Policy version signed": "",
        "Training completed elsewhere": "",
      });
    expect(row(parent.id, KIND_LABELS.policy)).toMatchObject({
      Status: "Exempt",
      "Exemption reason": "Parental leave",
      "Exempt from": "2026-04-01",
      "Exempt until": "",
      Evidence: "",
      "Attestation reference": "",
    });
    // Exempt from the code of conduct only: the module is still outstanding, with no exemption named.
    expect(row(parent.id, KIND_LABELS.module)).toMatchObject({
      Status: "Overdue",
      "Exemption reason": "",
      "Exempt from": "",
    });
    expect(row(trained.id, KIND_LABELS.module)).toMatchObject({
      Status: "Complete",
      Evidence: "Training completed elsewhere",
      "Training completed elsewhere": "'-Classroom course at Barset Council",
      "Completed elsewhere on": "2026-02-10",
      "Recorded by": "Hazel Records",
      "Earlier training ID": earlierId,
      // Never a pass of our module nor a signature.
      "Attempt ID": "",
      "Attestation reference": "",
      "Policy version signed": "",
      "Exemption reason": "",
    });
    const raw = (await exportedFor("csv", council.id)).toString("utf8");
    // Typed text is quoted; the generated days and labels are not.
    expect(raw).toContain(`,"Other: =on a sabbatical",2026-03-01,2026-09-30,`);
    expect(raw).toContain(`,"'-Classroom course at Barset Council",2026-02-10,"Hazel Records",`);
    expect(rows.filter((r) => r.Status === "Exempt")).toHaveLength(3);
    // COPY and the cursor write the same bytes.
    if (onPostgres)
      expect((await exportedFor("csv", council.id, { csvPath: "cursor" })).equals(Buffer.from(raw, "utf8"))).toBe(true);
  });

  it("words every reason the same in SQL (CSV) as in JavaScript (XLSX and the pack)", async () => {
    const council = await anOrganisation(db);
    const office = await aTeam(db, council.id, "Office");
    await aRequiredModule(db, council.id, { title: "Personal use" });
    const hrUser = asCurrentUser(
      await aPerson(db, { organisationId: council.id, teamId: office.id, role: "hr", startDate: "2026-01-05" }),
      council,
    );
    for (const reason of EXEMPTION_REASONS) {
      const person = await aPerson(db, { organisationId: council.id, teamId: office.id, startDate: "2026-01-05" });
      const recorded = await recordExemption(
        db,
        hrUser,
        person.id,
        exemptionSchema.parse({
          requirementId: ALL_REQUIREMENTS,
          reason,
          ...(reason === "other" ? { reasonText: "Jury service, 'long' trial" } : {}),
          startsOn: "2026-02-01",
          approvedBy: "Head of HR",
        }),
        { ip: null, requestId: null, now: new Date("2026-01-20T10:00:00Z") },
      );
      expect(recorded.ok).toBe(true);
    }
    const page = await reportPage(db, council.id, { ...filters(), page: 1 }, now);
    const started = await startExport(db, "csv", job("", council.id));
    if (!started.ok) throw new Error(started.reason);
    const records = parseCsv((await collect(started.chunks)).subarray(3).toString("utf8"));
    const at = (label: string) => records[0].indexOf(label);
    const csvWords = new Map(
      records.slice(1).map((r) => [`${r[at("User ID")]} ${r[at("Requirement ID")]}`, r[at("Exemption reason")]]),
    );
    const exempt = page.rows.filter((r) => r.status === "exempt");
    expect(exempt).toHaveLength(EXEMPTION_REASONS.length);
    for (const row of exempt) {
      const words = csvWords.get(`${row.user_id} ${row.requirement_id}`);
      expect(words).toBe(exemptionReasonWords(row));
      // HR's report page words the same reason, HR's own text for "other" included.
      const onPage = exemptionSummary({
        exemptionReason: row.exemption_reason,
        exemptionReasonText: row.exemption_reason_text,
        exemptUntil: row.exempt_until,
      });
      expect(onPage.toLowerCase()).toContain(`(${words!.toLowerCase()})`);
    }
    expect(new Set(exempt.map((r) => exemptionReasonWords(r)))).toEqual(
      new Set([
        "Parental leave",
        "Long-term absence",
        "Secondment",
        "Not applicable to the role",
        "Other: Jury service, 'long' trial",
      ]),
    );
  });

  it("XLSX holds the same, the days as date cells and the words as typed text", async () => {
    const { council, away, trained, earlierId } = await aCouncilWithExemptionsAndEarlierTraining();
    const sheet = await readSheet(await exportedFor("xlsx", council.id));
    const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
    const column = (label: string) => header.indexOf(label) + 1;
    let seen = 0;
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      const user = row.getCell(column("User ID")).text;
      const kind = row.getCell(column("Kind")).text;
      if (user === away.id && kind === KIND_LABELS.module) {
        seen++;
        expect(row.getCell(column("Status")).text).toBe("Exempt");
        const reason = row.getCell(column("Exemption reason"));
        expect(reason.type).toBe(ExcelJS.ValueType.RichText);
        // Typed text in a workbook needs no apostrophe: it is never a formula.
        expect(reason.text).toBe("Other: =on a sabbatical");
        for (const [label, day] of [
          ["Exempt from", "2026-03-01"],
          ["Exempt until", "2026-09-30"],
        ]) {
          const cell = row.getCell(column(label));
          expect(cell.type).toBe(ExcelJS.ValueType.Date);
          expect(cell.numFmt).toBe("dd/mm/yyyy");
          expect((cell.value as Date).toISOString()).toBe(`${day}T00:00:00.000Z`);
        }
        expect(row.getCell(column("Evidence")).value).toBeNull();
        expect(row.getCell(column("Attempt ID")).value).toBeNull();
      }
      if (user === trained.id && kind === KIND_LABELS.module) {
        seen++;
        expect(row.getCell(column("Evidence")).text).toBe("Training completed elsewhere");
        expect(row.getCell(column("Training completed elsewhere")).text).toBe("-Classroom course at Barset Council");
        expect(row.getCell(column("Recorded by")).text).toBe("Hazel Records");
        const day = row.getCell(column("Completed elsewhere on"));
        expect(day.type).toBe(ExcelJS.ValueType.Date);
        expect((day.value as Date).toISOString()).toBe("2026-02-10T00:00:00.000Z");
        expect(row.getCell(column("Earlier training ID")).text).toBe(earlierId);
        expect(row.getCell(column("Attempt ID")).value).toBeNull();
        expect(row.getCell(column("Attestation reference")).value).toBeNull();
      }
    });
    expect(seen).toBe(2);
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
