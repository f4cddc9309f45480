import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, sessions, teamChampions, teamMemberships, users } from "~db/schema";
import { createSession } from "~/auth/session.server";
import { freshDatabase } from "../../test/support/database";
import {
  aCouncilWithAdmin,
  aPerson,
  aPersonWithoutEmail,
  aTeam,
  asCurrentUser,
  auditOf,
} from "../../test/support/factories";
import { searchPeople } from "./people-search.server";
import {
  changeRole,
  deactivatePerson,
  movePerson,
  personForAdmin,
  reactivatePerson,
  setPersonEmail,
} from "./people.server";
import { closeTeam } from "./teams.server";

const database = await freshDatabase();
const db = database.db;
const NOW = new Date("2026-06-15T10:00:00.000Z");
const LATER = new Date("2026-07-01T10:00:00.000Z");
const request = (now = NOW) => ({ ip: "203.0.113.9", requestId: null, userAgent: "vitest", now });

const councilWithAdmin = () => aCouncilWithAdmin(db);
const auditEntries = (action: string, subjectId: string) => auditOf(db, action, subjectId);

const countRows = async () => ({
  audit: (await db.select().from(auditLog)).length,
  memberships: (await db.select().from(teamMemberships)).length,
  champions: (await db.select().from(teamChampions)).length,
  users: await db.select({ id: users.id, role: users.role, active: users.active, teamId: users.teamId }).from(users),
});

describe("finding a person", () => {
  it("finds people by words of their name in any order, by e-mail and by employee number, only in the admin's council", async () => {
    const { organisation, teamA } = await councilWithAdmin();
    const other = await councilWithAdmin();
    const jane = await aPerson(db, {
      organisationId: organisation.id,
      teamId: teamA.id,
      name: "Jane O'Brien-Smith",
      email: "jane.obrien@council.example",
    });
    const john = await aPerson(db, {
      organisationId: organisation.id,
      name: "John Smithers",
      email: "js@council.example",
    });
    await aPerson(db, { organisationId: other.organisation.id, name: "Jane Smith", email: "jane@other.example" });
    const names = async (typed: string) =>
      (await searchPeople(db, organisation.id, typed, 1)).people.map((p) => p.name);
    expect(await names("smith")).toEqual(["Jane O'Brien-Smith", "John Smithers"]);
    expect(await names("Smith Jane")).toEqual(["Jane O'Brien-Smith"]);
    expect(await names("jan smi")).toEqual(["Jane O'Brien-Smith"]);
    expect(await names("brien")).toEqual(["Jane O'Brien-Smith"]);
    expect(await names("JANE.OBRIEN@COUNCIL.EXAMPLE")).toEqual(["Jane O'Brien-Smith"]);
    expect(await names("jane.obr")).toEqual(["Jane O'Brien-Smith"]);
    expect(await names(john.employeeNumber)).toEqual(["John Smithers"]);
    expect(await names(john.employeeNumber.toLowerCase())).toEqual(["John Smithers"]);
    // Query syntax is only ever text.
    for (const typed of ["smith & !jane", "'", "(", ":*", "a | b", "\\"]) await names(typed);
    expect(await names("&|!")).toEqual([]);
    expect(await names("nobody")).toEqual([]);
    const [found] = (await searchPeople(db, organisation.id, "jane", 1)).people;
    expect(found).toMatchObject({ id: jane.id, teamName: "Team A", role: "staff", active: true });
  });

  it("pages the results, saying whether there are more", async () => {
    const { organisation } = await councilWithAdmin();
    for (let i = 0; i < 30; i++)
      await aPerson(db, { organisationId: organisation.id, name: `Paged Person ${String(i).padStart(2, "0")}` });
    const first = await searchPeople(db, organisation.id, "paged", 1);
    const second = await searchPeople(db, organisation.id, "paged", 2);
    expect([first.people.length, first.more, second.people.length, second.more]).toEqual([25, true, 5, false]);
    expect(second.people[4].name).toBe("Paged Person 29");
  });
});

describe("a person's page", () => {
  it("shows their team history, champion roles and no one of another council", async () => {
    const { me, champion, teamA } = await councilWithAdmin();
    const other = await councilWithAdmin();
    expect(await personForAdmin(db, me, champion.id)).toMatchObject({
      name: champion.name,
      teamName: "Team A",
      championOf: [{ id: teamA.id, name: "Team A" }],
      memberships: [{ teamName: "Team A", startedOn: champion.startDate, endedOn: null }],
      hasPassword: true,
    });
    expect(await personForAdmin(db, me, other.staff.id)).toBeNull();
  });
});

describe("moving a person", () => {
  it("moves them by a new dated membership, audited, and a second submit changes nothing", async () => {
    const { me, staff, teamA, teamB } = await councilWithAdmin();
    expect(await movePerson(db, me, staff.id, { teamId: teamB.id }, request())).toMatchObject({ ok: true });
    expect(await movePerson(db, me, staff.id, { teamId: teamB.id }, request())).toMatchObject({ ok: true });
    expect(
      await db
        .select({
          teamId: teamMemberships.teamId,
          startedOn: teamMemberships.startedOn,
          endedOn: teamMemberships.endedOn,
        })
        .from(teamMemberships)
        .where(eq(teamMemberships.userId, staff.id))
        .orderBy(teamMemberships.startedOn),
    ).toEqual([
      { teamId: teamA.id, startedOn: staff.startDate, endedOn: "2026-06-15" },
      { teamId: teamB.id, startedOn: "2026-06-15", endedOn: null },
    ]);
    expect(await auditEntries("people.moved", staff.id)).toEqual([
      { actor: me.id, details: { fromTeamId: teamA.id, toTeamId: teamB.id } },
    ]);
  });

  it("refuses a closed team, another council's team, a leaver, and another council's person, writing nothing", async () => {
    const { me, organisation, staff, teamA } = await councilWithAdmin();
    const closed = await aTeam(db, organisation.id, "Closed");
    await closeTeam(db, me, closed.id, {}, request());
    const leaver = await aPerson(db, {
      organisationId: organisation.id,
      teamId: teamA.id,
      active: false,
      name: "Lee Left",
    });
    const other = await councilWithAdmin();
    const before = await countRows();
    expect(await movePerson(db, me, staff.id, { teamId: closed.id }, request())).toEqual({
      ok: false,
      errors: { teamId: "Choose an open team to move them to" },
    });
    expect(await movePerson(db, me, staff.id, { teamId: other.teamA.id }, request())).toMatchObject({ ok: false });
    expect(await movePerson(db, me, leaver.id, { teamId: teamA.id }, request())).toEqual({
      ok: false,
      errors: { teamId: "Lee Left has been deactivated: reactivate them first" },
    });
    expect(await movePerson(db, me, other.staff.id, { teamId: teamA.id }, request())).toBeNull();
    expect(await countRows()).toEqual(before);
  });
});

describe("roles", () => {
  it("gives and takes the hr and admin roles, audited, never leaving the council without an admin", async () => {
    const { me, staff, admin, organisation } = await councilWithAdmin();
    const other = await councilWithAdmin();
    const before = await countRows();
    expect(await changeRole(db, me, admin.id, { role: "staff" }, request())).toEqual({
      ok: false,
      errors: { role: "You cannot remove your own administrator role: ask another administrator" },
    });
    expect(await changeRole(db, me, other.staff.id, { role: "admin" }, request())).toBeNull();
    expect(await countRows()).toEqual(before);

    expect(await changeRole(db, me, staff.id, { role: "hr" }, request())).toMatchObject({ ok: true });
    expect(await changeRole(db, me, staff.id, { role: "admin" }, request())).toMatchObject({ ok: true });
    expect(await changeRole(db, me, staff.id, { role: "admin" }, request())).toMatchObject({ ok: true });
    expect((await auditEntries("people.role-changed", staff.id)).map((a) => a.details)).toEqual([
      { from: "staff", to: "hr" },
      { from: "hr", to: "admin" },
    ]);
    // Now the new admin may take the first one's role, and the first may not then take theirs.
    const newAdmin = asCurrentUser({ ...staff, role: "admin" }, organisation);
    expect(await changeRole(db, newAdmin, admin.id, { role: "hr" }, request())).toMatchObject({ ok: true });
    // A deactivated admin does not count: the only active admin is the new one.
    const second = await aPerson(db, { organisationId: organisation.id, role: "admin", name: "Second Admin" });
    await deactivatePerson(db, newAdmin, second.id, request());
    const third = await aPerson(db, { organisationId: organisation.id, role: "admin", name: "Third Admin" });
    const thirdAdmin = asCurrentUser(third, organisation);
    expect(await changeRole(db, thirdAdmin, staff.id, { role: "staff" }, request())).toMatchObject({ ok: true });
    const beforeLast = await countRows();
    // Third is now the only active admin; nobody else can take it (the domain rule holds whoever asks).
    expect(await changeRole(db, newAdmin, third.id, { role: "staff" }, request())).toEqual({
      ok: false,
      errors: { role: "Third Admin is the council's only administrator: make someone else an administrator first" },
    });
    expect(await countRows()).toEqual(beforeLast);
  });

  it("lets only one of two admins taking each other's role at once succeed", async () => {
    const { organisation, admin } = await councilWithAdmin();
    const a = await aPerson(db, { organisationId: organisation.id, role: "admin" });
    const b = await aPerson(db, { organisationId: organisation.id, role: "admin" });
    // Exactly two admins left: a and b.
    await db.update(users).set({ role: "staff" }).where(eq(users.id, admin.id));
    const results = await Promise.all([
      changeRole(db, asCurrentUser(a, organisation), b.id, { role: "staff" }, request()),
      changeRole(db, asCurrentUser(b, organisation), a.id, { role: "staff" }, request()),
    ]);
    expect(results.filter((r) => r?.ok)).toHaveLength(1);
    const admins = await db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.organisationId, organisation.id), eq(users.role, "admin"), eq(users.active, true)));
    expect(admins).toHaveLength(1);
  });
});

describe("deactivating and reactivating", () => {
  it("deactivates a person, ending their sessions, membership and champion roles, and reactivates them into their team", async () => {
    const { me, champion, teamA } = await councilWithAdmin();
    await createSession(
      db,
      champion.id,
      { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000 },
      { ip: null, userAgent: null, now: NOW },
    );
    expect(await deactivatePerson(db, me, champion.id, request())).toMatchObject({ ok: true });
    expect(await deactivatePerson(db, me, champion.id, request())).toMatchObject({ ok: true });
    expect(await auditEntries("people.deactivated", champion.id)).toEqual([
      { actor: me.id, details: { championsOfRemoved: [teamA.id] } },
    ]);
    expect(await db.select().from(teamChampions).where(eq(teamChampions.userId, champion.id))).toEqual([]);
    expect(
      (await db.select({ revokedAt: sessions.revokedAt }).from(sessions).where(eq(sessions.userId, champion.id)))[0]
        .revokedAt,
    ).not.toBeNull();

    expect(await reactivatePerson(db, me, champion.id, request(LATER))).toMatchObject({ ok: true });
    expect(await reactivatePerson(db, me, champion.id, request(LATER))).toMatchObject({ ok: true });
    expect(await auditEntries("people.reactivated", champion.id)).toHaveLength(1);
    const [row] = await db
      .select({ active: users.active, leavingDate: users.leavingDate, teamId: users.teamId })
      .from(users)
      .where(eq(users.id, champion.id));
    expect(row).toEqual({ active: true, leavingDate: null, teamId: teamA.id });
    expect(
      await db
        .select({ startedOn: teamMemberships.startedOn, endedOn: teamMemberships.endedOn })
        .from(teamMemberships)
        .where(eq(teamMemberships.userId, champion.id))
        .orderBy(teamMemberships.startedOn),
    ).toEqual([
      { startedOn: champion.startDate, endedOn: "2026-06-15" },
      { startedOn: "2026-07-01", endedOn: null },
    ]);
  });

  it("refuses to deactivate the admin themself or the last admin, and answers null for another council's person", async () => {
    const { me, admin, organisation } = await councilWithAdmin();
    const other = await councilWithAdmin();
    const before = await countRows();
    expect(await deactivatePerson(db, me, admin.id, request())).toEqual({
      ok: false,
      errors: { form: "You cannot deactivate yourself: ask another administrator" },
    });
    expect(await deactivatePerson(db, me, other.staff.id, request())).toBeNull();
    expect(await reactivatePerson(db, me, other.staff.id, request())).toBeNull();
    expect(await countRows()).toEqual(before);
    // An HR officer acting through the domain function still cannot remove the only admin.
    const hr = asCurrentUser(await aPerson(db, { organisationId: organisation.id, role: "hr" }), organisation);
    expect(await deactivatePerson(db, hr, admin.id, request())).toMatchObject({ ok: false });
  });

  it("reactivates a person whose team has closed into no team", async () => {
    const { me, organisation } = await councilWithAdmin();
    const team = await aTeam(db, organisation.id, "Short-lived");
    const person = await aPerson(db, { organisationId: organisation.id, teamId: team.id });
    await deactivatePerson(db, me, person.id, request());
    await closeTeam(db, me, team.id, {}, request());
    await reactivatePerson(db, me, person.id, request(LATER));
    expect((await db.select({ teamId: users.teamId }).from(users).where(eq(users.id, person.id)))[0].teamId).toBeNull();
  });
});

describe("a person's e-mail address", () => {
  it("is given, changed or removed by an admin, ending their sessions; an HR officer's or admin's is never removed", async () => {
    const council = await councilWithAdmin();
    const admin = asCurrentUser(council.admin, council.organisation);
    const person = await aPersonWithoutEmail(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
    const found = await searchPeople(db, council.organisation.id, person.employeeNumber, 1);
    expect(found.people).toEqual([expect.objectContaining({ id: person.id, email: null })]);

    const address = `given-${Date.now().toString(36)}@council.example`;
    expect(await setPersonEmail(db, admin, person.id, { email: address }, request())).toMatchObject({ ok: true });
    await createSession(db, person.id, { idleMs: 60_000, maxMs: 3_600_000 }, { ip: null, userAgent: null, now: NOW });
    expect(await setPersonEmail(db, admin, person.id, { email: null }, request())).toMatchObject({ ok: true });
    expect((await db.select().from(users).where(eq(users.id, person.id)))[0].email).toBeNull();
    const [row] = await db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, person.id)));
    expect(row.revokedAt).not.toBeNull();
    const audited = (await auditEntries("people.email-set", person.id)).map((a) => a.details);
    expect(audited).toHaveLength(2);
    expect(audited).toEqual(
      expect.arrayContaining([
        { from: null, to: address },
        { from: address, to: null },
      ]),
    );

    const hr = await aPerson(db, { organisationId: council.organisation.id, role: "hr" });
    const before = await countRows();
    expect(await setPersonEmail(db, admin, hr.id, { email: null }, request())).toMatchObject({
      ok: false,
      errors: { email: expect.stringContaining("keep it") },
    });
    expect(await countRows()).toEqual(before);
  });

  it("goes to one of several people given the same address at once; the others are told it is taken", async () => {
    const council = await councilWithAdmin();
    const admin = asCurrentUser(council.admin, council.organisation);
    // On PostgreSQL the four look the address up before any of them writes it, in some of these rounds.
    for (let round = 0; round < 30; round++) {
      const people = await Promise.all(
        Array.from({ length: 4 }, () => aPersonWithoutEmail(db, { organisationId: council.organisation.id })),
      );
      const address = `shared-${round}-${Date.now().toString(36)}@council.example`;
      const outcomes = await Promise.all(
        people.map((person) => setPersonEmail(db, admin, person.id, { email: address }, request())),
      );
      expect(outcomes.filter((o) => o?.ok)).toHaveLength(1);
      expect(outcomes.filter((o) => !o?.ok)).toEqual(
        Array(3).fill({ ok: false, errors: { email: "This email address is already used by another account" } }),
      );
      const holders = await db.select({ id: users.id }).from(users).where(eq(users.email, address));
      expect(holders).toHaveLength(1);
      expect(await auditOf(db, "people.email-set", holders[0].id)).toHaveLength(1);
    }
  });
});
