import { beforeAll, describe, expect, it } from "vitest";
import { endOfLondonDay } from "~/lib/dates";
import { setTeam } from "~/people/memberships.server";
import { freshDatabase } from "../../test/support/database";
import {
  aPerson,
  aPolicyVersion,
  aRequiredModule,
  aSignature,
  aTeam,
  anAttempt,
  anOrganisation,
} from "../../test/support/factories";
import { parseReportFilters, reportPage } from "./report.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-05-01T12:00:00Z");
const filters = (query: string) => {
  const parsed = parseReportFilters(new URLSearchParams(query), now);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  return parsed.data;
};

let org: Awaited<ReturnType<typeof anOrganisation>>;
let red: Awaited<ReturnType<typeof aTeam>>;
let blue: Awaited<ReturnType<typeof aTeam>>;
let v1: Awaited<ReturnType<typeof aPolicyVersion>>;

beforeAll(async () => {
  org = await anOrganisation(db);
  red = await aTeam(db, org.id, "Red");
  blue = await aTeam(db, org.id, "Blue");
  const required = await aRequiredModule(db, org.id, { title: "Personal use" });
  v1 = await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2026-01-01" });
  const ada = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Ada", startDate: "2026-01-05" });
  const ben = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Ben", startDate: "2026-01-05" });
  await anAttempt(db, ada, required, {
    status: "passed",
    startedAt: new Date("2026-01-10T10:00:00Z"),
    completedAt: new Date("2026-01-10T10:30:00Z"),
  });
  await aSignature(db, ada, v1, new Date("2026-03-31T23:30:00Z")); // 00:30 on 1 April in London (BST)
  await setTeam(db, ben.id, blue.id, "2026-04-15");
  // Someone of another council never appears.
  const other = await anOrganisation(db);
  await aPerson(db, { organisationId: other.id, teamId: (await aTeam(db, other.id)).id });
});

describe("the HR report", () => {
  it("lists every person and requirement of the organisation, with totals", async () => {
    const page = await reportPage(db, org.id, filters(""), now);
    expect(page.rows.map((r) => [r.team, r.name, r.requirement, r.status])).toEqual([
      ["Blue", "Ben", "Personal use", "overdue"],
      ["Blue", "Ben", "Social media code of conduct", "overdue"],
      ["Red", "Ada", "Personal use", "complete"],
      ["Red", "Ada", "Social media code of conduct", "complete"],
    ]);
    expect(page.totals).toMatchObject({ rows: 4, people: 2, byStatus: { complete: 2, overdue: 2 } });
    expect(page.rows[3]).toMatchObject({ policy_version: "1", completed_at: "2026-03-31T23:30:00.000Z" });
  });

  it("filters by team, status, policy version and completion dates in London time", async () => {
    expect((await reportPage(db, org.id, filters(`team=${red.id}`), now)).totals.rows).toBe(2);
    expect(
      (await reportPage(db, org.id, filters("status=overdue&status=expired"), now)).rows.map((r) => r.name),
    ).toEqual(["Ben", "Ben"]);
    expect(
      (await reportPage(db, org.id, filters(`policyVersion=${v1.id}`), now)).rows.map((r) => r.requirement),
    ).toEqual(["Social media code of conduct"]);
    const april = await reportPage(db, org.id, filters("completedFrom=2026-04-01&completedTo=2026-04-30"), now);
    expect(april.rows.map((r) => [r.name, r.requirement])).toEqual([["Ada", "Social media code of conduct"]]);
  });

  it("answers as at a past date with people in the teams they were in then", async () => {
    const march = await reportPage(db, org.id, filters("asAt=2026-03-31"), now);
    expect(march.asAt).toBe(endOfLondonDay("2026-03-31").toISOString());
    expect(march.rows.map((r) => [r.team, r.name, r.requirement, r.status])).toEqual([
      ["Red", "Ada", "Personal use", "complete"],
      ["Red", "Ada", "Social media code of conduct", "overdue"],
      ["Red", "Ben", "Personal use", "overdue"],
      ["Red", "Ben", "Social media code of conduct", "overdue"],
    ]);
  });

  it("refuses filters that make no sense, with a message for each", () => {
    const bad = parseReportFilters(
      new URLSearchParams("team=nope&status=lost&completedFrom=2026-05-01&completedTo=2026-04-01"),
      now,
    );
    expect(bad.success).toBe(false);
    const paths = bad.success ? [] : bad.error.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["team", "status.0"]));
    const future = parseReportFilters(new URLSearchParams("asAt=2026-05-02"), now);
    expect(future.success ? [] : future.error.issues.map((i) => i.message)).toEqual([
      "The date must be today or in the past",
    ]);
    const backwards = parseReportFilters(new URLSearchParams("completedFrom=2026-05-01&completedTo=2026-04-01"), now);
    expect(backwards.success ? [] : backwards.error.issues.map((i) => i.path.join("."))).toEqual(["completedTo"]);
  });

  it("ends a London day at 23:59:59.999 local time, in summer and winter", () => {
    expect(endOfLondonDay("2026-07-01").toISOString()).toBe("2026-07-01T22:59:59.999Z");
    expect(endOfLondonDay("2026-01-01").toISOString()).toBe("2026-01-01T23:59:59.999Z");
    expect(endOfLondonDay("2026-03-29").toISOString()).toBe("2026-03-29T22:59:59.999Z");
    expect(endOfLondonDay("2026-10-25").toISOString()).toBe("2026-10-25T23:59:59.999Z");
  });
});
