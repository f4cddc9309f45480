import { and, asc, count, desc, eq, isNull, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { createPasswordLink } from "~/auth/password-links.server";
import { revokeAllSessions, type CurrentUser } from "~/auth/session.server";
import { londonDate } from "~/lib/dates";
import { againIfRaced, type Db } from "~db/client.server";
import type { FieldErrors } from "~/components/form-errors";
import { endMembership, setTeam } from "./memberships.server";
import { emailChanges, passwordTokens, teamChampions, teamMemberships, teams, users, type Role } from "~db/schema";

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

/** Open teams of the organisation with their active head counts and named champions. */
export async function listTeams(db: Db, organisationId: string) {
  const rows = await db
    .select({
      id: teams.id,
      name: teams.name,
      members: sql<number>`count(${users.id}) filter (where ${users.active})`.mapWith(Number),
    })
    .from(teams)
    .leftJoin(users, eq(users.teamId, teams.id))
    .where(and(eq(teams.organisationId, organisationId), isNull(teams.closedOn)))
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

async function personInOrganisation(db: Db, admin: CurrentUser, personId: string) {
  const [person] = await db
    .select({ id: users.id, name: users.name, email: users.email, active: users.active })
    .from(users)
    .where(and(eq(users.id, personId), eq(users.organisationId, admin.organisationId)));
  return person ?? null;
}

/** The audit entry of an admin's change to a person of their council. */
function auditPersonChange(
  db: Db,
  admin: CurrentUser,
  personId: string,
  action: string,
  request: RequestInfo,
  details?: Record<string, unknown>,
) {
  return writeAudit(
    db,
    {
      action,
      organisationId: admin.organisationId,
      actorUserId: admin.id,
      subjectType: "user",
      subjectId: personId,
      details,
    },
    request,
  );
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
  await auditPersonChange(db, admin, person.id, "people.password-link-issued", request);
  return { person, token };
}

type Request = RequestInfo & { now: Date };
type PersonOutcome = { ok: true; person: { id: string; name: string } } | { ok: false; errors: FieldErrors };

/**
 * An admin gives a person an e-mail address, changes it or removes it (decision 0025). A new address hands the
 * account to whoever reads it, so their sessions and unused password links end, as when an admin confirms a change
 * a roster asked for (which this replaces). HR officers and admins sign in with theirs: it cannot be removed.
 */
export async function setPersonEmail(
  db: Db,
  admin: CurrentUser,
  personId: string,
  input: { email: string | null },
  request: Request,
): Promise<PersonOutcome | null> {
  return againIfRaced(() =>
    db.transaction(async (tx) => {
      const person = await lockedPerson(tx, admin, personId);
      if (!person) return null;
      const [current] = await tx.select({ email: users.email }).from(users).where(eq(users.id, person.id));
      if ((current?.email ?? null) === input.email) return { ok: true as const, person };
      if (!person.active) return leftError(person.name, "email");
      if (input.email === null && person.role !== "staff")
        return {
          ok: false as const,
          errors: {
            email: `${person.name} signs in with their email address as an HR officer or administrator: keep it`,
          },
        };
      if (input.email !== null) {
        const [holder] = await tx
          .select({ id: users.id })
          .from(users)
          .where(and(eq(sql`lower(${users.email})`, input.email.toLowerCase()), sql`${users.id} <> ${person.id}`));
        if (holder)
          return { ok: false as const, errors: { email: "This email address is already used by another account" } };
      }
      await tx.update(users).set({ email: input.email, updatedAt: request.now }).where(eq(users.id, person.id));
      if ((current?.email ?? "").toLowerCase() !== (input.email ?? "").toLowerCase()) {
        await revokeAllSessions(tx, person.id, request.now);
        await tx
          .update(passwordTokens)
          .set({ usedAt: request.now })
          .where(and(eq(passwordTokens.userId, person.id), isNull(passwordTokens.usedAt)));
        await tx
          .update(emailChanges)
          .set({ decision: "replaced", decidedBy: admin.id, decidedAt: request.now })
          .where(and(eq(emailChanges.userId, person.id), isNull(emailChanges.decidedAt)));
      }
      await auditPersonChange(tx, admin, person.id, "people.email-set", request, {
        from: current?.email ?? null,
        to: input.email,
      });
      return { ok: true as const, person };
    }),
  );
}

/** A person of the admin's council as their page shows them, or null (not theirs, or nobody). */
export async function personForAdmin(db: Db, admin: CurrentUser, personId: string) {
  const [person] = await db
    .select({
      id: users.id,
      name: users.name,
      email: users.email,
      employeeNumber: users.employeeNumber,
      role: users.role,
      active: users.active,
      startDate: users.startDate,
      leavingDate: users.leavingDate,
      hasPassword: sql<boolean>`${users.passwordHash} is not null`,
      teamId: users.teamId,
      teamName: teams.name,
    })
    .from(users)
    .leftJoin(teams, eq(teams.id, users.teamId))
    .where(and(eq(users.id, personId), eq(users.organisationId, admin.organisationId)));
  if (!person) return null;
  const championOf = await db
    .select({ id: teams.id, name: teams.name })
    .from(teamChampions)
    .innerJoin(teams, eq(teams.id, teamChampions.teamId))
    .where(eq(teamChampions.userId, person.id))
    .orderBy(asc(teams.name));
  const memberships = await db
    .select({
      teamName: teams.name,
      startedOn: teamMemberships.startedOn,
      endedOn: teamMemberships.endedOn,
      closedOn: teams.closedOn,
    })
    .from(teamMemberships)
    .innerJoin(teams, eq(teams.id, teamMemberships.teamId))
    .where(eq(teamMemberships.userId, person.id))
    .orderBy(desc(teamMemberships.startedOn), desc(teamMemberships.createdAt));
  return { ...person, championOf, memberships };
}

/** The person, locked for this transaction, if they are of the admin's council. */
async function lockedPerson(tx: Db, admin: CurrentUser, personId: string) {
  const [person] = await tx
    .select({ id: users.id, name: users.name, role: users.role, active: users.active, teamId: users.teamId })
    .from(users)
    .where(and(eq(users.id, personId), eq(users.organisationId, admin.organisationId)))
    .for("update");
  return person ?? null;
}

/**
 * Whether anyone but `personId` would still be an active admin of the council. The council's active admins are
 * locked first, so two admins taking each other's role at once cannot both succeed.
 */
async function anotherAdminRemains(tx: Db, organisationId: string, personId: string) {
  const admins = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.organisationId, organisationId), eq(users.role, "admin"), eq(users.active, true)))
    .orderBy(users.id)
    .for("update");
  return admins.some((a) => a.id !== personId);
}

const leftError = (name: string, field: string): PersonOutcome => ({
  ok: false,
  errors: { [field]: `${name} has been deactivated: reactivate them first` },
});

/** Moves an active person to another open team of the council from today (a new dated membership). */
export async function movePerson(
  db: Db,
  admin: CurrentUser,
  personId: string,
  input: { teamId: string },
  request: Request,
): Promise<PersonOutcome | null> {
  return db.transaction(async (tx) => {
    const person = await lockedPerson(tx, admin, personId);
    if (!person) return null;
    if (!person.active) return leftError(person.name, "teamId");
    const [team] = await tx
      .select({ id: teams.id, name: teams.name })
      .from(teams)
      .where(and(eq(teams.id, input.teamId), eq(teams.organisationId, admin.organisationId), isNull(teams.closedOn)))
      .for("share");
    if (!team) return { ok: false as const, errors: { teamId: "Choose an open team to move them to" } };
    if (person.teamId === team.id) return { ok: true as const, person };
    await setTeam(tx, person.id, team.id, londonDate(request.now));
    await auditPersonChange(tx, admin, person.id, "people.moved", request, {
      fromTeamId: person.teamId,
      toTeamId: team.id,
    });
    return { ok: true as const, person };
  });
}

/** Gives a person the staff, hr or admin role; never leaves the council without an admin, nor takes an admin's own. */
export async function changeRole(
  db: Db,
  admin: CurrentUser,
  personId: string,
  input: { role: Role },
  request: Request,
): Promise<PersonOutcome | null> {
  return db.transaction(async (tx) => {
    const person = await lockedPerson(tx, admin, personId);
    if (!person) return null;
    if (person.role === input.role) return { ok: true as const, person };
    if (!person.active) return leftError(person.name, "role");
    if (person.role === "admin") {
      if (person.id === admin.id)
        return {
          ok: false as const,
          errors: { role: "You cannot remove your own administrator role: ask another administrator" },
        };
      if (!(await anotherAdminRemains(tx, admin.organisationId, person.id)))
        return {
          ok: false as const,
          errors: {
            role: `${person.name} is the council's only administrator: make someone else an administrator first`,
          },
        };
    }
    await tx.update(users).set({ role: input.role, updatedAt: request.now }).where(eq(users.id, person.id));
    await auditPersonChange(tx, admin, person.id, "people.role-changed", request, {
      from: person.role,
      to: input.role,
    });
    return { ok: true as const, person };
  });
}

/**
 * A leaver keeps every record; they can no longer sign in, their sessions end now and they stop championing
 * any team. Never the admin themself, nor the council's last active admin. Deactivating a leaver again changes
 * nothing.
 */
export async function deactivatePerson(
  db: Db,
  admin: CurrentUser,
  personId: string,
  request: Request,
): Promise<PersonOutcome | null> {
  return db.transaction(async (tx) => {
    const person = await lockedPerson(tx, admin, personId);
    if (!person) return null;
    if (!person.active) return { ok: true as const, person };
    if (person.id === admin.id)
      return { ok: false as const, errors: { form: "You cannot deactivate yourself: ask another administrator" } };
    if (person.role === "admin" && !(await anotherAdminRemains(tx, admin.organisationId, person.id)))
      return {
        ok: false as const,
        errors: {
          form: `${person.name} is the council's only administrator: make someone else an administrator first`,
        },
      };
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
    const championed = await tx
      .delete(teamChampions)
      .where(eq(teamChampions.userId, person.id))
      .returning({ teamId: teamChampions.teamId });
    await auditPersonChange(tx, admin, person.id, "people.deactivated", request, {
      championsOfRemoved: championed.map((c) => c.teamId).sort(),
    });
    return { ok: true as const, person };
  });
}

/**
 * A returner can sign in again (with their password, or a new link) and counts from today: their leaving date
 * goes, and they rejoin their last team by a new dated membership if it is still open (otherwise no team).
 */
export async function reactivatePerson(
  db: Db,
  admin: CurrentUser,
  personId: string,
  request: Request,
): Promise<PersonOutcome | null> {
  return db.transaction(async (tx) => {
    const person = await lockedPerson(tx, admin, personId);
    if (!person) return null;
    if (person.active) return { ok: true as const, person };
    const [team] = person.teamId
      ? await tx
          .select({ id: teams.id })
          .from(teams)
          .where(and(eq(teams.id, person.teamId), isNull(teams.closedOn)))
      : [];
    await tx
      .update(users)
      .set({ active: true, leavingDate: null, updatedAt: request.now })
      .where(eq(users.id, person.id));
    await setTeam(tx, person.id, team?.id ?? null, londonDate(request.now));
    await auditPersonChange(tx, admin, person.id, "people.reactivated", request, { teamId: team?.id ?? null });
    return { ok: true as const, person };
  });
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
