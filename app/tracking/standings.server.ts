import { sql } from "drizzle-orm";
import { londonDate } from "~/lib/dates";
import { STANDING_COLUMNS, standingFactsQuery, type Clock } from "./status.server";
import { queryRows, type Db } from "~db/client.server";

/** Past this many people changed since the last read, rebuilding the whole organisation is the quicker way. */
const REBUILD_OVER = 5_000;

export type StandingsRefresh = { rebuilt: boolean; people: number };

/**
 * Brings an organisation's kept standings (requirement_standings) up to date for a read at `clock`, in one
 * transaction: rebuilt from the records on the first read of a London day, after anything organisation-wide
 * changed, or when many people did; otherwise only the people the triggers noted since the last read are worked
 * out again. The notes are taken before the facts are read, so a change that commits in between is both read
 * and noted again: at worst a person is worked out twice, never missed. Readers of the same organisation wait for
 * each other here; writers never wait (they only append notes). docs/decisions/0010.
 */
export async function refreshStandings(db: Db, organisationId: string, clock: Clock): Promise<StandingsRefresh> {
  const today = londonDate(clock.now);
  const at = clock.now.toISOString();
  const org = sql`${organisationId}::uuid`;
  return db.transaction(async (tx) => {
    await tx.execute(sql`insert into standing_refreshes (organisation_id) values (${org}) on conflict do nothing`);
    const [state] = await queryRows<{
      computed_for: string | null;
      later: boolean;
    }>(
      tx,
      sql`select computed_for::text as computed_for, coalesce(computed_at > ${at}::timestamptz, false) as later
          from standing_refreshes where organisation_id = ${org} for update`,
    );
    const notes = await queryRows<{ user_id: string | null }>(tx, sql`delete from standing_changes where organisation_id = ${org} returning user_id`);
    const people = [...new Set(notes.map((n) => n.user_id))];
    // A read for an earlier moment than the last refresh (a test's clock) cannot trust facts worked out later.
    const rebuild = state.computed_for !== today || state.later || people.includes(null) || people.length > REBUILD_OVER;
    if (rebuild) {
      await tx.execute(sql`delete from requirement_standings where organisation_id = ${org}`);
      await tx.execute(sql`insert into requirement_standings (${STANDING_COLUMNS}) select ${STANDING_COLUMNS} from (${standingFactsQuery({ organisationId }, clock)}) f`);
      // Fresh statistics, so the planner knows how many rows the report reads straight after the rebuild.
      await tx.execute(sql`analyze requirement_standings`);
    } else if (people.length > 0) {
      const userIds = people as string[];
      await tx.execute(sql`delete from requirement_standings where organisation_id = ${org} and user_id = any(${`{${userIds.join(",")}}`}::uuid[])`);
      await tx.execute(
        sql`insert into requirement_standings (${STANDING_COLUMNS}) select ${STANDING_COLUMNS} from (${standingFactsQuery({ organisationId, userIds }, clock)}) f`,
      );
    }
    await tx.execute(
      sql`update standing_refreshes set computed_for = ${today}::date, computed_at = ${
        rebuild ? sql`${at}::timestamptz` : sql`greatest(computed_at, ${at}::timestamptz)`
      } where organisation_id = ${org}`,
    );
    return { rebuilt: rebuild, people: rebuild ? 0 : people.length };
  });
}
