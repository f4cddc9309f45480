import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "~db/client.server";
import { teamMemberships, users } from "~db/schema";

/**
 * The one way a person's team changes: the open membership closes on `on` and a new one opens that day,
 * and users.team_id follows, in one transaction. A move on the day someone joins replaces that day's membership.
 */
export async function setTeam(db: Db, userId: string, teamId: string | null, on: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [open] = await tx
      .select()
      .from(teamMemberships)
      .where(and(eq(teamMemberships.userId, userId), isNull(teamMemberships.endedOn)))
      .for("update");
    if (open?.teamId === teamId) return;
    if (open) {
      // A membership can only end on or after the day it began.
      const endedOn = on < open.startedOn ? open.startedOn : on;
      await tx.update(teamMemberships).set({ endedOn }).where(eq(teamMemberships.id, open.id));
    }
    if (teamId)
      await tx
        .insert(teamMemberships)
        .values({ userId, teamId, startedOn: open && on < open.startedOn ? open.startedOn : on });
    await tx.update(users).set({ teamId }).where(eq(users.id, userId));
  });
}

/** A leaver's open membership ends on their leaving date; the history stays. */
export async function endMembership(db: Db, userId: string, on: string): Promise<void> {
  const [open] = await db
    .select()
    .from(teamMemberships)
    .where(and(eq(teamMemberships.userId, userId), isNull(teamMemberships.endedOn)));
  if (!open) return;
  await db
    .update(teamMemberships)
    .set({ endedOn: on < open.startedOn ? open.startedOn : on })
    .where(eq(teamMemberships.id, open.id));
}
