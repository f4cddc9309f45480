import { sql, type SQL } from "drizzle-orm";
import { dayBefore, endOfLondonDay, londonDate } from "~/lib/dates";
import {
  keptStatusQuery,
  snapshotStatusQuery,
  STANDING_COLUMNS,
  standingFactsQuery,
  type Clock,
} from "./status.server";
import { STATUSES, type Status } from "./statuses";
import { queryRows, type Db } from "~db/client.server";

/** Past this many people changed since the last read, rebuilding the whole organisation is the quicker way. */
const REBUILD_OVER = 5_000;
/**
 * The day's rebuild may outlast a page's statement bound (18.9 s at 100,000 staff on PostgreSQL): it gets its
 * own, so that a page that triggers it sees it finish (after the page's own deadline, if need be) rather than
 * cancelled and retried on every view. docs/decisions/0012.
 */
export const REBUILD_STATEMENT_TIMEOUT_MS = 10 * 60_000;

export type StandingsRefresh = { rebuilt: boolean; people: number };

const bit = (status: Status) => 1 << STATUSES.indexOf(status);
const STATUS_BITS = sql.raw(`case status ${STATUSES.map((s) => `when '${s}' then ${bit(s)}`).join(" ")} end`);
const COUNT_COLUMNS = sql.raw(STATUSES.join(", "));
const SUMS = sql.raw(STATUSES.map((s) => `sum(${s})::int as ${s}`).join(", "));

/**
 * One row per person of status rows (columns team_id, user_id, status): the set of statuses they have (a bit per
 * status, in the order of STATUSES) and how many of their rows have each.
 */
export function perPersonCounts(rows: SQL): SQL {
  return sql`
    select team_id, user_id, bit_or(${STATUS_BITS}) as statuses,
      ${sql.raw(STATUSES.map((s) => `count(*) filter (where status = '${s}') as ${s}`).join(", "))}
    from (${rows} offset 0) once_each -- offset 0: each row's status is worked out once, not once per count
    group by team_id, user_id
  `;
}

export type Totals = { rows: number; people: number; byStatus: Record<Status, number> };

/** Totals from a row of sums (one column per status, and people), counting only the chosen statuses. */
export function totalsOf(
  row: Partial<Record<Status | "people", number | null>> | undefined,
  chosen: readonly Status[] = STATUSES,
): Totals {
  const byStatus = Object.fromEntries(
    STATUSES.map((s) => [s, chosen.includes(s) ? Number(row?.[s] ?? 0) : 0]),
  ) as Record<Status, number>;
  return { rows: Object.values(byStatus).reduce((a, b) => a + b, 0), people: Number(row?.people ?? 0), byStatus };
}

/** Sums of people's counts (perPersonCounts), one column per status, and the number of people. */
export function sumsOf(people: SQL): SQL {
  return sql`select ${SUMS}, count(*)::int as people from (${people}) people`;
}

/** Status rows (a status query's, narrowed by `only`) summed per team and set of statuses: the summaries' columns. */
function summaryRows(statuses: SQL, only: SQL = sql`true`): SQL {
  const rows = sql`select team_id, user_id, status from (${statuses}) k where ${only}`;
  return sql`
    select team_id, statuses, count(*) as people, ${SUMS}
    from (${perPersonCounts(rows)}) people
    group by team_id, statuses
  `;
}

/** Each person's rows by status, summed per team and set of statuses (standing_summaries), for some teams or all. */
function summariesOf(organisationId: string, clock: Clock, teams: { ids: string[]; none: boolean } | "all"): SQL {
  const only =
    teams === "all"
      ? sql`true`
      : sql`(team_id = any(${`{${teams.ids.join(",")}}`}::uuid[]) or (${teams.none} and team_id is null))`;
  return sql`
    insert into standing_summaries (organisation_id, team_id, statuses, people, ${COUNT_COLUMNS})
    select ${organisationId}::uuid, team_id, statuses, people, ${COUNT_COLUMNS}
    from (${summaryRows(keptStatusQuery({ organisationId }, clock), only)}) s
  `;
}

/**
 * Brings an organisation's kept standings (requirement_standings and standing_summaries) up to date for a read
 * at `clock`, in one transaction: rebuilt from the records on the first read of a London day, after anything
 * organisation-wide changed, or when many people did; otherwise only the people the triggers noted since the
 * last refresh, and those whose completion lapsed since then, are worked out again (with their teams' totals).
 * The notes are taken before the facts are read, so a change that commits in between is both read and noted
 * again: at worst a person is worked out twice, never missed. Readers of the same organisation wait for each
 * other here; writers never wait (they only append notes). docs/decisions/0010.
 */
export async function refreshStandings(db: Db, organisationId: string, clock: Clock): Promise<StandingsRefresh> {
  const today = londonDate(clock.now);
  const at = clock.now.toISOString();
  const org = sql`${organisationId}::uuid`;
  return db.transaction(async (tx) => {
    await tx.execute(sql`insert into standing_refreshes (organisation_id) values (${org}) on conflict do nothing`);
    const [state] = await queryRows<{ computed_for: string | null; computed_at: string | null; later: boolean }>(
      tx,
      sql`select computed_for::text as computed_for, computed_at::text as computed_at, coalesce(computed_at > ${at}::timestamptz, false) as later
          from standing_refreshes where organisation_id = ${org} for update`,
    );
    const notes = await queryRows<{ user_id: string | null }>(
      tx,
      sql`delete from standing_changes where organisation_id = ${org} returning user_id`,
    );
    // A read for an earlier moment than the last refresh (a test's clock) cannot trust facts worked out later.
    let rebuild = state.computed_for !== today || state.later || notes.some((n) => n.user_id === null);
    const people = new Set(notes.map((n) => n.user_id as string));
    if (!rebuild && state.computed_at) {
      const lapsed = await queryRows<{ user_id: string }>(
        tx,
        sql`select distinct user_id from requirement_standings
            where organisation_id = ${org} and expires_at > ${state.computed_at}::timestamptz and expires_at <= ${at}::timestamptz`,
      );
      for (const row of lapsed) people.add(row.user_id);
    }
    rebuild ||= people.size > REBUILD_OVER;
    if (rebuild) {
      await tx.execute(sql.raw(`set local statement_timeout = ${REBUILD_STATEMENT_TIMEOUT_MS}`));
      await tx.execute(sql`delete from requirement_standings where organisation_id = ${org}`);
      await tx.execute(
        sql`insert into requirement_standings (${STANDING_COLUMNS}) select ${STANDING_COLUMNS} from (${standingFactsQuery({ organisationId }, clock)}) f`,
      );
      await tx.execute(sql`delete from standing_summaries where organisation_id = ${org}`);
      await tx.execute(summariesOf(organisationId, clock, "all"));
      // Fresh statistics, so the planner knows how many rows the report reads straight after the rebuild.
      await tx.execute(sql`analyze requirement_standings`);
    } else if (people.size > 0) {
      const userIds = sql`${`{${[...people].join(",")}}`}::uuid[]`;
      const before = await queryRows<{ team_id: string | null }>(
        tx,
        sql`delete from requirement_standings where organisation_id = ${org} and user_id = any(${userIds}) returning team_id`,
      );
      const after = await queryRows<{ team_id: string | null }>(
        tx,
        sql`insert into requirement_standings (${STANDING_COLUMNS}) select ${STANDING_COLUMNS} from (${standingFactsQuery({ organisationId, userIds: [...people] }, clock)}) f
            returning team_id`,
      );
      const teams = new Set([...before, ...after].map((r) => r.team_id));
      const affected = { ids: [...teams].filter((t): t is string => t !== null), none: teams.has(null) };
      await tx.execute(
        sql`delete from standing_summaries where organisation_id = ${org}
            and (team_id = any(${`{${affected.ids.join(",")}}`}::uuid[]) or (${affected.none} and team_id is null))`,
      );
      await tx.execute(summariesOf(organisationId, clock, affected));
    }
    await tx.execute(
      sql`update standing_refreshes set computed_for = ${today}::date, computed_at = ${
        rebuild ? sql`${at}::timestamptz` : sql`greatest(computed_at, ${at}::timestamptz)`
      } where organisation_id = ${org}`,
    );
    return { rebuilt: rebuild, people: rebuild ? 0 : people.size };
  });
}

/**
 * The report's totals for a team (or the whole organisation) and a choice of statuses (none: every status),
 * summed from standing_summaries as at the last refresh (call refreshStandings first), or, given a past day that
 * has a snapshot (hasDaySnapshot), from that day's.
 */
export async function keptTotals(
  db: Db,
  organisationId: string,
  selection: { teamId?: string; statuses: Status[]; day?: string },
): Promise<Totals> {
  const chosen: readonly Status[] = selection.statuses.length > 0 ? selection.statuses : STATUSES;
  const mask = chosen.reduce((m: number, s) => m | bit(s), 0);
  const [row] = await queryRows<Record<Status | "people", number | null>>(
    db,
    sql`select sum(people)::int as people, ${SUMS}
        from ${selection.day ? sql`standing_snapshot_summaries` : sql`standing_summaries`}
        where organisation_id = ${organisationId}::uuid and statuses & ${mask} <> 0
          ${selection.day ? sql`and day = ${selection.day}::date` : sql``}
          ${selection.teamId ? sql`and team_id = ${selection.teamId}::uuid` : sql``}`,
  );
  return totalsOf(row, chosen);
}

/** Whether an organisation's standings were kept as at the end of this day (keepDaySnapshot). */
export async function hasDaySnapshot(db: Db, organisationId: string, day: string): Promise<boolean> {
  const rows = await queryRows<{ one: number }>(
    db,
    sql`select 1 as one from standing_snapshot_days where organisation_id = ${organisationId}::uuid and day = ${day}::date`,
  );
  return rows.length > 0;
}

/**
 * Keeps an organisation's standings as at the end of a London day that is over by `clock` (docs/decisions/0026):
 * the facts the records give at the day's last instant, which count only what was recorded by then, and the
 * report's totals of that day. Written once: a day already kept (or being kept by another run, which this one
 * waits for) is left as it is. Returns whether this call wrote it. `npm run reminders` keeps the days not yet kept
 * (keepMissedDaySnapshots).
 */
export async function keepDaySnapshot(db: Db, organisationId: string, day: string, clock: Clock): Promise<boolean> {
  if (day >= londonDate(clock.now)) throw new Error(`The day ${day} is not over yet`);
  const org = sql`${organisationId}::uuid`;
  return db.transaction(async (tx) => {
    const taken = await queryRows<{ day: string }>(
      tx,
      sql`insert into standing_snapshot_days (organisation_id, day) values (${org}, ${day}::date)
          on conflict do nothing returning day::text`,
    );
    if (taken.length === 0) return false;
    await tx.execute(sql.raw(`set local statement_timeout = ${REBUILD_STATEMENT_TIMEOUT_MS}`));
    await tx.execute(
      sql`insert into standing_snapshots (day, ${STANDING_COLUMNS})
          select ${day}::date, ${STANDING_COLUMNS} from (${standingFactsQuery({ organisationId }, { now: endOfLondonDay(day) })}) f`,
    );
    await tx.execute(sql`
      insert into standing_snapshot_summaries (day, organisation_id, team_id, statuses, people, ${COUNT_COLUMNS})
      select ${day}::date, ${org}, team_id, statuses, people, ${COUNT_COLUMNS}
      from (${summaryRows(snapshotStatusQuery({ organisationId }, day))}) s`);
    await tx.execute(sql`analyze standing_snapshots`);
    return true;
  });
}

/** The most past days one call of keepMissedDaySnapshots keeps for an organisation; later calls keep the rest. */
export const MAX_SNAPSHOT_DAYS_PER_RUN = 31;

/**
 * Keeps, oldest first, the days that are over by `clock` and not yet kept since the organisation's last kept day
 * (with none kept yet: just yesterday), at most `maxDays` of them: so a day the daily job did not run is caught up
 * on a later run, still as recorded by the end of that day. Returns the days this call kept and how many are left.
 */
export async function keepMissedDaySnapshots(
  db: Db,
  organisationId: string,
  clock: Clock,
  maxDays: number = MAX_SNAPSHOT_DAYS_PER_RUN,
): Promise<{ kept: string[]; left: number }> {
  const yesterday = dayBefore(londonDate(clock.now));
  const missed = await queryRows<{ day: string }>(
    db,
    sql`with since as (
          select coalesce(max(day) + 1, ${yesterday}::date) as day
          from standing_snapshot_days where organisation_id = ${organisationId}::uuid
        )
        select (since.day + i)::text as day
        from since, generate_series(0, ${yesterday}::date - since.day) i
        order by i`,
  );
  const kept: string[] = [];
  for (const { day } of missed.slice(0, maxDays)) {
    if (await keepDaySnapshot(db, organisationId, day, clock)) kept.push(day);
  }
  return { kept, left: Math.max(0, missed.length - maxDays) };
}

/**
 * How many past days back every day's standings are kept (a quarter and a little more); before that only each month's
 * last day is (docs/decisions/0026). A report as at a dropped day is worked out from the records, as before any was kept.
 */
export const DAILY_SNAPSHOT_DAYS = 92;

/**
 * Drops the organisation's kept days older than DAILY_SNAPSHOT_DAYS before today (London) that are not a month's last
 * day, with their standings and totals, in one statement. Returns the days dropped, oldest first.
 */
export async function dropAgedDaySnapshots(db: Db, organisationId: string, clock: Clock): Promise<string[]> {
  const org = sql`${organisationId}::uuid`;
  const rows = await queryRows<{ day: string }>(
    db,
    sql`with aged as (
          delete from standing_snapshot_days
          where organisation_id = ${org}
            and day < ${londonDate(clock.now)}::date - ${DAILY_SNAPSHOT_DAYS}::int
            and extract(day from day + 1) <> 1
          returning day
        ), standings as (
          delete from standing_snapshots where organisation_id = ${org} and day in (select day from aged)
        ), totals as (
          delete from standing_snapshot_summaries where organisation_id = ${org} and day in (select day from aged)
        )
        select day::text as day from aged order by day`,
  );
  return rows.map((r) => r.day);
}
