import { and, asc, count, eq, isNull, ne, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import type { FieldErrors } from "~/components/form-errors";
import { londonDate } from "~/lib/dates";
import { isUniqueViolation, queryRows, type Db } from "~db/client.server";
import { teamChampions, teams, users } from "~db/schema";
import { setTeam } from "./memberships.server";

type Request = RequestInfo & { now: Date };
export type Outcome<T = object> = ({ ok: true } & T) | { ok: false; errors: FieldErrors };

/** The form of a team's name two teams may not share: case and spacing do not make a different team. */
const nameKey = (name: string) => sql`lower(regexp_replace(btrim(${name}), '\\s+', ' ', 'g'))`;
const columnKey = sql`lower(regexp_replace(btrim(${teams.name}), '\\s+', ' ', 'g'))`;

const nameTaken = (name: string): { ok: false; errors: FieldErrors } => ({
  ok: false,
  errors: { name: `There is already a team called ${name}: choose another name` },
});

/** Every team of the council, open ones first, each with the active people in it now and its champions. */
export async function teamsForAdmin(db: Db, organisationId: string) {
  const rows = await queryRows<{
    id: string;
    name: string;
    closed_on: string | null;
    members: number;
    champions: string[] | null;
  }>(
    db,
    sql`select t.id, t.name, t.closed_on::text,
               (select count(*)::int from ${users} u where u.team_id = t.id and u.active) as members,
               (select array_agg(u.name order by u.name) from ${teamChampions} c join ${users} u on u.id = c.user_id
                 where c.team_id = t.id) as champions
          from ${teams} t where t.organisation_id = ${organisationId}::uuid
         order by t.closed_on is not null, t.name, t.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    closedOn: r.closed_on,
    members: Number(r.members),
    champions: r.champions ?? [],
  }));
}

/** The open teams a person can be moved to or named champion of. */
export async function openTeams(db: Db, organisationId: string) {
  return db
    .select({ id: teams.id, name: teams.name })
    .from(teams)
    .where(and(eq(teams.organisationId, organisationId), isNull(teams.closedOn)))
    .orderBy(asc(teams.name), asc(teams.id));
}

/** One team of the admin's council with its head count and champions, or null (not theirs, or no such team). */
export async function teamForAdmin(db: Db, admin: CurrentUser, teamId: string) {
  const [team] = await db
    .select({ id: teams.id, name: teams.name, closedOn: teams.closedOn, createdAt: teams.createdAt })
    .from(teams)
    .where(and(eq(teams.id, teamId), eq(teams.organisationId, admin.organisationId)));
  if (!team) return null;
  const [{ members }] = await db
    .select({ members: count() })
    .from(users)
    .where(and(eq(users.teamId, team.id), eq(users.active, true)));
  const champions = await db
    .select({ id: users.id, name: users.name, email: users.email, employeeNumber: users.employeeNumber })
    .from(teamChampions)
    .innerJoin(users, eq(users.id, teamChampions.userId))
    .where(eq(teamChampions.teamId, team.id))
    .orderBy(asc(users.name), asc(users.id));
  return { ...team, members, champions };
}

export async function createTeam(
  db: Db,
  admin: CurrentUser,
  input: { name: string },
  request: Request,
): Promise<Outcome<{ team: { id: string; name: string } }>> {
  try {
    return await db.transaction(async (tx) => {
      // One admin's create waits for another's in the same council, so the name check below cannot race.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('teams:' || ${admin.organisationId}))`);
      const [clash] = await tx
        .select({ name: teams.name })
        .from(teams)
        .where(and(eq(teams.organisationId, admin.organisationId), sql`${columnKey} = ${nameKey(input.name)}`));
      if (clash) return nameTaken(clash.name);
      const [team] = await tx
        .insert(teams)
        .values({ organisationId: admin.organisationId, name: input.name, createdAt: request.now })
        .returning({ id: teams.id, name: teams.name });
      await audit(tx, admin, "teams.created", team.id, { name: team.name }, request);
      return { ok: true as const, team };
    });
  } catch (error) {
    if (isUniqueViolation(error)) return nameTaken(input.name);
    throw error;
  }
}

/** Null when the team is not the admin's council's or is closed. */
export async function renameTeam(
  db: Db,
  admin: CurrentUser,
  teamId: string,
  input: { name: string },
  request: Request,
): Promise<Outcome | null> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('teams:' || ${admin.organisationId}))`);
      const [team] = await tx
        .select({ id: teams.id, name: teams.name, closedOn: teams.closedOn })
        .from(teams)
        .where(and(eq(teams.id, teamId), eq(teams.organisationId, admin.organisationId)))
        .for("update");
      if (!team || team.closedOn) return null;
      if (team.name === input.name) return { ok: true as const };
      const [clash] = await tx
        .select({ name: teams.name })
        .from(teams)
        .where(
          and(
            eq(teams.organisationId, admin.organisationId),
            ne(teams.id, team.id),
            sql`${columnKey} = ${nameKey(input.name)}`,
          ),
        );
      if (clash) return nameTaken(clash.name);
      await tx.update(teams).set({ name: input.name }).where(eq(teams.id, team.id));
      await audit(tx, admin, "teams.renamed", team.id, { from: team.name, to: input.name }, request);
      return { ok: true as const };
    });
  } catch (error) {
    if (isUniqueViolation(error)) return nameTaken(input.name);
    throw error;
  }
}

/**
 * Closes a team from today. Anyone still in it moves, by a new dated membership, to `moveTo` in the same
 * transaction; without `moveTo` only an empty team closes. Its champions stop being champions of it. Closing a
 * closed team again changes nothing (a second submit). Null when the team is not the admin's council's.
 */
export async function closeTeam(
  db: Db,
  admin: CurrentUser,
  teamId: string,
  input: { moveTo?: string },
  request: Request,
): Promise<Outcome<{ moved: number; name: string }> | null> {
  return db.transaction(async (tx) => {
    const [team] = await tx
      .select({ id: teams.id, name: teams.name, closedOn: teams.closedOn })
      .from(teams)
      .where(and(eq(teams.id, teamId), eq(teams.organisationId, admin.organisationId)))
      .for("update");
    if (!team) return null;
    if (team.closedOn) return { ok: true as const, moved: 0, name: team.name };
    // Locked, so nobody joins it while it closes.
    const members = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.teamId, team.id), eq(users.active, true)))
      .orderBy(users.id)
      .for("update");
    let target: { id: string; name: string } | undefined;
    if (members.length > 0) {
      if (!input.moveTo)
        return {
          ok: false as const,
          errors: {
            moveTo: `Choose the team to move ${members.length === 1 ? "the 1 person" : `the ${members.length} people`} in ${team.name} to`,
          },
        };
      [target] = await tx
        .select({ id: teams.id, name: teams.name })
        .from(teams)
        .where(
          and(
            eq(teams.id, input.moveTo),
            eq(teams.organisationId, admin.organisationId),
            isNull(teams.closedOn),
            ne(teams.id, team.id),
          ),
        )
        .for("share");
      if (!target) return { ok: false as const, errors: { moveTo: "Choose an open team to move its people to" } };
    }
    const today = londonDate(request.now);
    for (const member of members) await setTeam(tx, member.id, target!.id, today);
    const champions = await tx
      .delete(teamChampions)
      .where(eq(teamChampions.teamId, team.id))
      .returning({ userId: teamChampions.userId });
    await tx.update(teams).set({ closedOn: today }).where(eq(teams.id, team.id));
    await audit(
      tx,
      admin,
      "teams.closed",
      team.id,
      {
        name: team.name,
        closedOn: today,
        movedTo: target?.id ?? null,
        moved: members.map((m) => m.id),
        championsRemoved: champions.map((c) => c.userId).sort(),
      },
      request,
    );
    return { ok: true as const, moved: members.length, name: team.name };
  });
}

/**
 * Names a person champion of a team (a person may champion several). A leaver cannot be named; naming someone
 * already named changes nothing. Null when the person or the team is not the admin's council's.
 */
export async function nameChampion(
  db: Db,
  admin: CurrentUser,
  personId: string,
  teamId: string,
  request: Request,
): Promise<Outcome | null> {
  return db.transaction(async (tx) => {
    const [person] = await tx
      .select({ id: users.id, name: users.name, active: users.active })
      .from(users)
      .where(and(eq(users.id, personId), eq(users.organisationId, admin.organisationId)))
      .for("share");
    const [team] = await tx
      .select({ id: teams.id, name: teams.name, closedOn: teams.closedOn })
      .from(teams)
      .where(and(eq(teams.id, teamId), eq(teams.organisationId, admin.organisationId)))
      .for("share");
    if (!person || !team) return null;
    if (!person.active)
      return {
        ok: false as const,
        errors: { teamId: `${person.name} has been deactivated, so cannot be named a champion` },
      };
    if (team.closedOn) return { ok: false as const, errors: { teamId: `${team.name} is closed: choose an open team` } };
    const named = await tx
      .insert(teamChampions)
      .values({ teamId: team.id, userId: person.id, createdAt: request.now })
      .onConflictDoNothing()
      .returning({ userId: teamChampions.userId });
    if (named.length > 0)
      await audit(tx, admin, "teams.champion-named", team.id, { userId: person.id, team: team.name }, request);
    return { ok: true as const };
  });
}

/** Removing a champion who is not one changes nothing. Null when the person or team is not the admin's council's. */
export async function removeChampion(
  db: Db,
  admin: CurrentUser,
  personId: string,
  teamId: string,
  request: Request,
): Promise<{ ok: true } | null> {
  return db.transaction(async (tx) => {
    const [team] = await tx
      .select({ id: teams.id, name: teams.name })
      .from(teams)
      .where(and(eq(teams.id, teamId), eq(teams.organisationId, admin.organisationId)));
    const [person] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, personId), eq(users.organisationId, admin.organisationId)));
    if (!team || !person) return null;
    const removed = await tx
      .delete(teamChampions)
      .where(and(eq(teamChampions.teamId, team.id), eq(teamChampions.userId, person.id)))
      .returning({ userId: teamChampions.userId });
    if (removed.length > 0)
      await audit(tx, admin, "teams.champion-removed", team.id, { userId: person.id, team: team.name }, request);
    return { ok: true as const };
  });
}

function audit(
  db: Db,
  admin: CurrentUser,
  action: string,
  teamId: string,
  details: Record<string, unknown>,
  request: RequestInfo,
) {
  return writeAudit(
    db,
    {
      action,
      organisationId: admin.organisationId,
      actorUserId: admin.id,
      subjectType: "team",
      subjectId: teamId,
      details,
    },
    request,
  );
}
