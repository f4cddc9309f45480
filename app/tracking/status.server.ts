import { getTableColumns, sql, type SQL } from "drizzle-orm";
import { endOfLondonDay, londonDate } from "~/lib/dates";
import { jsonValue, queryRows, type Db } from "~db/client.server";
import { requirementStandings } from "~db/schema";
import { OUTSTANDING, STATUSES, type ExemptionReason, type Status } from "./statuses";

/**
 * Where each person stands on each of their organisation's requirements, computed in one SQL query at a
 * moment the caller chooses: now for the pages, any past moment for "as at" reports. Only rows dated at or
 * before that moment count (attempts, signatures, withdrawals, policy versions, team memberships), so the
 * figures for a past date do not drift as people come and go.
 */
export { OUTSTANDING, STATUS_LABELS, STATUSES, type Status } from "./statuses";

export type Clock = { now: Date };

export type StatusScope = {
  organisationId: string;
  /** People in this team on the day (by dated membership). */
  teamId?: string;
  /** Several teams at once (a champion's). */
  teamIds?: string[];
  userId?: string;
  userIds?: string[];
};

export type RequirementStatusRow = {
  userId: string;
  name: string;
  teamId: string | null;
  requirementId: string;
  kind: "module" | "policy";
  title: string;
  moduleSlug: string | null;
  status: Status;
  /** Since when it has been outstanding (the day it became due to be done, or expired), or when it was completed. */
  since: string;
  /**
   * The day it must be done by: for a completed requirement, the day it must be renewed by; for an exempt one, the
   * day it would be due if the exemption ended as recorded (null: open-ended).
   */
  dueOn: string | null;
  completedAt: string | null;
  /** Evidence of a complete requirement: the passed attempt, or the signature and the version signed. */
  attemptId: string | null;
  attestationReference: string | null;
  policyVersionId: string | null;
  /** Training completed elsewhere that completes this requirement (never a pass of our module). */
  earlierTrainingId: string | null;
  /** For an exempt requirement: why, and the last day of the exemption (null: open-ended). */
  exemptionReason: ExemptionReason | null;
  exemptUntil: string | null;
};

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The columns of the dated facts a status is worked out from: those of requirement_standings. */
export const STANDING_COLUMNS = sql.raw(
  Object.values(getTableColumns(requirementStandings))
    .map((column) => column.name)
    .join(", "),
);

function scopeFilters(scope: StatusScope, person: string, team: string): SQL {
  const filters: SQL[] = [];
  if (scope.teamId) filters.push(sql`and ${sql.raw(team)} = ${scope.teamId}::uuid`);
  if (scope.teamIds) filters.push(sql`and ${sql.raw(team)} = any(${`{${scope.teamIds.join(",")}}`}::uuid[])`);
  if (scope.userId) filters.push(sql`and ${sql.raw(person)} = ${scope.userId}::uuid`);
  if (scope.userIds) filters.push(sql`and ${sql.raw(person)} = any(${`{${scope.userIds.join(",")}}`}::uuid[])`);
  return sql.join(filters, sql` `);
}

/**
 * When a completion stops counting: its requirement's renewal period after it, by PostgreSQL's month arithmetic
 * (31 January + 1 month is 28 February). The one place this rule is written: statuses and the modules a person
 * must pass before signing both use it.
 */
export const expiryOf = (completedAt: string, renewalMonths: string): SQL =>
  sql.raw(`(${completedAt} + make_interval(months => ${renewalMonths}))`);

/**
 * Whether an attempt's pass counts at a moment: it passed by then, and no version of its module published after
 * the version it passed (and by then) requires a retake. With expiryOf, the one place "a pass that counts" is
 * written: statuses and the modules a person must pass before signing both use it.
 */
export const countingPass = (attempt: string, at: SQL): SQL => sql`(${sql.raw(attempt)}.status = 'passed'
  and ${sql.raw(attempt)}.completed_at <= ${at}
  and not exists (
    select 1 from module_versions passed_version
    join module_versions retake on retake.module_id = passed_version.module_id
    where passed_version.id = ${sql.raw(attempt)}.module_version_id and retake.requires_retake
      and retake.created_at > passed_version.created_at and retake.created_at <= ${at}))`;

/**
 * Each requirement's settings in force at a moment (due within, renewal, the teams it is aimed at: null for the
 * whole council): the newest row recorded by then, or, before any was, the first. docs/decisions/0021.
 */
export const settingsInForce = (organisationId: SQL, at: SQL): SQL => sql`
  select distinct on (s.requirement_id) s.requirement_id, s.due_within_days, s.renewal_months, s.team_ids
  from requirement_settings s
  join requirements r on r.id = s.requirement_id
  where r.organisation_id = ${organisationId}
  order by s.requirement_id, (s.recorded_at <= ${at}) desc,
    case when s.recorded_at <= ${at} then s.recorded_at end desc, s.recorded_at`;

/**
 * The exemption records that stand at a moment: recorded by then, not replaced (ended, corrected or cancelled) by
 * a record recorded by then, and not themselves a cancellation. docs/decisions/0021.
 */
export const exemptionsInForce = (at: SQL): SQL => sql`
  select x.* from exemptions x
  where x.recorded_at <= ${at} and x.kind <> 'cancelled'
    and not exists (select 1 from exemptions later where later.replaces_id = x.id and later.recorded_at <= ${at})`;

/**
 * The dated facts of each person and requirement at a moment, computed from the records (STANDING_COLUMNS):
 * who, their team on the day, whether they have started, the completion that stands (and its evidence), when it
 * expires, and the day it became due. Only rows dated at or before the moment count. What a status is follows
 * from these and the moment alone (statusOf), so the report's kept standings hold exactly these columns.
 */
export function standingFactsQuery(scope: StatusScope, clock: Clock): SQL {
  const at = clock.now.toISOString();
  const today = londonDate(clock.now);
  return sql`
    with params as (
      select ${scope.organisationId}::uuid as org, ${at}::timestamptz as at, ${today}::date as today
    ),
    people as (
      select u.id as user_id, u.start_date, m.team_id, m.started_on as team_since
      from params, users u
      left join team_memberships m on m.user_id = u.id
        and m.started_on <= (select today from params) and (m.ended_on is null or m.ended_on > (select today from params))
      where u.organisation_id = params.org
        and u.start_date <= params.today
        and (u.leaving_date is null or u.leaving_date > params.today)
        ${scopeFilters(scope, "u.id", "m.team_id")}
    ),
    settings as (${settingsInForce(sql`(select org from params)`, sql`(select at from params)`)}),
    aimed as (
      -- For a requirement aimed at teams: since when each of them has been aimed at without a break.
      select h.requirement_id, t.team_id, min(h.effective_on) as since
      from params, settings s
      cross join unnest(s.team_ids) t(team_id)
      join requirement_settings h on h.requirement_id = s.requirement_id
      where h.recorded_at <= params.at and (h.team_ids is null or t.team_id = any(h.team_ids))
        and not exists (
          select 1 from requirement_settings x
          where x.requirement_id = h.requirement_id and x.recorded_at > h.recorded_at and x.recorded_at <= params.at
            and x.team_ids is not null and not (t.team_id = any(x.team_ids))
        )
      group by h.requirement_id, t.team_id
    ),
    reqs as (
      select r.id, r.kind, r.module_id, r.policy_id, s.due_within_days, s.renewal_months, s.team_ids, r.effective_from,
        coalesce(tm.title, p.title) as title, tm.slug as module_slug
      from params, requirements r
      join settings s on s.requirement_id = r.id
      left join training_modules tm on tm.id = r.module_id
      left join policies p on p.id = r.policy_id
      where r.organisation_id = params.org and r.effective_from <= params.today
    ),
    exemption_records as (${exemptionsInForce(sql`(select at from params)`)}),
    exemption_on_day as (
      -- Per person and requirement (null: all of them), the exemption in force on the day, else the one that ended last.
      select distinct on (x.user_id, x.requirement_id) x.user_id, x.requirement_id, x.id, x.reason, x.starts_on, x.ends_on
      from params, exemption_records x
      join people on people.user_id = x.user_id
      where x.starts_on <= params.today
      order by x.user_id, x.requirement_id, (x.ends_on is null or x.ends_on >= params.today) desc, x.ends_on desc nulls first
    ),
    earlier as (
      -- Each person's latest training completed elsewhere for a module requirement, recorded by the moment.
      select distinct on (e.user_id, e.requirement_id) e.user_id, e.requirement_id, e.id,
        (e.completed_on::timestamp at time zone 'Europe/London') as completed_at
      from params, earlier_training e
      join people on people.user_id = e.user_id
      where e.recorded_at <= params.at and e.completed_on <= params.today
      order by e.user_id, e.requirement_id, e.completed_on desc, e.recorded_at desc
    ),
    module_progress as (
      select a.user_id, a.module_id,
        max(a.completed_at) filter (where ${countingPass("a", sql.raw("params.at"))}) as last_pass,
        (array_agg(a.id order by a.completed_at desc) filter (where ${countingPass("a", sql.raw("params.at"))}))[1] as pass_attempt_id
      from params, attempts a
      join people on people.user_id = a.user_id
      where a.module_id in (select module_id from reqs where kind = 'module') and a.started_at <= params.at
      group by a.user_id, a.module_id
    ),
    binding as (
      -- The version in force that everyone must have signed: the latest that required signing again, else the first.
      select distinct on (pv.policy_id) pv.policy_id, pv.effective_date, pv.published_at
      from params, policy_versions pv
      where pv.policy_id in (select policy_id from reqs where kind = 'policy')
        and pv.effective_date <= params.today and pv.published_at <= params.at
      order by pv.policy_id, pv.requires_reattestation desc,
        case when pv.requires_reattestation then pv.effective_date end desc, pv.effective_date, pv.published_at desc
    ),
    signatures as (
      -- Each person's newest signature that still stood at the moment, preferring one on an acceptable version.
      select distinct on (a.user_id, pv.policy_id) a.user_id, pv.policy_id, a.recorded_at, a.reference, a.policy_version_id,
        (b.policy_id is not null and (pv.effective_date, pv.published_at) >= (b.effective_date, b.published_at)) as acceptable
      from params, attestations a
      join people on people.user_id = a.user_id
      join policy_versions pv on pv.id = a.policy_version_id
      left join binding b on b.policy_id = pv.policy_id
      where a.kind = 'signed' and a.recorded_at <= params.at
        and pv.policy_id in (select policy_id from reqs where kind = 'policy')
        and not exists (
          select 1 from attestations w
          where w.subject_reference = a.reference and w.kind = 'withdrawn' and w.recorded_at <= params.at
        )
      order by a.user_id, pv.policy_id, 6 desc, a.recorded_at desc
    ),
    started as (
      select user_id from module_progress group by user_id
    ),
    facts as (
      select people.user_id, people.team_id, reqs.id as requirement_id, reqs.kind, reqs.title, reqs.module_slug,
        reqs.due_within_days, reqs.renewal_months,
        case when reqs.kind = 'module' then greatest(mp.last_pass, et.completed_at) when s.acceptable then s.recorded_at end as completed_at,
        case when reqs.kind = 'module' and (et.id is null or mp.last_pass >= et.completed_at) then mp.pass_attempt_id end as attempt_id,
        case when reqs.kind = 'module' and et.id is not null and (mp.last_pass is null or et.completed_at > mp.last_pass) then et.id end as earlier_training_id,
        case when s.acceptable then s.reference end as attestation_reference,
        case when s.acceptable then s.policy_version_id end as policy_version_id,
        case when reqs.kind = 'module' then mp.user_id is not null else st.user_id is not null end as started,
        greatest(people.start_date, reqs.effective_from,
          case when reqs.kind = 'policy' and s.user_id is not null and not s.acceptable then b.effective_date end,
          case when reqs.team_ids is not null then greatest(people.team_since, aimed.since) end,
          ex.ends_on + 1) as anchor,
        ex.id as exemption_id, ex.reason::text as exemption_reason, ex.starts_on as exempt_from, ex.ends_on as exempt_until
      from params, people
      cross join reqs
      left join aimed on aimed.requirement_id = reqs.id and aimed.team_id = people.team_id
      left join module_progress mp on reqs.kind = 'module' and mp.user_id = people.user_id and mp.module_id = reqs.module_id
      left join earlier et on reqs.kind = 'module' and et.user_id = people.user_id and et.requirement_id = reqs.id
      left join signatures s on reqs.kind = 'policy' and s.user_id = people.user_id and s.policy_id = reqs.policy_id
      left join binding b on reqs.kind = 'policy' and b.policy_id = reqs.policy_id
      left join started st on st.user_id = people.user_id
      left join exemption_on_day e1 on e1.user_id = people.user_id and e1.requirement_id = reqs.id
      left join exemption_on_day e0 on e0.user_id = people.user_id and e0.requirement_id is null
      -- Of an exemption from this requirement and one from all of them, the one in force, else the one that ended last.
      left join lateral (
        select c.* from (
          select e1.id, e1.reason, e1.starts_on, e1.ends_on union all select e0.id, e0.reason, e0.starts_on, e0.ends_on
        ) c
        where c.id is not null
        order by (c.ends_on is null or c.ends_on >= params.today) desc, c.ends_on desc nulls first
        limit 1
      ) ex on true
      where (reqs.kind = 'module' or b.policy_id is not null)
        and (reqs.team_ids is null or people.team_id = any(reqs.team_ids))
    )
    -- Names are joined last, so the wide columns do not travel through the joins above.
    select params.org as organisation_id, facts.user_id, requirement_id, u.name, u.employee_number, facts.team_id, team.name as team_name, kind, title,
      module_slug, started, completed_at,
      ${expiryOf("completed_at", "renewal_months")} as expires_at,
      (${expiryOf("completed_at", "renewal_months")} at time zone 'Europe/London')::date as expires_on,
      anchor, (anchor + due_within_days) as due_on, attempt_id, attestation_reference, policy_version_id,
      earlier_training_id, exemption_id, exemption_reason, exempt_from, exempt_until
    from params, facts
    join users u on u.id = facts.user_id
    left join teams team on team.id = facts.team_id
  `;
}

/** Each row's status at the moment, from dated facts (a subquery or table with STANDING_COLUMNS). */
function statusOf(facts: SQL, organisationId: string, clock: Clock): SQL {
  // The moment's values go in as constants rather than a joined row, so a read of the kept standings can walk
  // their index in the report's order.
  const current = sql`(f.expires_at > ${clock.now.toISOString()}::timestamptz)`;
  const today = sql`${londonDate(clock.now)}::date`;
  const exempt = sql`(f.exempt_from <= ${today} and (f.exempt_until is null or f.exempt_until >= ${today}))`;
  // A completion that lapsed by the end of an exemption is not "expired": the due date restarts from the exemption's end.
  const lapsed = sql`(f.completed_at is not null and (f.exempt_until is null or f.expires_on > f.exempt_until))`;
  return sql`
    select f.user_id, f.name, f.employee_number, f.team_id, f.team_name, f.requirement_id, f.kind::text as kind, f.kind = 'policy' as policy_last,
      f.title, f.module_slug,
      case
        when ${current} then 'complete'
        when ${exempt} then 'exempt'
        when ${lapsed} then 'expired'
        when f.due_on < ${today} then 'overdue'
        when f.due_on <= ${today} + (select due_soon_days from organisations where id = ${organisationId}::uuid) then 'due_soon'
        when f.started then 'in_progress'
        else 'not_started'
      end as status,
      (case when ${current} then (f.completed_at at time zone 'Europe/London')::date
            when ${exempt} then f.exempt_from
            when ${lapsed} then f.expires_on
            else f.anchor end)::text as since,
      (case when ${current} or ${lapsed} then f.expires_on
            when ${exempt} then f.exempt_until + 1 + (f.due_on - f.anchor)
            else f.due_on end)::text as due_on,
      case when ${current} then ${sql.raw(iso("f.completed_at"))} end as completed_at,
      case when ${current} then f.attempt_id end as attempt_id,
      case when ${current} then f.attestation_reference end as attestation_reference,
      case when ${current} then f.policy_version_id end as policy_version_id,
      case when ${current} then f.earlier_training_id end as earlier_training_id,
      case when ${exempt} then f.exemption_reason end as exemption_reason,
      case when ${exempt} then f.exempt_until::text end as exempt_until,
      -- The exemption record itself and its first day, for the exports to name it (docs/decisions/0020).
      case when ${exempt} then f.exemption_id end as exemption_id,
      case when ${exempt} then f.exempt_from::text end as exempt_from
    from ${facts} f
  `;
}

/**
 * The statuses as an SQL fragment (one row per person and requirement), worked out from the records, so that
 * pages, reports and exports wrap it rather than repeat it. Columns: user_id, name, team_id, requirement_id,
 * kind, title, module_slug, status, since, due_on, completed_at (dates as YYYY-MM-DD text, the completion as
 * ISO 8601 text), and for a complete requirement its evidence: attempt_id (the pass), or attestation_reference
 * and policy_version_id.
 */
export function requirementStatusQuery(scope: StatusScope, clock: Clock): SQL {
  return statusOf(sql`(${standingFactsQuery(scope, clock)})`, scope.organisationId, clock);
}

/**
 * The same statuses read from the kept standings (app/tracking/standings.server.ts), which the caller has just
 * brought up to date for this moment's day: the same columns and, a test shows, the same rows.
 */
export function keptStatusQuery(scope: StatusScope, clock: Clock): SQL {
  const kept = sql`(select ${STANDING_COLUMNS} from requirement_standings k
    where k.organisation_id = ${scope.organisationId}::uuid ${scopeFilters(scope, "k.user_id", "k.team_id")})`;
  return statusOf(kept, scope.organisationId, clock);
}

/**
 * The same statuses as at the end of a past London day, read from that day's snapshot (standing_snapshots, written by
 * keepDaySnapshot once the day is over): the same columns and, a test shows, the same rows as requirementStatusQuery
 * at the last instant of the day.
 */
export function snapshotStatusQuery(scope: StatusScope, day: string): SQL {
  const kept = sql`(select ${STANDING_COLUMNS} from standing_snapshots k
    where k.organisation_id = ${scope.organisationId}::uuid and k.day = ${day}::date ${scopeFilters(scope, "k.user_id", "k.team_id")})`;
  return statusOf(kept, scope.organisationId, { now: endOfLondonDay(day) });
}

/**
 * The statuses as at the end of a past London day as HR's report shows them: from the day's snapshot when it was kept,
 * else worked out from the records (as snapshotStatusQuery and requirementStatusQuery). One query, so that an export
 * reads the same rows as the page; which branch runs is decided once, by PostgreSQL, from standing_snapshot_days.
 */
export function pastDayStatusQuery(scope: StatusScope, day: string): SQL {
  const clock = { now: endOfLondonDay(day) };
  const kept = sql`exists (select 1 from standing_snapshot_days d
    where d.organisation_id = ${scope.organisationId}::uuid and d.day = ${day}::date)`;
  const facts = sql`(
    select ${STANDING_COLUMNS} from standing_snapshots k
    where ${kept} and k.organisation_id = ${scope.organisationId}::uuid and k.day = ${day}::date
      ${scopeFilters(scope, "k.user_id", "k.team_id")}
    union all
    select ${STANDING_COLUMNS} from (${standingFactsQuery(scope, clock)}) r where not ${kept}
  )`;
  return statusOf(facts, scope.organisationId, clock);
}

type RawRow = {
  user_id: string;
  name: string;
  team_id: string | null;
  requirement_id: string;
  kind: "module" | "policy";
  title: string;
  module_slug: string | null;
  status: Status;
  since: string;
  due_on: string | null;
  completed_at: string | null;
  attempt_id: string | null;
  attestation_reference: string | null;
  policy_version_id: string | null;
  earlier_training_id: string | null;
  exemption_reason: ExemptionReason | null;
  exempt_until: string | null;
};

const toRow = (r: RawRow): RequirementStatusRow => ({
  userId: r.user_id,
  name: r.name,
  teamId: r.team_id,
  requirementId: r.requirement_id,
  kind: r.kind,
  title: r.title,
  moduleSlug: r.module_slug,
  status: r.status,
  since: r.since,
  dueOn: r.due_on,
  completedAt: r.completed_at,
  attemptId: r.attempt_id,
  attestationReference: r.attestation_reference,
  policyVersionId: r.policy_version_id,
  earlierTrainingId: r.earlier_training_id,
  exemptionReason: r.exemption_reason,
  exemptUntil: r.exempt_until,
});

/** One person's status on each requirement, modules first (by title), then the code of conduct. */
export async function personStatus(
  db: Db,
  organisationId: string,
  userId: string,
  clock: Clock,
): Promise<RequirementStatusRow[]> {
  const rows = await queryRows<RawRow>(
    db,
    sql`select * from (${requirementStatusQuery({ organisationId, userId }, clock)}) s order by kind = 'policy', title, requirement_id`,
  );
  return rows.map(toRow);
}

const RANK_SQL = sql.raw(
  `case status when 'expired' then 1 when 'overdue' then 2 when 'due_soon' then 3 when 'in_progress' then 4 when 'not_started' then 5 when 'complete' then 6 else 7 end`,
);
const STATUS_OF_RANK = sql.raw(
  `(array['expired','overdue','due_soon','in_progress','not_started','complete','exempt'])[min_rank]`,
);

export type StatusCounts = Record<Status, number>;
const zeroCounts = (): StatusCounts => Object.fromEntries(STATUSES.map((s) => [s, 0])) as StatusCounts;

export type Figures = {
  people: number;
  /** People with every requirement complete. */
  peopleComplete: number;
  /** People by their most urgent status. */
  peopleByStatus: StatusCounts;
  requirements: {
    requirementId: string;
    title: string;
    kind: "module" | "policy";
    total: number;
    counts: StatusCounts;
  }[];
};

/** Completion figures for a scope (a team, several, or the whole organisation): one aggregate query. */
export async function completionFigures(db: Db, scope: StatusScope, clock: Clock): Promise<Figures> {
  const rows = await queryRows<{
    level: "requirement" | "person";
    requirement_id: string | null;
    title: string | null;
    kind: "module" | "policy" | null;
    status: Status;
    n: number;
  }>(
    db,
    sql`
      with s as (${requirementStatusQuery(scope, clock)}),
      per_person as (select user_id, min(${RANK_SQL}) as min_rank from s group by user_id)
      select 'requirement' as level, requirement_id::text, title, kind, status, count(*)::int as n
      from s group by requirement_id, title, kind, status
      union all
      select 'person', null, null, null, ${STATUS_OF_RANK}, count(*)::int from per_person group by min_rank
    `,
  );
  const peopleByStatus = zeroCounts();
  const byRequirement = new Map<string, Figures["requirements"][number]>();
  for (const row of rows) {
    if (row.level === "person") {
      peopleByStatus[row.status] += Number(row.n);
      continue;
    }
    let entry = byRequirement.get(row.requirement_id!);
    if (!entry) {
      entry = {
        requirementId: row.requirement_id!,
        title: row.title!,
        kind: row.kind!,
        total: 0,
        counts: zeroCounts(),
      };
      byRequirement.set(row.requirement_id!, entry);
    }
    entry.counts[row.status] += Number(row.n);
    // Exempt rows are left out of the totals a percentage is taken of (docs/decisions/0021).
    if (row.status !== "exempt") entry.total += Number(row.n);
  }
  const people = Object.values(peopleByStatus).reduce((a, b) => a + b, 0) - peopleByStatus.exempt;
  return {
    people,
    peopleComplete: peopleByStatus.complete,
    peopleByStatus,
    requirements: [...byRequirement.values()].sort((a, b) =>
      a.kind === b.kind ? a.title.localeCompare(b.title) : a.kind === "module" ? -1 : 1,
    ),
  };
}

export const PEOPLE_SORTS = ["urgency", "name", "since", "due"] as const;
export type PeopleSort = (typeof PEOPLE_SORTS)[number];

export type PeopleQuery = {
  /** Only people whose most urgent status is one of these; by default everyone outstanding. */
  statuses?: Status[];
  sort?: PeopleSort;
  page?: number;
  pageSize?: number;
};

export type PersonSummary = {
  userId: string;
  name: string;
  /** Only where someone else in the same list has the same name, to tell them apart. */
  employeeNumber: string | null;
  status: Status;
  /** Since when their most urgent outstanding requirement has been outstanding; for someone complete, their latest completion. */
  since: string;
  /** Their earliest due date among what is outstanding; for someone complete, their earliest renewal date. */
  dueOn: string | null;
  outstanding: { title: string; status: Status; dueOn: string }[];
  nudgedToday: boolean;
};

/**
 * People's names sort by surname, taken as the last word of the name (the one name field holds the whole name),
 * then by the whole name. The report's index on the kept standings (db/schema.ts) has the same expression.
 */
export const surnameKey = (name: string) => `lower(regexp_replace(btrim(${name}), '^.*[[:space:]]', ''))`;
const BY_NAME = `${surnameKey("name")}, name, employee_number, user_id`;

const ORDER: Record<PeopleSort, string> = {
  urgency: `min_rank, since, ${BY_NAME}`,
  name: BY_NAME,
  since: `since, min_rank, ${BY_NAME}`,
  due: `due_on, min_rank, ${BY_NAME}`,
};

/**
 * The people of a scope, one row each with their most urgent status and since when, filtered, sorted and
 * paginated in SQL. Only statuses and dates: never scores or answers.
 */
export async function peopleStatus(
  db: Db,
  scope: StatusScope,
  query: PeopleQuery,
  clock: Clock,
): Promise<{ people: PersonSummary[]; total: number; page: number; pageCount: number }> {
  const pageSize = query.pageSize ?? 25;
  const statuses = query.statuses && query.statuses.length > 0 ? query.statuses : OUTSTANDING;
  const today = londonDate(clock.now);
  const rows = await queryRows<{
    user_id: string;
    name: string;
    employee_number: string;
    shares_name: boolean;
    min_rank: number;
    since: string;
    due_on: string | null;
    outstanding: { title: string; status: Status; dueOn: string }[] | string | null;
    nudged_today: boolean;
    total: number;
  }>(
    db,
    sql`
      with s as (${requirementStatusQuery(scope, clock)}),
      per_person as (
        select user_id, name, employee_number, min(${RANK_SQL}) as min_rank,
          count(*) over (partition by lower(btrim(name))) > 1 as shares_name,
          coalesce(min(since) filter (where status not in ('complete', 'exempt')), max(since))::text as since,
          coalesce(min(due_on) filter (where status not in ('complete', 'exempt')), min(due_on))::text as due_on,
          coalesce(json_agg(json_build_object('title', title, 'status', status, 'dueOn', due_on) order by kind = 'policy', title)
            filter (where status not in ('complete', 'exempt')), '[]') as outstanding
        from s group by user_id, name, employee_number
      ),
      chosen as (
        select per_person.*, ${STATUS_OF_RANK} as status from per_person
      )
      select chosen.user_id, chosen.name, chosen.employee_number, chosen.shares_name, chosen.min_rank, chosen.since, chosen.due_on, chosen.outstanding,
        exists (select 1 from nudges n where n.recipient_user_id = chosen.user_id and n.kind = 'nudge' and n.day = ${today}::date) as nudged_today,
        count(*) over ()::int as total
      from chosen
      where chosen.status = any(${`{${statuses.join(",")}}`}::text[])
      order by ${sql.raw(ORDER[query.sort ?? "urgency"])}
      limit ${pageSize} offset ${((query.page ?? 1) - 1) * pageSize}
    `,
  );
  const total = rows.length > 0 ? Number(rows[0].total) : 0;
  const rankStatus = ["expired", "overdue", "due_soon", "in_progress", "not_started", "complete", "exempt"] as const;
  return {
    people: rows.map((r) => ({
      userId: r.user_id,
      name: r.name,
      employeeNumber: r.shares_name ? r.employee_number : null,
      status: rankStatus[Number(r.min_rank) - 1],
      since: r.since,
      dueOn: r.due_on,
      outstanding: jsonValue(r.outstanding ?? []),
      nudgedToday: r.nudged_today,
    })),
    total,
    page: query.page ?? 1,
    pageCount: Math.max(1, Math.ceil(total / pageSize)),
  };
}

export type TeamCompletion = { people: number; complete: number; overdue: number };

/** For a list of teams, how many people each has, how many completed everything, and how many are overdue or expired: one query. */
export async function teamsCompletion(
  db: Db,
  organisationId: string,
  teamIds: string[],
  clock: Clock,
): Promise<Map<string, TeamCompletion>> {
  if (teamIds.length === 0) return new Map();
  const rows = await queryRows<{ team_id: string; people: number; complete: number; overdue: number }>(
    db,
    sql`
      with s as (${requirementStatusQuery({ organisationId, teamIds }, clock)}),
      per_person as (select team_id, user_id, min(${RANK_SQL}) as min_rank from s group by team_id, user_id)
      -- People exempt from everything are left out of the figures (docs/decisions/0021).
      select team_id, count(*) filter (where min_rank < 7)::int as people, count(*) filter (where min_rank = 6)::int as complete,
        count(*) filter (where min_rank <= 2)::int as overdue
      from per_person group by team_id
    `,
  );
  return new Map(
    rows.map((r) => [
      r.team_id,
      { people: Number(r.people), complete: Number(r.complete), overdue: Number(r.overdue) },
    ]),
  );
}
