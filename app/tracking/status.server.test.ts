import { beforeAll, describe, expect, it } from "vitest";
import { appendRecord } from "~/attestation/ledger.server";
import { setTeam } from "~/people/memberships.server";
import { deactivatePerson } from "~/people/people.server";
import { freshDatabase } from "../../test/support/database";
import {
  aPerson,
  aPolicyVersion,
  aRequiredModule,
  aSignature,
  aTeam,
  anAttempt,
  anOrganisation,
  asCurrentUser,
} from "../../test/support/factories";
import { completionFigures, peopleStatus, personStatus, type RequirementStatusRow } from "./status.server";

const database = await freshDatabase();
const db = database.db;
const at = (iso: string) => ({ now: new Date(iso) });

async function statusOf(
  organisationId: string,
  userId: string,
  iso: string,
  kind: "module" | "policy" = "module",
): Promise<RequirementStatusRow | undefined> {
  return (await personStatus(db, organisationId, userId, at(iso))).find((r) => r.kind === kind);
}

describe("a person's status on a module", () => {
  let org: Awaited<ReturnType<typeof anOrganisation>>;
  let team: Awaited<ReturnType<typeof aTeam>>;
  let required: Awaited<ReturnType<typeof aRequiredModule>>;

  beforeAll(async () => {
    org = await anOrganisation(db);
    team = await aTeam(db, org.id);
    required = await aRequiredModule(db, org.id, { dueWithinDays: 28, renewalMonths: 12 });
  });

  it("is not started, due 28 days after the start date, until 14 days before, then due soon, then overdue", async () => {
    const person = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2026-01-05" });
    expect(await statusOf(org.id, person.id, "2026-01-10T12:00:00Z")).toMatchObject({
      status: "not_started",
      since: "2026-01-05",
      dueOn: "2026-02-02",
    });
    expect((await statusOf(org.id, person.id, "2026-01-18T12:00:00Z"))?.status).toBe("not_started");
    expect((await statusOf(org.id, person.id, "2026-01-19T12:00:00Z"))?.status).toBe("due_soon");
    expect((await statusOf(org.id, person.id, "2026-02-02T22:00:00Z"))?.status).toBe("due_soon");
    expect(await statusOf(org.id, person.id, "2026-02-03T00:30:00Z")).toMatchObject({
      status: "overdue",
      since: "2026-01-05",
      dueOn: "2026-02-02",
    });
  });

  it("counts days in London time: 23:30 UTC on a summer day is already the next day", async () => {
    const person = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2026-06-01" });
    // Due 29 June. At 23:30 UTC on 29 June it is 00:30 on 30 June in London: overdue.
    expect((await statusOf(org.id, person.id, "2026-06-29T22:30:00Z"))?.status).toBe("due_soon");
    expect((await statusOf(org.id, person.id, "2026-06-29T23:30:00Z"))?.status).toBe("overdue");
  });

  it("is in progress once started, until it is due soon", async () => {
    const person = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2026-01-05" });
    await anAttempt(db, person, required, {
      status: "failed",
      startedAt: new Date("2026-01-06T10:00:00Z"),
      completedAt: new Date("2026-01-06T10:20:00Z"),
    });
    expect((await statusOf(org.id, person.id, "2026-01-06T09:00:00Z"))?.status).toBe("not_started");
    expect((await statusOf(org.id, person.id, "2026-01-07T09:00:00Z"))?.status).toBe("in_progress");
    expect((await statusOf(org.id, person.id, "2026-01-25T09:00:00Z"))?.status).toBe("due_soon");
  });

  it("is complete once passed, renewable 12 months on, and expired after that", async () => {
    const person = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2026-01-05" });
    const pass = await anAttempt(db, person, required, {
      status: "passed",
      startedAt: new Date("2026-01-15T10:00:00Z"),
      completedAt: new Date("2026-01-15T10:30:00Z"),
    });
    expect(await statusOf(org.id, person.id, "2026-03-01T09:00:00Z")).toMatchObject({
      status: "complete",
      attemptId: pass.id,
      since: "2026-01-15",
      dueOn: "2027-01-15",
      completedAt: "2026-01-15T10:30:00.000Z",
    });
    expect((await statusOf(org.id, person.id, "2027-01-15T10:00:00Z"))?.status).toBe("complete");
    expect(await statusOf(org.id, person.id, "2027-01-15T11:00:00Z")).toMatchObject({
      status: "expired",
      since: "2027-01-15",
      dueOn: "2027-01-15",
      completedAt: null,
    });
    // Passing again renews it.
    await anAttempt(db, person, required, {
      status: "passed",
      startedAt: new Date("2027-02-01T10:00:00Z"),
      completedAt: new Date("2027-02-01T10:30:00Z"),
    });
    expect(await statusOf(org.id, person.id, "2027-02-02T09:00:00Z")).toMatchObject({
      status: "complete",
      dueOn: "2028-02-01",
    });
    // And a report as at a date before the second pass still says expired.
    expect((await statusOf(org.id, person.id, "2027-01-20T09:00:00Z"))?.status).toBe("expired");
  });

  it("is due from the day the requirement began, for someone who started before it", async () => {
    const later = await aRequiredModule(db, org.id, { dueWithinDays: 10, effectiveFrom: "2026-04-01" });
    const person = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2024-01-01" });
    const rows = await personStatus(db, org.id, person.id, at("2026-04-02T09:00:00Z"));
    expect(rows.find((r) => r.requirementId === later.requirement.id)).toMatchObject({
      since: "2026-04-01",
      dueOn: "2026-04-11",
      status: "due_soon",
    });
    const before = await personStatus(db, org.id, person.id, at("2026-03-31T09:00:00Z"));
    expect(before.find((r) => r.requirementId === later.requirement.id)).toBeUndefined();
  });
});

describe("a person's status on the code of conduct", () => {
  it("follows signatures, a new version that requires signing again, a correction that does not, and a withdrawal", async () => {
    const org = await anOrganisation(db);
    const team = await aTeam(db, org.id);
    const v1 = await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2025-01-01" });
    const person = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2025-06-02" });
    expect(await statusOf(org.id, person.id, "2025-06-03T09:00:00Z", "policy")).toMatchObject({
      status: "not_started",
      since: "2025-06-02",
      dueOn: "2025-06-30",
    });

    const signed = await aSignature(db, person, v1, new Date("2025-06-10T09:00:00Z"));
    expect(await statusOf(org.id, person.id, "2025-06-11T09:00:00Z", "policy")).toMatchObject({
      status: "complete",
      since: "2025-06-10",
      dueOn: "2026-06-10",
      attestationReference: signed.reference,
      policyVersionId: v1.id,
    });

    // A correction published without re-attestation leaves the signature standing.
    await aPolicyVersion(db, org.id, { label: "1.1", effectiveDate: "2025-09-01", requiresReattestation: false });
    expect((await statusOf(org.id, person.id, "2025-09-02T09:00:00Z", "policy"))?.status).toBe("complete");

    // A version that requires everyone to sign again makes them outstanding from its effective date.
    await aPolicyVersion(db, org.id, { label: "2", effectiveDate: "2025-11-01" });
    expect((await statusOf(org.id, person.id, "2025-10-31T09:00:00Z", "policy"))?.status).toBe("complete");
    expect(await statusOf(org.id, person.id, "2025-11-02T09:00:00Z", "policy")).toMatchObject({
      status: "not_started",
      since: "2025-11-01",
      dueOn: "2025-11-29",
    });
    expect((await statusOf(org.id, person.id, "2025-11-16T09:00:00Z", "policy"))?.status).toBe("due_soon");
    expect((await statusOf(org.id, person.id, "2025-12-01T09:00:00Z", "policy"))?.status).toBe("overdue");

    const onV2 = await aSignature(
      db,
      person,
      {
        id: (
          await aPolicyVersion(db, org.id, { label: "2.1", effectiveDate: "2025-11-15", requiresReattestation: false })
        ).id,
        sha256: "x",
      },
      new Date("2025-12-02T09:00:00Z"),
    );
    expect((await statusOf(org.id, person.id, "2025-12-03T09:00:00Z", "policy"))?.status).toBe("complete");

    // HR withdraws the signature: outstanding again from then on, but not in a report as at before the withdrawal.
    await appendRecord(db, {
      organisationId: org.id,
      kind: "withdrawn",
      userId: person.id,
      policyVersionId: onV2.policyVersionId,
      policySha256: onV2.policySha256,
      declarationText: `Withdrawal of ${onV2.reference}`,
      typedName: null,
      recordedAt: new Date("2025-12-10T09:00:00Z"),
      ip: null,
      userAgent: null,
      qualifyingAttemptIds: [],
      subjectReference: onV2.reference,
      actorUserId: null,
      reason: "Signed on someone else's behalf.",
    });
    expect((await statusOf(org.id, person.id, "2025-12-09T09:00:00Z", "policy"))?.status).toBe("complete");
    expect((await statusOf(org.id, person.id, "2025-12-11T09:00:00Z", "policy"))?.status).toBe("overdue");
    expect(signed.reference).not.toBe(onV2.reference);
  });

  it("expires a signature after the renewal period", async () => {
    const org = await anOrganisation(db);
    const v1 = await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2025-01-01" });
    const person = await aPerson(db, { organisationId: org.id, startDate: "2025-01-06" });
    await aSignature(db, person, v1, new Date("2025-01-31T12:00:00Z"));
    expect((await statusOf(org.id, person.id, "2026-01-31T11:00:00Z", "policy"))?.status).toBe("complete");
    expect(await statusOf(org.id, person.id, "2026-01-31T13:00:00Z", "policy")).toMatchObject({
      status: "expired",
      since: "2026-01-31",
    });
  });

  it("has no code of conduct row before any version is in force", async () => {
    const org = await anOrganisation(db);
    await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2026-05-01" });
    const person = await aPerson(db, { organisationId: org.id, startDate: "2025-01-06" });
    expect(await statusOf(org.id, person.id, "2026-04-30T09:00:00Z", "policy")).toBeUndefined();
    expect(await statusOf(org.id, person.id, "2026-05-01T09:00:00Z", "policy")).toMatchObject({
      status: "not_started",
      since: "2026-05-01",
    });
  });
});

describe("a team's figures", () => {
  it("counts people where they were on the day, leaves leavers out, and keeps past figures as they were", async () => {
    const org = await anOrganisation(db);
    const red = await aTeam(db, org.id, "Red");
    const blue = await aTeam(db, org.id, "Blue");
    const required = await aRequiredModule(db, org.id);
    const admin = asCurrentUser(await aPerson(db, { organisationId: org.id, role: "admin" }), org);
    const stayer = await aPerson(db, {
      organisationId: org.id,
      teamId: red.id,
      name: "Ada Stayer",
      startDate: "2026-01-05",
    });
    const mover = await aPerson(db, {
      organisationId: org.id,
      teamId: red.id,
      name: "Ben Mover",
      startDate: "2026-01-05",
    });
    const leaver = await aPerson(db, {
      organisationId: org.id,
      teamId: red.id,
      name: "Cat Leaver",
      startDate: "2026-01-05",
    });
    const starter = await aPerson(db, {
      organisationId: org.id,
      teamId: red.id,
      name: "Dev Starter",
      startDate: "2026-03-02",
    });
    await anAttempt(db, stayer, required, {
      status: "passed",
      startedAt: new Date("2026-01-20T10:00:00Z"),
      completedAt: new Date("2026-01-20T10:30:00Z"),
    });
    await anAttempt(db, mover, required, { status: "in_progress", startedAt: new Date("2026-01-21T10:00:00Z") });

    await setTeam(db, mover.id, blue.id, "2026-02-16");
    await deactivatePerson(db, admin, leaver.id, { ip: null, requestId: null, now: new Date("2026-02-20T10:00:00Z") });

    const february = await completionFigures(
      db,
      { organisationId: org.id, teamId: red.id },
      at("2026-02-10T12:00:00Z"),
    );
    expect(february).toMatchObject({ people: 3, peopleComplete: 1 });
    expect(february.peopleByStatus).toMatchObject({ complete: 1, overdue: 2 });

    const march = await completionFigures(db, { organisationId: org.id, teamId: red.id }, at("2026-03-10T12:00:00Z"));
    expect(march).toMatchObject({ people: 2, peopleComplete: 1 });
    expect(march.requirements).toEqual([
      expect.objectContaining({
        requirementId: required.requirement.id,
        total: 2,
        counts: expect.objectContaining({ complete: 1, not_started: 1 }),
      }),
    ]);
    const blueMarch = await peopleStatus(
      db,
      { organisationId: org.id, teamId: blue.id },
      {},
      at("2026-03-10T12:00:00Z"),
    );
    expect(blueMarch.people.map((p) => [p.name, p.status])).toEqual([["Ben Mover", "overdue"]]);

    // The figures for February do not change after the move and the leaver.
    expect(await completionFigures(db, { organisationId: org.id, teamId: red.id }, at("2026-02-10T12:00:00Z"))).toEqual(
      february,
    );
    // The starter counts from their start date, not before it.
    const redOutstanding = (iso: string) =>
      peopleStatus(db, { organisationId: org.id, teamId: red.id }, {}, at(iso)).then((r) =>
        r.people.map((p) => p.userId),
      );
    expect(await redOutstanding("2026-02-10T12:00:00Z")).not.toContain(starter.id);
    expect(await redOutstanding("2026-03-10T12:00:00Z")).toEqual([starter.id]);
  });

  it("lists outstanding people most urgent first, filters by status, sorts and pages", async () => {
    const org = await anOrganisation(db);
    const team = await aTeam(db, org.id);
    const required = await aRequiredModule(db, org.id);
    const now = at("2026-03-01T12:00:00Z");
    const overdue = await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Zed Overdue",
      startDate: "2026-01-05",
    });
    const dueSoon = await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Amy Due",
      startDate: "2026-02-10",
    });
    const fresh = await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Bo Fresh",
      startDate: "2026-02-27",
    });
    const done = await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Cy Done",
      startDate: "2026-01-05",
    });
    await anAttempt(db, done, required, {
      status: "passed",
      startedAt: new Date("2026-01-06T10:00:00Z"),
      completedAt: new Date("2026-01-06T10:30:00Z"),
    });

    const all = await peopleStatus(db, { organisationId: org.id, teamId: team.id }, {}, now);
    expect(all.people.map((p) => [p.name, p.status, p.since, p.dueOn])).toEqual([
      ["Zed Overdue", "overdue", "2026-01-05", "2026-02-02"],
      ["Amy Due", "due_soon", "2026-02-10", "2026-03-10"],
      ["Bo Fresh", "not_started", "2026-02-27", "2026-03-27"],
    ]);
    expect(all.people[0].outstanding).toEqual([
      { title: required.module.title, status: "overdue", dueOn: "2026-02-02" },
    ]);
    expect(all.total).toBe(3);

    const byName = await peopleStatus(db, { organisationId: org.id, teamId: team.id }, { sort: "name" }, now);
    expect(byName.people.map((p) => p.name)).toEqual(["Amy Due", "Bo Fresh", "Zed Overdue"]);
    const complete = await peopleStatus(
      db,
      { organisationId: org.id, teamId: team.id },
      { statuses: ["complete"] },
      now,
    );
    expect(complete.people.map((p) => p.userId)).toEqual([done.id]);
    const page2 = await peopleStatus(db, { organisationId: org.id, teamId: team.id }, { pageSize: 2, page: 2 }, now);
    expect(page2).toMatchObject({ total: 3, page: 2, pageCount: 2 });
    expect(page2.people.map((p) => p.userId)).toEqual([fresh.id]);
    expect(all.people.map((p) => p.userId)).toEqual([overdue.id, dueSoon.id, fresh.id]);
  });
});

describe("a team's people as champions see them", () => {
  it("sort by surname, and carry an employee number only where two share a name", async () => {
    const org = await anOrganisation(db);
    const team = await aTeam(db, org.id);
    const other = await aTeam(db, org.id);
    await aRequiredModule(db, org.id, { dueWithinDays: 28 });
    const person = (name: string, teamId = team.id) =>
      aPerson(db, { organisationId: org.id, teamId, name, startDate: "2026-01-05" });
    const twins = [await person("Sam Taylor"), await person("Sam Taylor")];
    await person("Alex Zephaniah");
    await person("Zoë Adeyemi");
    await person("Madonna");
    // Someone of the same name in another team does not make a namesake here.
    await person("Alex Zephaniah", other.id);
    const list = await peopleStatus(
      db,
      { organisationId: org.id, teamId: team.id },
      { sort: "name" },
      at("2026-03-01T12:00:00Z"),
    );
    expect(list.people.map((p) => [p.name, p.employeeNumber])).toEqual([
      ["Zoë Adeyemi", null],
      ["Madonna", null],
      ...[...twins]
        .sort((a, b) => (a.employeeNumber < b.employeeNumber ? -1 : 1))
        .map((t) => [t.name, t.employeeNumber]),
      ["Alex Zephaniah", null],
    ]);
  });
});
