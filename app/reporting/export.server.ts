import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { datePartsOf, type DateParts } from "~/lib/date-fields";
import { londonDate } from "~/lib/dates";
import { queryRows, type Db } from "~db/client.server";
import { organisations, policies, policyVersions, teams } from "~db/schema";
import { EXPORT_FORMATS, type ExportFormat } from "./export-formats";
import { csvChunks, type CsvPath, type ExportCounter } from "./export-csv.server";
import { streamRows } from "./export-rows.server";
import { exportRowsQuery, parseReportFilters, reportClock, type ReportFilters, type ReportRow } from "./report.server";
import { XAPI_RULE, xapiChunks } from "./xapi.server";

/**
 * One export pipeline per format, used by the download route and by `npm run export`: the report rows for
 * the filters, streamed as they are read (memory stays flat whatever the row count), and audit entries
 * with who, the filters and the format when it starts, and the row count once it ends, fails or is abandoned.
 */
export { EXPORT_FORMATS, FORMAT_LABELS, type ExportFormat } from "./export-formats";

const FILES: Record<ExportFormat, { extension: string; contentType: string }> = {
  csv: { extension: "csv", contentType: "text/csv; charset=utf-8" },
  xlsx: { extension: "xlsx", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
  xapi: { extension: "jsonl", contentType: "application/x-ndjson; charset=utf-8" },
};

/**
 * exceljs's streaming writer does not wait for its reader, so a workbook download is capped; a larger
 * selection is refused before it starts, with a message pointing to CSV (docs/decisions/0008-exports.md).
 */
export const XLSX_MAX_ROWS = 100_000;

export type ExportFilters = Omit<ReportFilters, "page">;

export type ExportActor = {
  userId: string | null;
  /** "web", or "command line" with the operating system account that ran it. */
  via: "web" | "command line";
  operator?: string;
};

export type ExportJob = {
  organisationId: string;
  filters: ExportFilters;
  now: Date;
  /**
   * The service's address (SERVICE_URL, else the address the request came to): the base of the xAPI identifiers
   * only if the organisation has none yet (organisations.xapi_iri_base keeps the first for ever).
   */
  serviceUrl: string;
  actor: ExportActor;
  request: RequestInfo;
};

export type ExportStart =
  | { ok: true; filename: string; contentType: string; chunks: AsyncGenerator<Buffer>; progress: ExportCounter }
  | { ok: false; reason: "not-found" }
  | { ok: false; reason: "too-many-rows"; rows: number; max: number };

/** A team or policy version named in the filters must be the organisation's own; anything else is "not found". */
export async function filtersBelongTo(db: Db, organisationId: string, filters: ExportFilters): Promise<boolean> {
  const [team, version] = await Promise.all([
    filters.team
      ? db
          .select({ id: teams.id })
          .from(teams)
          .where(and(eq(teams.id, filters.team), eq(teams.organisationId, organisationId)))
      : [{ id: "" }],
    filters.policyVersion
      ? db
          .select({ id: policyVersions.id })
          .from(policyVersions)
          .where(and(eq(policyVersions.id, filters.policyVersion), eq(policyVersions.organisationId, organisationId)))
      : [{ id: "" }],
  ]);
  return team.length > 0 && version.length > 0;
}

/** The filters as they go into an audit entry and a manifest: only what was chosen. */
export function chosenFilters(filters: ExportFilters): Record<string, unknown> {
  const chosen: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filters)) {
    if (key === "page" || value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    chosen[key] = value;
  }
  return chosen;
}

export async function countReportRows(
  db: Db,
  organisationId: string,
  filters: ExportFilters,
  now: Date,
): Promise<number> {
  const [{ rows }] = await queryRows<{ rows: number }>(
    db,
    sql`select count(*)::int as rows from (${exportRowsQuery(organisationId, filters, now)}) r`,
  );
  return Number(rows);
}

async function fileStem(db: Db, organisationId: string, filters: ExportFilters, now: Date): Promise<string> {
  const [org] = await db
    .select({ slug: organisations.slug })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  const day = filters.asAt ?? londonDate(now);
  return `${org?.slug ?? "organisation"}-report-${day}`;
}

type AuditedEntry = {
  action: string;
  organisationId: string;
  actor: ExportActor;
  request: RequestInfo;
  details: Record<string, unknown>;
};

/**
 * An export's chunks with its audit entries: one written before the first byte ("started"), and one when it
 * ends: "completed", "failed" (with the error) or "abandoned" (the client went away), with the rows and bytes
 * sent. Both carry the same `exportId`, so a download that never ends still left its mark.
 */
export async function audited(
  db: Db,
  chunks: AsyncGenerator<Buffer>,
  counter: ExportCounter,
  entry: AuditedEntry,
): Promise<AsyncGenerator<Buffer>> {
  const exportId = randomUUID();
  const write = (details: Record<string, unknown>) =>
    writeAudit(
      db,
      {
        action: entry.action,
        organisationId: entry.organisationId,
        actorUserId: entry.actor.userId,
        subjectType: "organisation",
        subjectId: entry.organisationId,
        details: {
          ...entry.details,
          exportId,
          ...details,
          via: entry.actor.via,
          ...(entry.actor.operator ? { operator: entry.actor.operator } : {}),
        },
      },
      entry.request,
    );
  await write({ outcome: "started" });
  return auditedToTheEnd(chunks, counter, write);
}

async function* auditedToTheEnd(
  chunks: AsyncGenerator<Buffer>,
  counter: ExportCounter,
  write: (details: Record<string, unknown>) => Promise<void>,
): AsyncGenerator<Buffer> {
  const started = Date.now();
  let bytes = 0;
  let outcome: "completed" | "failed" | "abandoned" = "abandoned";
  let error: string | undefined;
  try {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      yield chunk;
    }
    outcome = "completed";
  } catch (e) {
    outcome = "failed";
    error = (e as Error).message;
    throw e;
  } finally {
    await write({ rows: counter.rows, bytes, outcome, ...(error ? { error } : {}), ms: Date.now() - started });
  }
}

/** The report rows themselves, in batches, for formats written in Node. */
export function reportRowBatches(
  db: Db,
  organisationId: string,
  filters: ExportFilters,
  now: Date,
): AsyncGenerator<ReportRow[]> {
  return streamRows<ReportRow>(db, exportRowsQuery(organisationId, filters, now), 2000);
}

/** The unaudited chunks of one format (the evidence pack puts them into its ZIP). */
export function formatChunks(
  db: Db,
  format: ExportFormat,
  job: Pick<ExportJob, "organisationId" | "filters" | "now" | "serviceUrl">,
  counter: ExportCounter,
  options: { csvPath?: CsvPath } = {},
): AsyncGenerator<Buffer> {
  const clock = reportClock(job.filters, job.now);
  const rowsQuery = exportRowsQuery(job.organisationId, job.filters, job.now);
  if (format === "csv") return csvChunks(db, rowsQuery, counter, options.csvPath);
  if (format === "xapi")
    return xapiChunks(db, job.organisationId, rowsQuery, job.filters, clock.now, job.serviceUrl, counter);
  return lazyXlsxChunks(reportRowBatches(db, job.organisationId, job.filters, job.now), counter);
}

/** exceljs is loaded only for a workbook: it adds ~20 MB to any process that imports it. */
async function* lazyXlsxChunks(batches: AsyncGenerator<ReportRow[]>, counter: ExportCounter): AsyncGenerator<Buffer> {
  const { xlsxChunks } = await import("./export-xlsx.server");
  yield* xlsxChunks(batches, counter);
}

/**
 * Starts an export: checks the filters belong to the organisation, refuses an XLSX larger than the writer can
 * hold, and returns the file's name and type with its audited chunks. Nothing is read until they are pulled.
 */
export async function startExport(
  db: Db,
  format: ExportFormat,
  job: ExportJob,
  options: { csvPath?: CsvPath; xlsxMaxRows?: number } = {},
): Promise<ExportStart> {
  if (!(await filtersBelongTo(db, job.organisationId, job.filters))) return { ok: false, reason: "not-found" };
  if (format === "xlsx") {
    const max = options.xlsxMaxRows ?? XLSX_MAX_ROWS;
    const rows = await countReportRows(db, job.organisationId, job.filters, job.now);
    if (rows > max) return { ok: false, reason: "too-many-rows", rows, max };
  }
  const counter: ExportCounter = { rows: 0 };
  const file = FILES[format];
  const chunks = await audited(db, formatChunks(db, format, job, counter, options), counter, {
    action: "report.exported",
    organisationId: job.organisationId,
    actor: job.actor,
    request: job.request,
    details: {
      format,
      filters: chosenFilters(job.filters),
      asAt: reportClock(job.filters, job.now).now.toISOString(),
      ...(format === "xapi" ? { xapiRule: XAPI_RULE } : {}),
    },
  });
  return {
    ok: true,
    filename: `${await fileStem(db, job.organisationId, job.filters, job.now)}.${format === "xapi" ? "xapi." : ""}${file.extension}`,
    contentType: file.contentType,
    chunks,
    progress: counter,
  };
}

/** Chunks as a web stream for a Response body: read only as the client takes them; a cancel ends the export. */
export function toWebStream(chunks: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

/** What the exports page offers: the organisation's teams and policy versions. */
export async function exportChoices(db: Db, organisationId: string) {
  const [teamRows, versions] = await Promise.all([
    db
      .select({ id: teams.id, name: teams.name })
      .from(teams)
      .where(eq(teams.organisationId, organisationId))
      .orderBy(asc(teams.name)),
    db
      .select({
        id: policyVersions.id,
        label: policyVersions.versionLabel,
        title: policies.title,
        effectiveDate: policyVersions.effectiveDate,
      })
      .from(policyVersions)
      .innerJoin(policies, eq(policies.id, policyVersions.policyId))
      .where(eq(policyVersions.organisationId, organisationId))
      .orderBy(desc(policyVersions.effectiveDate), desc(policyVersions.publishedAt)),
  ]);
  return { teams: teamRows, policyVersions: versions };
}

export type ExportFormValues = {
  format: string;
  team: string;
  status: string[];
  policyVersion: string;
  completedFrom: DateParts;
  completedTo: DateParts;
  asAt: DateParts;
};

/**
 * The exports page: the choices, what was chosen (from the query string, as the report links to it), and
 * the problems with it when a download sent someone back here: bad filters, no format, or an XLSX larger
 * than a workbook download holds.
 */
export async function exportPage(
  db: Db,
  organisationId: string,
  params: URLSearchParams,
  now: Date,
  xlsxMaxRows = XLSX_MAX_ROWS,
) {
  const choices = await exportChoices(db, organisationId);
  const values: ExportFormValues = {
    format: params.get("format") ?? "",
    team: params.get("team") ?? "",
    status: params.getAll("status"),
    policyVersion: params.get("policyVersion") ?? "",
    completedFrom: datePartsOf(params, "completedFrom"),
    completedTo: datePartsOf(params, "completedTo"),
    asAt: datePartsOf(params, "asAt"),
  };
  const errors: Record<string, string> = {};
  const problem = params.get("problem");
  if (problem) {
    const filters = parseReportFilters(params, now);
    if (!filters.success) {
      for (const issue of filters.error.issues) errors[String(issue.path[0] ?? "form")] ??= issue.message;
    }
    if (problem === "format" && !(EXPORT_FORMATS as readonly string[]).includes(values.format))
      errors.format = "Choose a format";
    if (problem === "xlsx-too-large" && filters.success) {
      const rows = await countReportRows(db, organisationId, filters.data, now);
      if (rows > xlsxMaxRows) {
        errors.format = `This selection has ${rows.toLocaleString("en-GB")} rows: an Excel download holds at most ${xlsxMaxRows.toLocaleString("en-GB")}. Choose CSV (Excel opens it), or choose a team, status or dates to select fewer rows.`;
      }
    }
  }
  return { choices, values, errors };
}

/** Where a download that cannot start sends the browser back to, with the same choices. */
export function backToExportsPage(params: URLSearchParams, problem: "format" | "filters" | "xlsx-too-large"): string {
  const next = new URLSearchParams(params);
  next.set("problem", problem);
  return `/hr/exports?${next.toString()}`;
}
