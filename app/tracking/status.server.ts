import { getTableColumns, sql, type SQL } from "drizzle-orm";
import { londonDate } from "~/lib/dates";
import { jsonValue, queryRows, type Db } from "~db/client.server";
import { requirementStandings } from "~db/schema";
import { OUTSTANDING, STATUSES, type Status } from "./statuses";

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
  /** The day it must be done by: for a completed requirement, the day it must be renewed by. */
  dueOn: string;
  completedAt: string | null;
  /** Evidence of a complete requirement: the passed attempt, or the signature and the version signed. */
  attemptId: string | null;
  attestationReference: string | null;
  policyVersionId: string | null;
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
      select u.id as user_id, u.start_date, m.team_id
      from params, users u
      left join team_memberships m on m.user_id = u.id
        and m.started_on <= (select today from params) and (m.ended_on is null or m.ended_on > (select today from params))
      where u.organisation_id = params.org
        and u.start_date <= params.today
        and (u.leaving_date is null or u.leaving_date > params.today)
        ${scopeFilters(scope, "u.id", "m.team_id")}
    ),
    reqs as (
      select r.id, r.kind, r.module_id, r.policy_id, r.due_within_days, r.renewal_months, r.effective_from,
        coalesce(tm.title, p.title) as title, tm.slug as module_slug
      from params, requirements r
      left join training_modules tm on tm.id = r.module_id
      left join policies p on p.id = r.policy_id
      where r.organisation_id = params.org and r.effective_from <= params.today
    ),
    module_progress as (
      select a.user_id, a.module_id,
        max(a.completed_at) filter (where a.status = 'passed' and a.completed_at <= params.at) as last_pass,
        (array_agg(a.id order by a.completed_at desc) filter (where a.status = 'passed' and a.completed_at <= params.at))[1] as pass_attempt_id
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
        case when reqs.kind = 'module' then mp.last_pass when s.acceptable then s.recorded_at end as completed_at,
        case when reqs.kind = 'module' then mp.pass_attempt_id end as attempt_id,
        case when s.acceptable then s.reference end as attestation_reference,
        case when s.acceptable then s.policy_version_id end as policy_version_id,
        case when reqs.kind = 'module' then mp.user_id is not null else st.user_id is not null end as started,
        greatest(people.start_date, reqs.effective_from,
          case when reqs.kind = 'policy' and s.user_id is not null and not s.acceptable then b.effective_date end) as anchor
      from people
      cross join reqs
      left join module_progress mp on reqs.kind = 'module' and mp.user_id = people.user_id and mp.module_id = reqs.module_id
      left join signatures s on reqs.kind = 'policy' and s.user_id = people.user_id and s.policy_id = reqs.policy_id
      left join binding b on reqs.kind = 'policy' and b.policy_id = reqs.policy_id
      left join started st on st.user_id = people.user_id
      where reqs.kind = 'module' or b.policy_id is not null
    )
    -- Names are joined last, so the wide columns do not travel through the joins above.
    select params.org as organisation_id, facts.user_id, requirement_id, u.name, u.employee_number, facts.team_id, team.name as team_name, kind, title,
      module_slug, started, completed_at,
      completed_at + make_interval(months => renewal_months) as expires_at,
      ((completed_at + make_interval(months => renewal_months)) at time zone 'Europe/London')::date as expires_on,
      anchor, (anchor + due_within_days) as due_on, attempt_id, attestation_reference, policy_version_id
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
  return sql`
    select f.user_id, f.name, f.employee_number, f.team_id, f.team_name, f.requirement_id, f.kind::text as kind, f.kind = 'policy' as policy_last,
      f.title, f.module_slug,
      case
        when ${current} then 'complete'
        when f.completed_at is not null then 'expired'
        when f.due_on < ${today} then 'overdue'
        when f.due_on <= ${today} + (select due_soon_days from organisations where id = ${organisationId}::uuid) then 'due_soon'
        when f.started then 'in_progress'
        else 'not_started'
      end as status,
      (case when ${current} then (f.completed_at at time zone 'Europe/London')::date
            when f.completed_at is not null then f.expires_on
            else f.anchor end)::text as since,
      (case when f.completed_at is not null then f.expires_on else f.due_on end)::text as due_on,
      case when ${current} then ${sql.raw(iso("f.completed_at"))} end as completed_at,
      case when ${current} then f.attempt_id end as attempt_id,
      case when ${current} then f.attestation_reference end as attestation_reference,
      case when ${current} then f.policy_version_id end as policy_version_id
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
  due_on: string;
  completed_at: string | null;
  attempt_id: string | null;
  attestation_reference: string | null;
  policy_version_id: string | null;
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
  `case status when 'expired' then 1 when 'overdue' then 2 when 'due_soon' then 3 when 'in_progress' then 4 when 'not_started' then 5 else 6 end`,
);
const STATUS_OF_RANK = sql.raw(
  `(array['expired','overdue','due_soon','in_progress','not_started','complete'])[min_rank]`,
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
    entry.total += Number(row.n);
  }
  const people = Object.values(peopleByStatus).reduce((a, b) => a + b, 0);
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
  status: Status;
  /** Since when their most urgent outstanding requirement has been outstanding; for someone complete, their latest completion. */
  since: string;
  /** Their earliest due date among what is outstanding; for someone complete, their earliest renewal date. */
  dueOn: string;
  outstanding: { title: string; status: Status; dueOn: string }[];
  nudgedToday: boolean;
};

const ORDER: Record<PeopleSort, string> = {
  urgency: "min_rank, since, name, user_id",
  name: "name, user_id",
  since: "since, min_rank, name, user_id",
  due: "due_on, min_rank, name, user_id",
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
    min_rank: number;
    since: string;
    due_on: string;
    outstanding: { title: string; status: Status; dueOn: string }[] | string | null;
    nudged_today: boolean;
    total: number;
  }>(
    db,
    sql`
      with s as (${requirementStatusQuery(scope, clock)}),
      per_person as (
        select user_id, name, min(${RANK_SQL}) as min_rank,
          coalesce(min(since) filter (where status <> 'complete'), max(since))::text as since,
          coalesce(min(due_on) filter (where status <> 'complete'), min(due_on))::text as due_on,
          coalesce(json_agg(json_build_object('title', title, 'status', status, 'dueOn', due_on) order by kind = 'policy', title)
            filter (where status <> 'complete'), '[]') as outstanding
        from s group by user_id, name
      ),
      chosen as (
        select per_person.*, ${STATUS_OF_RANK} as status from per_person
      )
      select chosen.user_id, chosen.name, chosen.min_rank, chosen.since, chosen.due_on, chosen.outstanding,
        exists (select 1 from nudges n where n.recipient_user_id = chosen.user_id and n.kind = 'nudge' and n.day = ${today}::date) as nudged_today,
        count(*) over ()::int as total
      from chosen
      where chosen.status = any(${`{${statuses.join(",")}}`}::text[])
      order by ${sql.raw(ORDER[query.sort ?? "urgency"])}
      limit ${pageSize} offset ${((query.page ?? 1) - 1) * pageSize}
    `,
  );
  const total = rows.length > 0 ? Number(rows[0].total) : 0;
  const rankStatus = ["expired", "overdue", "due_soon", "in_progress", "not_started", "complete"] as const;
  return {
    people: rows.map((r) => ({
      userId: r.user_id,
      name: r.name,
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
      select team_id, count(*)::int as people, count(*) filter (where min_rank = 6)::int as complete,
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
