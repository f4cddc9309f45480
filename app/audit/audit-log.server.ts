import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { dateParam, optionalDateField } from "~/lib/date-fields";
import { endOfLondonDay } from "~/lib/dates";
import { queryRows, type Db } from "~db/client.server";

export const AUDIT_PAGE_SIZE = 50;

/** The audit log's filters as its GET form sends them: who (name, e-mail or employee number), what, from, to. */
export const auditLogFilterSchema = z
  .object({
    who: z.string().trim().max(200, "Who must be 200 characters or fewer").default(""),
    action: z
      .string()
      .trim()
      .max(100, "Choose what from the list")
      .regex(/^[a-z0-9._-]*$/, "Choose what from the list")
      .default(""),
    from: optionalDateField("The first day"),
    to: optionalDateField("The last day"),
    page: z.coerce.number("Page must be a number").int("Page must be a whole number").min(1).max(100_000).default(1),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, {
    path: ["to"],
    message: "The last day must be the same as or after the first day",
  });
export type AuditLogFilter = z.infer<typeof auditLogFilterSchema>;

export function parseAuditLogFilter(params: URLSearchParams) {
  return auditLogFilterSchema.safeParse({
    who: params.get("who") ?? undefined,
    action: params.get("action") ?? undefined,
    from: dateParam(params, "from"),
    to: dateParam(params, "to"),
    page: params.get("page") || undefined,
  });
}

/** The filter as a query string (page left out), for the pages' links and the CSV of the same selection. */
export function auditLogQueryString(filter: Omit<AuditLogFilter, "page">): string {
  const params = new URLSearchParams();
  if (filter.who) params.set("who", filter.who);
  if (filter.action) params.set("action", filter.action);
  if (filter.from) params.set("from", filter.from);
  if (filter.to) params.set("to", filter.to);
  return params.toString();
}

export type AuditLogEntry = {
  id: number;
  at: string;
  action: string;
  actor: { name: string; employeeNumber: string } | null;
  subjectType: string | null;
  subjectId: string | null;
  /** The person the entry is about, when it is about a person of this council. */
  subjectName: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  requestId: string | null;
};

type Row = {
  id: number | string;
  at: Date | string;
  action: string;
  actor_name: string | null;
  actor_employee_number: string | null;
  subject_type: string | null;
  subject_id: string | null;
  subject_name: string | null;
  details: Record<string, unknown> | string;
  ip: string | null;
  request_id: string | null;
  /** The exact timestamp (microseconds), for keyset pagination. */
  at_key: string;
  total?: number | string;
};

/** The first moment of a London calendar day. */
function startOfLondonDay(day: string): Date {
  const before = new Date(`${day}T12:00:00Z`);
  before.setUTCDate(before.getUTCDate() - 1);
  return new Date(endOfLondonDay(before.toISOString().slice(0, 10)).getTime() + 1);
}

/** Escapes LIKE's wildcards, so what an admin types is matched as text. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The entries of one organisation that the filter picks, newest first. "Who" is matched against the name, e-mail
 * and employee number of whoever made the change, among this organisation's people only.
 */
function entriesQuery(organisationId: string, filter: Omit<AuditLogFilter, "page">, tail: SQL): SQL {
  const where: SQL[] = [sql`a.organisation_id = ${organisationId}::uuid`];
  if (filter.action) where.push(sql`a.action = ${filter.action}`);
  if (filter.from) where.push(sql`a.at >= ${startOfLondonDay(filter.from).toISOString()}::timestamptz`);
  if (filter.to) where.push(sql`a.at <= ${endOfLondonDay(filter.to).toISOString()}::timestamptz`);
  if (filter.who) {
    const pattern = likePattern(filter.who);
    where.push(sql`a.actor_user_id in (
      select w.id from users w where w.organisation_id = ${organisationId}::uuid
        and (w.name ilike ${pattern} or w.email ilike ${pattern} or w.employee_number = ${filter.who})
    )`);
  }
  return sql`
    select a.id, a.at, a.action, actor.name as actor_name, actor.employee_number as actor_employee_number,
      a.subject_type, a.subject_id, subject.name as subject_name, a.details, host(a.ip) as ip, a.request_id,
      a.at::text as at_key ${tail}
    from audit_log a
    left join users actor on actor.id = a.actor_user_id and actor.organisation_id = a.organisation_id
    left join users subject on a.subject_type = 'user'
      and subject.id::text = a.subject_id and subject.organisation_id = a.organisation_id
    where ${sql.join(where, sql` and `)}
    order by a.at desc, a.id desc`;
}

function entryOf(row: Row): AuditLogEntry {
  return {
    id: Number(row.id),
    at: new Date(row.at).toISOString(),
    action: row.action,
    actor: row.actor_name ? { name: row.actor_name, employeeNumber: row.actor_employee_number ?? "" } : null,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    subjectName: row.subject_name,
    details: typeof row.details === "string" ? (JSON.parse(row.details) as Record<string, unknown>) : row.details,
    ip: row.ip,
    requestId: row.request_id,
  };
}

/** One page of an organisation's audit log, newest first, with how many entries the filter picks in all. */
export async function auditLogPage(db: Db, organisationId: string, filter: AuditLogFilter) {
  const rows = await queryRows<Row>(
    db,
    sql`${entriesQuery(organisationId, filter, sql`, count(*) over ()::int as total`)}
      limit ${AUDIT_PAGE_SIZE} offset ${(filter.page - 1) * AUDIT_PAGE_SIZE}`,
  );
  const total = rows.length > 0 ? Number(rows[0].total) : await countEntries(db, organisationId, filter);
  return {
    entries: rows.map(entryOf),
    total,
    page: filter.page,
    pageCount: Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE)),
  };
}

/** Past the last page there are no rows to carry the total, so it is counted on its own. */
async function countEntries(db: Db, organisationId: string, filter: AuditLogFilter): Promise<number> {
  if (filter.page === 1) return 0;
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from (${entriesQuery(organisationId, filter, sql``)}) e`,
  );
  return Number(row?.n ?? 0);
}

/** Every entry the filter picks, newest first, in batches, so a long log is never held in memory at once. */
export async function* auditLogEntries(
  db: Db,
  organisationId: string,
  filter: Omit<AuditLogFilter, "page">,
  batchSize = 2_000,
): AsyncGenerator<AuditLogEntry[]> {
  // Keyset pagination on (at, id): each batch starts after the last entry of the one before.
  let after: { atKey: string; id: number } | null = null;
  for (;;) {
    const keyset: SQL = after ? sql`where (e.at, e.id) < (${after.atKey}::timestamptz, ${after.id}::bigint)` : sql``;
    const rows: Row[] = await queryRows<Row>(
      db,
      sql`select * from (${entriesQuery(organisationId, filter, sql``)}) e ${keyset}
        order by e.at desc, e.id desc limit ${batchSize}`,
    );
    if (rows.length === 0) return;
    yield rows.map(entryOf);
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1];
    after = { atKey: last.at_key, id: Number(last.id) };
  }
}

/**
 * The actions this organisation's log holds, for the "what" filter. A loose index scan over
 * (organisation_id, action): one index probe per distinct action, however long the log.
 */
export async function auditActions(db: Db, organisationId: string): Promise<string[]> {
  const rows = await queryRows<{ action: string }>(
    db,
    sql`
      with recursive found(action) as (
        (select action from audit_log where organisation_id = ${organisationId}::uuid order by action limit 1)
        union all
        select (select a.action from audit_log a where a.organisation_id = ${organisationId}::uuid and a.action > found.action
                order by a.action limit 1)
        from found where found.action is not null
      )
      select action from found where action is not null
    `,
  );
  return rows.map((r) => r.action);
}

export const AUDIT_CSV_HEADER = [
  "when (UTC)",
  "action",
  "by",
  "by employee number",
  "subject type",
  "subject id",
  "subject name",
  "details",
  "ip",
  "request id",
];

export function auditCsvRow(entry: AuditLogEntry): unknown[] {
  return [
    entry.at,
    entry.action,
    entry.actor?.name ?? "",
    entry.actor?.employeeNumber ?? "",
    entry.subjectType,
    entry.subjectId,
    entry.subjectName,
    JSON.stringify(entry.details),
    entry.ip,
    entry.requestId,
  ];
}
