import { and, asc, count, eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { createPasswordLink } from "~/auth/password-links.server";
import { revokeAllSessions, type CurrentUser } from "~/auth/session.server";
import { londonDate } from "~/lib/dates";
import type { Db } from "~db/client.server";
import { endMembership } from "./memberships.server";
import { teamChampions, teams, users } from "~db/schema";

export const PAGE_SIZE = 50;

export async function listPeople(db: Db, organisationId: string, page: number) {
  const where = eq(users.organisationId, organisationId);
  const [{ total }] = await db.select({ total: count() }).from(users).where(where);
  const people = await db
    .select({
      id: users.id,
      name: users.name,
      email: users.email,
      role: users.role,
      employeeNumber: users.employeeNumber,
      active: users.active,
      hasPassword: sql<boolean>`${users.passwordHash} is not null`,
      teamName: teams.name,
    })
    .from(users)
    .leftJoin(teams, eq(teams.id, users.teamId))
    .where(where)
    .orderBy(asc(users.name), asc(users.id))
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE);
  return { people, total, page, pageCount: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
}

/** Teams of the organisation with their active head counts and named champions. */
export async function listTeams(db: Db, organisationId: string) {
  const rows = await db
    .select({
      id: teams.id,
      name: teams.name,
      members: sql<number>`count(${users.id}) filter (where ${users.active})`.mapWith(Number),
    })
    .from(teams)
    .leftJoin(users, eq(users.teamId, teams.id))
    .where(eq(teams.organisationId, organisationId))
    .groupBy(teams.id, teams.name)
    .orderBy(asc(teams.name));
  const champions = await db
    .select({ teamId: teamChampions.teamId, name: users.name })
    .from(teamChampions)
    .innerJoin(users, eq(users.id, teamChampions.userId))
    .innerJoin(teams, eq(teams.id, teamChampions.teamId))
    .where(eq(teams.organisationId, organisationId))
    .orderBy(asc(users.name));
  return rows.map((team) => ({ ...team, champions: champions.filter((c) => c.teamId === team.id).map((c) => c.name) }));
}

export async function teamMembers(db: Db, teamId: string) {
  return db
    .select({ id: users.id, name: users.name, startDate: users.startDate })
    .from(users)
    .where(and(eq(users.teamId, teamId), eq(users.active, true)))
    .orderBy(asc(users.name));
}

async function personInOrganisation(db: Db, admin: CurrentUser, personId: string) {
  const [person] = await db
    .select({ id: users.id, name: users.name, email: users.email, active: users.active })
    .from(users)
    .where(and(eq(users.id, personId), eq(users.organisationId, admin.organisationId)));
  return person ?? null;
}

/** For an admin to pass on when e-mail is not configured: a one-time link shown once, never stored in the clear. */
export async function issuePasswordLink(
  db: Db,
  admin: CurrentUser,
  personId: string,
  request: RequestInfo & { now: Date },
) {
  const person = await personInOrganisation(db, admin, personId);
  if (!person || !person.active) return null;
  const token = await createPasswordLink(db, person.id, "set", request.now);
  await writeAudit(
    db,
    {
      action: "people.password-link-issued",
      organisationId: admin.organisationId,
      actorUserId: admin.id,
      subjectType: "user",
      subjectId: person.id,
    },
    request,
  );
  return { person, token };
}

/** A leaver keeps every record; they can no longer sign in and their sessions end now. */
export async function deactivatePerson(
  db: Db,
  admin: CurrentUser,
  personId: string,
  request: RequestInfo & { now: Date },
) {
  const person = await personInOrganisation(db, admin, personId);
  if (!person) return null;
  if (!person.active) return person;
  await db.transaction(async (tx) => {
    // The leaving date is what keeps them out of every figure from today, and in them before (reports as at a past date).
    const today = londonDate(request.now);
    const [left] = await tx
      .update(users)
      .set({
        active: false,
        leavingDate: sql`least(coalesce(${users.leavingDate}, ${today}::date), ${today}::date)`,
        updatedAt: request.now,
      })
      .where(eq(users.id, person.id))
      .returning({ leavingDate: users.leavingDate });
    await endMembership(tx, person.id, left.leavingDate ?? today);
    await revokeAllSessions(tx, person.id, request.now);
    await writeAudit(
      tx,
      {
        action: "people.deactivated",
        organisationId: admin.organisationId,
        actorUserId: admin.id,
        subjectType: "user",
        subjectId: person.id,
      },
      request,
    );
  });
  return { ...person, active: false };
}

/** What a person's home page shows: their own details, the teams they champion, and for HR and admins the organisation's teams. */
export async function homeSummary(db: Db, user: CurrentUser) {
  const [me] = await db
    .select({ teamName: teams.name, startDate: users.startDate, employeeNumber: users.employeeNumber })
    .from(users)
    .leftJoin(teams, eq(teams.id, users.teamId))
    .where(eq(users.id, user.id));
  const organisationTeams = await listTeams(db, user.organisationId);
  const championed = organisationTeams.filter((t) => user.championTeamIds.includes(t.id));
  return {
    me: me ?? { teamName: null, startDate: null, employeeNumber: null },
    championed,
    organisationTeams: user.role === "hr" || user.role === "admin" ? organisationTeams : [],
  };
}

/** The teams a user may open: those they champion, or every team of their organisation for HR and admins. */
export async function visibleTeams(db: Db, user: CurrentUser) {
  const all = await listTeams(db, user.organisationId);
  return user.role === "hr" || user.role === "admin" ? all : all.filter((t) => user.championTeamIds.includes(t.id));
}
