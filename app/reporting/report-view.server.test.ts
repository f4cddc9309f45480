import { beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../test/support/database";
import { aPerson, aPolicyVersion, aRequiredModule, aTeam, anOrganisation } from "../../test/support/factories";
import { parseReportFilters, reportFilterOptions, reportQueryString, reportView } from "./report.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-05-01T12:00:00Z");

let org: Awaited<ReturnType<typeof anOrganisation>>;
let other: Awaited<ReturnType<typeof anOrganisation>>;
let red: Awaited<ReturnType<typeof aTeam>>;
let otherTeam: Awaited<ReturnType<typeof aTeam>>;
let v1: Awaited<ReturnType<typeof aPolicyVersion>>;
let otherVersion: Awaited<ReturnType<typeof aPolicyVersion>>;

beforeAll(async () => {
  org = await anOrganisation(db);
  other = await anOrganisation(db);
  red = await aTeam(db, org.id, "Red");
  await aTeam(db, org.id, "Amber");
  otherTeam = await aTeam(db, other.id, "Elsewhere");
  await aRequiredModule(db, org.id, { title: "Personal use" });
  v1 = await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2026-01-01" });
  await aPolicyVersion(db, org.id, { label: "2", effectiveDate: "2026-03-01" });
  otherVersion = await aPolicyVersion(db, other.id, { label: "9" });
  await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Ada", startDate: "2026-01-05" });
});

describe("the report page's data", () => {
  it("offers only the organisation's own teams and policy versions, newest version first", async () => {
    const options = await reportFilterOptions(db, org.id);
    expect(options.teams.map((t) => t.name)).toEqual(["Amber", "Red"]);
    expect(options.policyVersions.map((v) => v.label)).toEqual(["2", "1"]);
  });

  it("refuses a team or policy version of another organisation, as it would a nonsense value", async () => {
    const view = await reportView(
      db,
      org.id,
      new URLSearchParams(`team=${otherTeam.id}&policyVersion=${otherVersion.id}`),
      now,
    );
    expect(view).toMatchObject({
      ok: false,
      errors: { team: "Choose a team from the list", policyVersion: "Choose a policy version from the list" },
    });
  });

  it("lists every problem at once, a future 'as at' date among them", () => {
    const parsed = parseReportFilters(new URLSearchParams("status=lost&asAt=2030-01-01"), now);
    expect(parsed.success ? [] : parsed.error.issues.map((i) => i.message)).toEqual([
      "Choose a status from the list",
      "The date must be today or in the past",
    ]);
  });

  it("turns a bad page number into a message for the whole form", async () => {
    const view = await reportView(db, org.id, new URLSearchParams("page=0"), now);
    expect(view).toMatchObject({
      ok: false,
      errors: { form: "There is no such page of the report: go back to the first page" },
    });
  });

  it("gives the page, the filters as a query string for the download links, and whether it is as at a past day", async () => {
    const view = await reportView(
      db,
      org.id,
      new URLSearchParams(`team=${red.id}&status=overdue&status=not_started&asAt=2026-04-01&page=1`),
      now,
    );
    if (!view.ok) throw new Error(JSON.stringify(view.errors));
    expect(view.query).toBe(`team=${red.id}&status=overdue&status=not_started&asAt=2026-04-01`);
    expect(view.asAtDay).toBe("2026-04-01");
    expect(view.report.totals).toMatchObject({ people: 1, rows: 2 });
    const today = await reportView(db, org.id, new URLSearchParams("asAt=2026-05-01"), now);
    expect(today.ok && today.asAtDay).toBeNull();
  });

  it("writes a query string only for the filters that are set", () => {
    expect(reportQueryString({ status: [], team: undefined })).toBe("");
    expect(
      reportQueryString({
        status: ["complete"],
        policyVersion: v1.id,
        completedFrom: "2026-04-01",
        completedTo: "2026-04-30",
      }),
    ).toBe(`status=complete&policyVersion=${v1.id}&completedFrom=2026-04-01&completedTo=2026-04-30`);
  });
});
