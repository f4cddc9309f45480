import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { reportPage } from "~/reporting/report.server";
import { auditLog, teamChampions, teamMemberships, teams, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aChampion, aCouncilWithAdmin, aPerson, aRequiredModule, aTeam, auditOf } from "../../test/support/factories";
import { listTeams } from "./people.server";
import {
  closeTeam,
  createTeam,
  nameChampion,
  removeChampion,
  renameTeam,
  teamForAdmin,
  teamsForAdmin,
} from "./teams.server";

const database = await freshDatabase();
const db = database.db;
const NOW = new Date("2026-06-15T10:00:00.000Z");
const request = (now = NOW) => ({ ip: "203.0.113.9", requestId: null, userAgent: "vitest", now });

const councilWithAdmin = () => aCouncilWithAdmin(db);
const auditEntries = (action: string, subjectId: string) => auditOf(db, action, subjectId);

const countRows = async () => ({
  teams: (await db.select().from(teams)).length,
  audit: (await db.select().from(auditLog)).length,
  champions: (await db.select().from(teamChampions)).length,
  memberships: (await db.select().from(teamMemberships)).length,
});

describe("creating and renaming teams", () => {
  it("creates a team, audited, and refuses a name already used in any case or spacing, writing nothing", async () => {
    const { me, organisation } = await councilWithAdmin();
    const created = await createTeam(db, me, { name: "Fostering Team" }, request());
    expect(created).toMatchObject({ ok: true, team: { name: "Fostering Team" } });
    if (!created.ok) throw new Error("not created");
    expect(await auditEntries("teams.created", created.team.id)).toEqual([
      { actor: me.id, details: { name: "Fostering Team" } },
    ]);
    const before = await countRows();
    for (const name of ["Fostering Team", "fostering  team", "Team A"])
      expect(await createTeam(db, me, { name }, request())).toEqual({
        ok: false,
        errors: {
          name: expect.stringMatching(/^There is already a team called (Fostering Team|Team A): choose another name$/),
        },
      });
    expect(await countRows()).toEqual(before);
    // Another council may use the same name.
    const other = await councilWithAdmin();
    expect(await createTeam(db, other.me, { name: "Fostering Team" }, request())).toMatchObject({ ok: true });
    expect((await teamsForAdmin(db, organisation.id)).map((t) => t.name)).toEqual([
      "Fostering Team",
      "Team A",
      "Team B",
    ]);
  });

  it("renames a team, audited with both names, refuses another team's name, and answers null for another council's team", async () => {
    const { me, teamA, teamB } = await councilWithAdmin();
    expect(await renameTeam(db, me, teamA.id, { name: "Children in Care" }, request())).toEqual({ ok: true });
    expect(await auditEntries("teams.renamed", teamA.id)).toEqual([
      { actor: me.id, details: { from: "Team A", to: "Children in Care" } },
    ]);
    // The same name again (a second submit) writes nothing more.
    expect(await renameTeam(db, me, teamA.id, { name: "Children in Care" }, request())).toEqual({ ok: true });
    expect(await auditEntries("teams.renamed", teamA.id)).toHaveLength(1);
    const other = await councilWithAdmin();
    const before = await countRows();
    expect(await renameTeam(db, me, teamB.id, { name: "children in care" }, request())).toMatchObject({
      ok: false,
      errors: { name: "There is already a team called Children in Care: choose another name" },
    });
    expect(await renameTeam(db, other.me, teamA.id, { name: "Taken over" }, request())).toBeNull();
    expect(await countRows()).toEqual(before);
  });
});

describe("closing a team", () => {
  it("refuses to close a team with people in it unless told where they go, and then moves them by dated memberships", async () => {
    const { me, organisation, teamA, teamB, staff, champion } = await councilWithAdmin();
    const leaver = await aPerson(db, {
      organisationId: organisation.id,
      teamId: teamA.id,
      active: false,
      leavingDate: "2026-01-31",
    });
    const other = await councilWithAdmin();
    const before = await countRows();
    expect(await closeTeam(db, me, teamA.id, {}, request())).toEqual({
      ok: false,
      errors: { moveTo: "Choose the team to move the 2 people in Team A to" },
    });
    expect(await closeTeam(db, me, teamA.id, { moveTo: teamA.id }, request())).toEqual({
      ok: false,
      errors: { moveTo: "Choose an open team to move its people to" },
    });
    expect(await closeTeam(db, me, teamA.id, { moveTo: other.teamA.id }, request())).toMatchObject({ ok: false });
    expect(await closeTeam(db, other.me, teamA.id, { moveTo: other.teamB.id }, request())).toBeNull();
    expect(await countRows()).toEqual(before);

    expect(await closeTeam(db, me, teamA.id, { moveTo: teamB.id }, request())).toEqual({
      ok: true,
      moved: 2,
      name: "Team A",
    });
    // A second submit changes nothing.
    expect(await closeTeam(db, me, teamA.id, { moveTo: teamB.id }, request())).toEqual({
      ok: true,
      moved: 0,
      name: "Team A",
    });
    expect(await auditEntries("teams.closed", teamA.id)).toEqual([
      {
        actor: me.id,
        details: {
          name: "Team A",
          closedOn: "2026-06-15",
          movedTo: teamB.id,
          moved: [staff.id, champion.id].sort(),
          championsRemoved: [champion.id],
        },
      },
    ]);
    for (const person of [staff, champion]) {
      const history = await db
        .select({
          teamId: teamMemberships.teamId,
          startedOn: teamMemberships.startedOn,
          endedOn: teamMemberships.endedOn,
        })
        .from(teamMemberships)
        .where(eq(teamMemberships.userId, person.id))
        .orderBy(teamMemberships.startedOn);
      expect(history).toEqual([
        { teamId: teamA.id, startedOn: person.startDate, endedOn: "2026-06-15" },
        { teamId: teamB.id, startedOn: "2026-06-15", endedOn: null },
      ]);
    }
    // The leaver's history stays as it was, in the closed team.
    expect(await db.select({ teamId: users.teamId }).from(users).where(eq(users.id, leaver.id))).toEqual([
      { teamId: teamA.id },
    ]);
    expect(await db.select().from(teamChampions).where(eq(teamChampions.teamId, teamA.id))).toEqual([]);
    // Gone from the current lists, still named with its date on the admin's list.
    expect((await listTeams(db, organisation.id)).map((t) => t.name)).toEqual(["Team B"]);
    expect((await teamsForAdmin(db, organisation.id)).at(-1)).toMatchObject({
      name: "Team A",
      closedOn: "2026-06-15",
      members: 0,
    });
    expect(await teamForAdmin(db, me, teamA.id)).toMatchObject({ closedOn: "2026-06-15", members: 0, champions: [] });
    // A closed team cannot be renamed.
    expect(await renameTeam(db, me, teamA.id, { name: "Reopened" }, request())).toBeNull();
  });

  it("closes an empty team without a destination", async () => {
    const { me, organisation } = await councilWithAdmin();
    const empty = await aTeam(db, organisation.id, "Empty team");
    expect(await closeTeam(db, me, empty.id, {}, request())).toEqual({ ok: true, moved: 0, name: "Empty team" });
  });

  it("keeps showing a closed team in a report as at a day before it closed, and not in today's", async () => {
    const { me, organisation, teamA, teamB } = await councilWithAdmin();
    await aRequiredModule(db, organisation.id);
    await closeTeam(db, me, teamA.id, { moveTo: teamB.id }, request());
    const filters = { status: [], page: 1 };
    const past = await reportPage(db, organisation.id, { ...filters, asAt: "2026-03-01" }, NOW);
    const now = await reportPage(db, organisation.id, filters, NOW);
    const teamsOf = (page: { rows: { team: string | null }[] }) => [...new Set(page.rows.map((r) => r.team))].sort();
    expect(teamsOf(past)).toEqual(["Team A", "Team B"]);
    expect(teamsOf(now)).toEqual(["Team B"]);
  });
});

describe("champions", () => {
  it("names a person champion of several teams and removes one, each audited once however often submitted", async () => {
    const { me, organisation, teamA, teamB } = await councilWithAdmin();
    const person = await aPerson(db, { organisationId: organisation.id, teamId: teamB.id });
    for (let i = 0; i < 2; i++) {
      expect(await nameChampion(db, me, person.id, teamA.id, request())).toEqual({ ok: true });
      expect(await nameChampion(db, me, person.id, teamB.id, request())).toEqual({ ok: true });
    }
    expect((await teamForAdmin(db, me, teamA.id))?.champions.map((c) => c.id)).toContain(person.id);
    expect(await auditEntries("teams.champion-named", teamA.id)).toHaveLength(1);
    expect(await auditEntries("teams.champion-named", teamB.id)).toEqual([
      { actor: me.id, details: { userId: person.id, team: "Team B" } },
    ]);
    for (let i = 0; i < 2; i++)
      expect(await removeChampion(db, me, person.id, teamA.id, request())).toEqual({ ok: true });
    expect(await auditEntries("teams.champion-removed", teamA.id)).toHaveLength(1);
    expect(
      await db.select({ teamId: teamChampions.teamId }).from(teamChampions).where(eq(teamChampions.userId, person.id)),
    ).toEqual([{ teamId: teamB.id }]);
  });

  it("refuses a deactivated person, a closed team and another council's person or team, writing nothing", async () => {
    const { me, organisation, teamA, teamB } = await councilWithAdmin();
    const leaver = await aPerson(db, { organisationId: organisation.id, active: false, name: "Lee Left" });
    const closed = await aTeam(db, organisation.id, "Closed team");
    await closeTeam(db, me, closed.id, {}, request());
    const other = await councilWithAdmin();
    const person = await aPerson(db, { organisationId: organisation.id, teamId: teamB.id });
    const before = await countRows();
    expect(await nameChampion(db, me, leaver.id, teamA.id, request())).toEqual({
      ok: false,
      errors: { teamId: "Lee Left has been deactivated, so cannot be named a champion" },
    });
    expect(await nameChampion(db, me, other.staff.id, teamA.id, request())).toBeNull();
    expect(await nameChampion(db, me, other.me.id, other.teamA.id, request())).toBeNull();
    expect(await nameChampion(db, me, person.id, closed.id, request())).toEqual({
      ok: false,
      errors: { teamId: "Closed team is closed: choose an open team" },
    });
    expect(await removeChampion(db, other.me, other.champion.id, teamA.id, request())).toBeNull();
    expect(await countRows()).toEqual(before);
  });

  it("leaves a person who already champions a team named only once (existing factory row)", async () => {
    const { me, organisation, teamA } = await councilWithAdmin();
    const person = await aPerson(db, { organisationId: organisation.id, teamId: teamA.id });
    await aChampion(db, person.id, teamA.id);
    expect(await nameChampion(db, me, person.id, teamA.id, request())).toEqual({ ok: true });
    expect(await auditEntries("teams.champion-named", teamA.id)).toEqual([]);
  });
});
