import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { dateParam, optionalDateField } from "~/lib/date-fields";
import { endOfLondonDay, londonDate } from "~/lib/dates";
import type { ExemptionReason } from "~/tracking/statuses";
import {
  keptStatusQuery,
  pastDayStatusQuery,
  requirementStatusQuery,
  snapshotStatusQuery,
  STATUSES,
  surnameKey,
  type Clock,
  type Status,
  type StatusScope,
} from "~/tracking/status.server";
import {
  hasDaySnapshot,
  keptTotals,
  perPersonCounts,
  refreshStandings,
  sumsOf,
  totalsOf,
} from "~/tracking/standings.server";
import { jsonValue, queryRows, type Db } from "~db/client.server";

/**
 * HR's report: every person and requirement of one organisation with their status, as now or as at the
 * end of a past day. Pages, exports and evidence packs all read these rows through reportRowsQuery: as at a past day
 * from that day's snapshot when it was kept (docs/decisions/0026), else from the records; as it stands now, the page
 * from the kept standings and exports from the records, which the kept standings equal.
 */
export const REPORT_PAGE_SIZE = 50;

const optionalUuid = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .pipe(z.uuid("Choose a value from the list").optional())
  .optional();

const asAtField = optionalDateField("The date");

export const reportFilterSchema = z
  .object({
    team: optionalUuid,
    status: z.array(z.enum(STATUSES, "Choose a status from the list")).default([]),
    policyVersion: optionalUuid,
    completedFrom: optionalDateField("The first day"),
    completedTo: optionalDateField("The last day"),
    asAt: asAtField,
    page: z.coerce.number().int().min(1).max(100_000).default(1),
  })
  .refine((f) => !f.completedFrom || !f.completedTo || f.completedFrom <= f.completedTo, {
    path: ["completedTo"],
    message: "The last day must be the same as or after the first day",
  });

export type ReportFilters = z.infer<typeof reportFilterSchema>;

/**
 * Reads the filters from a query string (status may repeat; a date as its three date input fields or as one
 * YYYY-MM-DD value); a date in the future for "as at" is refused.
 */
export function parseReportFilters(params: URLSearchParams, now: Date) {
  const raw = {
    team: params.get("team") ?? undefined,
    status: params.getAll("status").filter((s) => s !== ""),
    policyVersion: params.get("policyVersion") ?? undefined,
    completedFrom: dateParam(params, "completedFrom"),
    completedTo: dateParam(params, "completedTo"),
    asAt: dateParam(params, "asAt"),
    page: params.get("page") ?? undefined,
  };
  const parsed = reportFilterSchema.safeParse(raw);
  // Checked even when other filters are wrong, so the error summary lists every problem at once.
  const asAt = asAtField.safeParse(raw.asAt).data;
  const future: z.core.$ZodIssue[] =
    asAt && asAt > londonDate(now)
      ? [{ code: "custom", path: ["asAt"], message: "The date must be today or in the past", input: asAt }]
      : [];
  if (!parsed.success)
    return future.length
      ? { success: false as const, error: new z.ZodError([...parsed.error.issues, ...future]) }
      : parsed;
  if (future.length) return { success: false as const, error: new z.ZodError(future) };
  return parsed;
}

/** The past London day a report is as at, or null for a report as it stands now (no date, or today's). */
export function pastDay(filters: Pick<ReportFilters, "asAt">, now: Date): string | null {
  return filters.asAt && filters.asAt < londonDate(now) ? filters.asAt : null;
}

/** The moment a report stands at: now, or the last instant of the chosen London day. */
export function reportClock(filters: Pick<ReportFilters, "asAt">, now: Date): Clock {
  const day = pastDay(filters, now);
  return day ? { now: endOfLondonDay(day) } : { now };
}

/**
 * Where the statuses come from: the records themselves (any moment), the kept standings (now, just refreshed),
 * the snapshot of the clock's London day (the end of a past day that has one), or, for the end of a past day, that
 * day's snapshot if it was kept and the records if not ("past day", decided in the query).
 */
export type ReportSource = "records" | "kept" | "snapshot" | "past day";

const statusQueries: Record<ReportSource, (scope: StatusScope, clock: Clock) => SQL> = {
  records: requirementStatusQuery,
  kept: keptStatusQuery,
  snapshot: (scope, clock) => snapshotStatusQuery(scope, londonDate(clock.now)),
  "past day": (scope, clock) => pastDayStatusQuery(scope, londonDate(clock.now)),
};

/**
 * The rows an export or evidence pack reads, in one query: as at a past day the same as the report page shows (the
 * day's snapshot when it was kept), else the records as they stand now, which the page's kept standings equal.
 */
export function exportRowsQuery(organisationId: string, filters: Omit<ReportFilters, "page">, now: Date): SQL {
  const clock = reportClock(filters, now);
  return reportRowsQuery(organisationId, filters, clock, pastDay(filters, now) ? "past day" : "records");
}

/** The status rows the filters select (the status query's columns), before they are joined for display. */
function selectedStatuses(
  organisationId: string,
  filters: Omit<ReportFilters, "page">,
  clock: Clock,
  source: ReportSource,
  people?: string[],
): SQL {
  const where: SQL[] = [sql`true`];
  if (filters.status.length > 0) where.push(sql`s.status = any(${`{${filters.status.join(",")}}`}::text[])`);
  if (filters.policyVersion) where.push(sql`s.policy_version_id = ${filters.policyVersion}::uuid`);
  if (filters.completedFrom)
    where.push(sql`(s.completed_at::timestamptz at time zone 'Europe/London')::date >= ${filters.completedFrom}::date`);
  if (filters.completedTo)
    where.push(sql`(s.completed_at::timestamptz at time zone 'Europe/London')::date <= ${filters.completedTo}::date`);
  const scope = { organisationId, teamId: filters.team, userIds: people };
  return sql`select s.* from (${statusQueries[source](scope, clock)}) s where ${sql.join(where, sql` and `)}`;
}

// The kept standings and the snapshots have an index in this order (requirement_standings_report_order_idx,
// standing_snapshots_report_order_idx).
const REPORT_ORDER = sql.raw(
  `s.team_name nulls last, ${surnameKey("s.name")}, s.name, s.employee_number, s.policy_last, s.title, s.requirement_id`,
);

/**
 * One row per person and requirement, with the columns HR exports: employee_number, name, email, team,
 * requirement, kind, status, since, due_on, completed_at, policy_version (label of the version signed),
 * attestation_reference, attempt_id, user_id, requirement_id, team_id; for an exempt row the exemption (reason, its
 * "other" text, first and last day), and for one completed by training elsewhere that training (what it was, the
 * day, who recorded it). Ordered by team, name, requirement.
 * `people` narrows it to those people (a page's).
 */
export function reportRowsQuery(
  organisationId: string,
  filters: Omit<ReportFilters, "page">,
  clock: Clock,
  source: ReportSource = "records",
  people?: string[],
): SQL {
  return sql`
    select u.employee_number, s.name, u.email, t.name as team, s.title as requirement, s.kind, s.status, s.since, s.due_on,
      s.completed_at, pv.version_label as policy_version, s.attestation_reference, s.attempt_id, s.user_id, s.requirement_id, s.team_id,
      s.earlier_training_id, s.exemption_id, s.exemption_reason, s.exempt_until, s.exempt_from, x.reason_text as exemption_reason_text,
      et.description as earlier_training, et.completed_on::text as earlier_training_completed_on,
      rb.name as earlier_training_recorded_by
    from (${selectedStatuses(organisationId, filters, clock, source, people)}) s
    join users u on u.id = s.user_id
    left join teams t on t.id = s.team_id
    left join policy_versions pv on pv.id = s.policy_version_id
    left join exemptions x on x.id = s.exemption_id
    left join earlier_training et on et.id = s.earlier_training_id
    left join users rb on rb.id = et.recorded_by
    order by ${REPORT_ORDER}
  `;
}

export type ReportRow = {
  employee_number: string;
  name: string;
  email: string;
  team: string | null;
  requirement: string;
  kind: "module" | "policy";
  status: Status;
  since: string;
  due_on: string | null;
  completed_at: string | null;
  policy_version: string | null;
  attestation_reference: string | null;
  attempt_id: string | null;
  user_id: string;
  requirement_id: string;
  team_id: string | null;
  /** Training completed elsewhere that completes the requirement (docs/decisions/0021). */
  earlier_training_id: string | null;
  /** The exemption record that makes the row exempt. */
  exemption_id: string | null;
  exemption_reason: ExemptionReason | null;
  exempt_until: string | null;
  exempt_from: string | null;
  /** The text HR gave for an exemption of reason "other". */
  exemption_reason_text: string | null;
  /** What the training completed elsewhere was, the day it was completed, and who recorded it. */
  earlier_training: string | null;
  earlier_training_completed_on: string | null;
  earlier_training_recorded_by: string | null;
};

/** One page of the report and the totals of everything the filters select. */
export async function reportPage(db: Db, organisationId: string, filters: ReportFilters, now: Date) {
  const clock = reportClock(filters, now);
  // As it stands now: from the kept standings, brought up to date first. As at a past day: from that day's
  // snapshot, or from the records for a day that has none.
  const day = pastDay(filters, now);
  const source: ReportSource = !day ? "kept" : (await hasDaySnapshot(db, organisationId, day)) ? "snapshot" : "records";
  if (source === "kept") await refreshStandings(db, organisationId, clock);
  const offset = (filters.page - 1) * REPORT_PAGE_SIZE;
  // Totals by team and status come from the kept summaries; other filters, and days without a snapshot, count the rows.
  const summarised = source !== "records" && !filters.policyVersion && !filters.completedFrom && !filters.completedTo;
  const { summary, rows } = await db.transaction(
    async (tx) => {
      // Enough memory to count 100,000 people's rows without spilling to disk (the default is 4 MB).
      await tx.execute(sql`set local work_mem = '64MB'`);
      // Which rows the page holds and, unless summarised, the totals: one statement over the narrow status rows
      // (from the kept standings the page is a range of their index; from the records they are worked out once).
      const [pass] = await queryRows<{
        totals: Record<Status | "people", number | null> | string | null;
        page: { u: string; r: string }[] | string | null;
      }>(
        tx,
        sql`
      with s as ${source === "records" ? sql`materialized` : sql`not materialized`} (
        select user_id, requirement_id, status, name, employee_number, team_id, team_name, policy_last, title
        from (${selectedStatuses(organisationId, filters, clock, source)}) x
      ),
      page as (select s.user_id as u, s.requirement_id as r from s order by ${REPORT_ORDER} limit ${REPORT_PAGE_SIZE} offset ${offset})
      select ${summarised ? sql`null` : sql`(select row_to_json(t) from (${sumsOf(perPersonCounts(sql`select team_id, user_id, status from s`))}) t)`} as totals,
        (select json_agg(json_build_object('u', u, 'r', r)) from page) as page
    `,
      );
      const summary = summarised
        ? await keptTotals(tx, organisationId, {
            teamId: filters.team,
            statuses: filters.status,
            day: source === "snapshot" ? (day ?? undefined) : undefined,
          })
        : totalsOf(jsonValue(pass.totals ?? {}));
      const keys = jsonValue(pass.page ?? []);
      const chosen = new Set(keys.map((k) => `${k.u} ${k.r}`));
      const rows =
        keys.length === 0
          ? []
          : (
              await queryRows<ReportRow>(
                tx,
                reportRowsQuery(organisationId, filters, clock, source, [...new Set(keys.map((k) => k.u))]),
              )
            ).filter((r) => chosen.has(`${r.user_id} ${r.requirement_id}`));
      return { summary, rows };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
  return {
    rows,
    totals: summary,
    page: filters.page,
    pageCount: Math.max(1, Math.ceil(summary.rows / REPORT_PAGE_SIZE)),
    asAt: clock.now.toISOString(),
  };
}

export type ReportFilterOptions = {
  teams: { id: string; name: string }[];
  policyVersions: { id: string; label: string; effectiveDate: string }[];
};

/** What the report's team and policy version lists offer: the organisation's own, nothing else. */
export async function reportFilterOptions(db: Db, organisationId: string): Promise<ReportFilterOptions> {
  const [teamRows, versionRows] = await Promise.all([
    queryRows<{ id: string; name: string }>(
      db,
      sql`select id, name from teams where organisation_id = ${organisationId}::uuid order by name, id`,
    ),
    queryRows<{ id: string; label: string; effective_date: string }>(
      db,
      sql`select id, version_label as label, effective_date::text as effective_date from policy_versions where organisation_id = ${organisationId}::uuid order by effective_date desc, published_at desc`,
    ),
  ]);
  return {
    teams: teamRows,
    policyVersions: versionRows.map((v) => ({ id: v.id, label: v.label, effectiveDate: v.effective_date })),
  };
}

/** The filters as a query string (page left out), for pagination and for the export links of the same selection. */
export function reportQueryString(filters: Omit<ReportFilters, "page">): string {
  const params = new URLSearchParams();
  if (filters.team) params.set("team", filters.team);
  for (const status of filters.status) params.append("status", status);
  if (filters.policyVersion) params.set("policyVersion", filters.policyVersion);
  if (filters.completedFrom) params.set("completedFrom", filters.completedFrom);
  if (filters.completedTo) params.set("completedTo", filters.completedTo);
  if (filters.asAt) params.set("asAt", filters.asAt);
  return params.toString();
}

export type ReportView =
  | {
      ok: true;
      options: ReportFilterOptions;
      filters: ReportFilters;
      query: string;
      asAtDay: string | null;
      report: Awaited<ReturnType<typeof reportPage>>;
    }
  | { ok: false; options: ReportFilterOptions; errors: Record<string, string> };

/**
 * The report page's data from its query string: the filter lists, and either the page of rows with its totals
 * or a message per bad filter (a team or policy version not of this organisation counts as bad).
 */
export async function reportView(
  db: Db,
  organisationId: string,
  params: URLSearchParams,
  now: Date,
): Promise<ReportView> {
  const options = await reportFilterOptions(db, organisationId);
  const parsed = parseReportFilters(params, now);
  const errors: Record<string, string> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? "form");
      // The page number is not a field of the form: it comes from a pagination link someone edited.
      if (field === "page") errors.form ??= "There is no such page of the report: go back to the first page";
      else errors[field] ??= issue.message;
    }
  } else {
    if (parsed.data.team && !options.teams.some((t) => t.id === parsed.data.team))
      errors.team = "Choose a team from the list";
    if (parsed.data.policyVersion && !options.policyVersions.some((v) => v.id === parsed.data.policyVersion))
      errors.policyVersion = "Choose a policy version from the list";
  }
  if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, options, errors };
  const filters = parsed.data;
  return {
    ok: true,
    options,
    filters,
    query: reportQueryString(filters),
    asAtDay: pastDay(filters, now),
    report: await reportPage(db, organisationId, filters, now),
  };
}
