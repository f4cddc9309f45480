import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withdrawAttestation } from "~/attestation/signing.server";
import { deactivatePerson } from "~/people/people.server";
import { setTeam } from "~/people/memberships.server";
import { aimRequirement, changeRequirement, changeTrackingSettings } from "./requirements.server";
import { recordEarlierTraining } from "./earlier-training.server";
import { recordExemption } from "./exemptions.server";
import { exemptionSchema } from "./forms";
import { keptStatusQuery, requirementStatusQuery, snapshotStatusQuery, type StatusScope } from "./status.server";
import { queryRows } from "~db/client.server";
import { attempts, users } from "~db/schema";
import { eq } from "drizzle-orm";
import { freshDatabase } from "../../test/support/database";
import { collect } from "../../test/support/streams";
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
import { startExport } from "~/reporting/export.server";
import {
  exportRowsQuery,
  parseReportFilters,
  reportPage,
  reportRowsQuery,
  type ReportRow,
} from "~/reporting/report.server";
import { endOfLondonDay } from "~/lib/dates";
import { runReminders } from "./reminders.server";
import {
  DAILY_SNAPSHOT_DAYS,
  dropAgedDaySnapshots,
  hasDaySnapshot,
  keepDaySnapshot,
  keptTotals,
  refreshStandings,
} from "./standings.server";
import { STATUSES, type Status } from "./statuses";

// The kept standings must give exactly the statuses worked out from the records, after every kind of change.
const database = await freshDatabase();
const db = database.db;
const request = { ip: null, requestId: null, userAgent: null };

let org: Awaited<ReturnType<typeof anOrganisation>>;
let red: Awaited<ReturnType<typeof aTeam>>;
let blue: Awaited<ReturnType<typeof aTeam>>;
let module: Awaited<ReturnType<typeof aRequiredModule>>;
let v1: Awaited<ReturnType<typeof aPolicyVersion>>;
let hr: ReturnType<typeof asCurrentUser>;
let ada: Awaited<ReturnType<typeof aPerson>>;
let ben: Awaited<ReturnType<typeof aPerson>>;
let cat: Awaited<ReturnType<typeof aPerson>>;
let benAttempt: Awaited<ReturnType<typeof anAttempt>>;

const at = (iso: string) => new Date(iso);
const statuses = (
  query: (scope: StatusScope, clock: { now: Date }) => ReturnType<typeof requirementStatusQuery>,
  now: Date,
  scope: Partial<StatusScope> = {},
) =>
  queryRows<Record<string, unknown>>(
    db,
    sql`select * from (${query({ organisationId: org.id, ...scope }, { now })}) s order by user_id, requirement_id`,
  );

/** Refreshes, then checks the kept statuses against the records' for the whole council and for one team. */
async function agreeAt(now: Date) {
  const refresh = await refreshStandings(db, org.id, { now });
  const fromRecords = await statuses(requirementStatusQuery, now);
  expect(fromRecords.length).toBeGreaterThan(0);
  expect(await statuses(keptStatusQuery, now)).toEqual(fromRecords);
  expect(await statuses(keptStatusQuery, now, { teamId: red.id })).toEqual(
    await statuses(requirementStatusQuery, now, { teamId: red.id }),
  );
  const selections: { teamId?: string; statuses: Status[] }[] = [
    { statuses: [] },
    { teamId: red.id, statuses: [] },
    { statuses: ["overdue"] },
    { statuses: ["complete", "expired"] },
    { statuses: ["exempt"] },
    { teamId: blue.id, statuses: ["not_started", "in_progress", "due_soon"] },
  ];
  for (const selection of selections) {
    const chosen = fromRecords.filter(
      (r) =>
        (!selection.teamId || r.team_id === selection.teamId) &&
        (selection.statuses.length === 0 || selection.statuses.includes(r.status as Status)),
    );
    const byStatus = Object.fromEntries(STATUSES.map((st) => [st, chosen.filter((r) => r.status === st).length]));
    expect(await keptTotals(db, org.id, selection)).toEqual({
      rows: chosen.length,
      people: new Set(chosen.map((r) => r.user_id)).size,
      byStatus,
    });
  }
  return refresh;
}

const statusOf = async (query: typeof requirementStatusQuery, now: Date, userId: string) =>
  (await statuses(query, now)).filter((r) => r.user_id === userId).map((r) => r.status);

beforeAll(async () => {
  org = await anOrganisation(db);
  red = await aTeam(db, org.id, "Red");
  blue = await aTeam(db, org.id, "Blue");
  module = await aRequiredModule(db, org.id, { title: "Personal use", effectiveFrom: "2026-01-01" });
  v1 = await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2026-01-01" });
  const hrPerson = await aPerson(db, {
    organisationId: org.id,
    teamId: blue.id,
    name: "Hana",
    role: "hr",
    startDate: "2026-01-01",
  });
  hr = asCurrentUser(hrPerson, org);
  ada = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Ada", startDate: "2026-01-05" });
  ben = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Ben", startDate: "2026-04-20" });
  cat = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Cat", startDate: "2026-02-01" });
  await anAttempt(db, ada, module, {
    status: "passed",
    startedAt: at("2026-01-10T10:00:00Z"),
    completedAt: at("2026-01-10T10:30:00Z"),
  });
  await aSignature(db, ada, v1, at("2026-01-11T09:00:00Z"));
  benAttempt = await anAttempt(db, ben, module, { status: "in_progress", startedAt: at("2026-04-30T10:00:00Z") });
  // Another council's people and changes never reach this one's standings.
  const other = await anOrganisation(db);
  await aPerson(db, { organisationId: other.id, teamId: (await aTeam(db, other.id)).id });
});

describe("the report's kept standings", () => {
  it("are built on the first read of a day and give the records' statuses", async () => {
    expect(await agreeAt(at("2026-05-01T08:00:00Z"))).toEqual({ rebuilt: true, people: 0 });
    expect(await agreeAt(at("2026-05-01T08:05:00Z"))).toEqual({ rebuilt: false, people: 0 });
  });

  it("follow a pass, a signature and a withdrawal, working out again only the people they concern", async () => {
    await db
      .update(attempts)
      .set({ status: "passed", completedAt: at("2026-05-01T09:00:00Z") })
      .where(eq(attempts.id, benAttempt.id));
    // Without a refresh the kept rows are behind: the check below would fail if the triggers noted nothing.
    expect(await statusOf(keptStatusQuery, at("2026-05-01T09:30:00Z"), ben.id)).toContain("in_progress");
    expect(await statusOf(requirementStatusQuery, at("2026-05-01T09:30:00Z"), ben.id)).toContain("complete");
    expect(await agreeAt(at("2026-05-01T09:30:00Z"))).toEqual({ rebuilt: false, people: 1 });

    const signed = await aSignature(db, cat, v1, at("2026-05-01T10:00:00Z"));
    expect(await agreeAt(at("2026-05-01T10:01:00Z"))).toEqual({ rebuilt: false, people: 1 });
    expect(await statusOf(keptStatusQuery, at("2026-05-01T10:01:00Z"), cat.id)).toContain("complete");

    const withdrawn = await withdrawAttestation(
      db,
      hr,
      { reference: signed.reference, reason: "Signed on someone else's account" },
      { ...request, now: at("2026-05-01T11:00:00Z") },
    );
    expect(withdrawn.ok).toBe(true);
    expect(await agreeAt(at("2026-05-01T11:01:00Z"))).toEqual({ rebuilt: false, people: 1 });
    expect(await statusOf(keptStatusQuery, at("2026-05-01T11:01:00Z"), cat.id)).not.toContain("complete");
  });

  it("follow moves, renames, joiners and leavers", async () => {
    await setTeam(db, ada.id, blue.id, "2026-05-01");
    await db.update(users).set({ name: "Ben Jones" }).where(eq(users.id, ben.id));
    const dee = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Dee", startDate: "2026-04-01" });
    expect(await agreeAt(at("2026-05-01T12:00:00Z"))).toEqual({ rebuilt: false, people: 3 });
    expect(
      (await statuses(keptStatusQuery, at("2026-05-01T12:00:00Z"), { teamId: blue.id })).map((r) => r.name),
    ).toContain("Ada");

    await deactivatePerson(db, hr, dee.id, { ...request, now: at("2026-05-01T12:30:00Z") });
    await agreeAt(at("2026-05-01T12:31:00Z"));
    expect((await statuses(keptStatusQuery, at("2026-05-01T12:31:00Z"))).map((r) => r.user_id)).not.toContain(dee.id);
  });

  it("are rebuilt when something organisation-wide changes, on a new day, and for an earlier moment", async () => {
    await changeRequirement(
      db,
      hr,
      { requirementId: module.requirement.id, dueWithinDays: 3, renewalMonths: 12 },
      { ...request, now: at("2026-05-01T12:45:00Z") },
    );
    expect((await agreeAt(at("2026-05-01T13:00:00Z"))).rebuilt).toBe(true);

    await changeTrackingSettings(
      db,
      hr,
      { dueSoonDays: 20, escalationOverdueDays: 14, reminderRhythm: "daily" },
      request,
    );
    expect((await agreeAt(at("2026-05-01T13:10:00Z"))).rebuilt).toBe(true);

    await aPolicyVersion(db, org.id, {
      label: "2",
      effectiveDate: "2026-05-01",
      publishedAt: at("2026-05-01T13:30:00Z"),
    });
    expect((await agreeAt(at("2026-05-01T14:00:00Z"))).rebuilt).toBe(true);
    expect(await statusOf(keptStatusQuery, at("2026-05-01T14:00:00Z"), ada.id)).not.toEqual(["complete", "complete"]);

    // The next London day: due soon becomes overdue without anything written.
    expect((await agreeAt(at("2026-05-09T07:00:00Z"))).rebuilt).toBe(true);
    expect((await agreeAt(at("2026-05-09T06:00:00Z"))).rebuilt).toBe(true);
    expect(await agreeAt(at("2026-05-09T08:00:00Z"))).toEqual({ rebuilt: false, people: 0 });
  });

  it("follow a completion that lapses during the day, with nothing written", async () => {
    const fay = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Fay", startDate: "2025-01-01" });
    await anAttempt(db, fay, module, {
      status: "passed",
      startedAt: at("2025-05-09T09:00:00Z"),
      completedAt: at("2025-05-09T10:00:00Z"),
    });
    expect(await agreeAt(at("2026-05-09T09:30:00Z"))).toEqual({ rebuilt: false, people: 1 });
    expect(await statusOf(keptStatusQuery, at("2026-05-09T09:30:00Z"), fay.id)).toContain("complete");
    // Renewal is due twelve months on, at 10:00: the totals follow at the next read.
    expect(await agreeAt(at("2026-05-09T10:30:00Z"))).toEqual({ rebuilt: false, people: 1 });
    expect(await statusOf(keptStatusQuery, at("2026-05-09T10:30:00Z"), fay.id)).toContain("expired");
  });

  it("follow exemptions, training completed elsewhere and requirements aimed at teams", async () => {
    const now = (time: string) => ({ ...request, now: at(`2026-05-09T${time}:00Z`) });
    const exempt = await recordExemption(
      db,
      hr,
      cat.id,
      exemptionSchema.parse({
        requirementId: "all",
        reason: "parental_leave",
        startsOn: "2026-05-01",
        approvedBy: "Head of service",
      }),
      now("10:40"),
    );
    expect(exempt.ok).toBe(true);
    expect(await agreeAt(at("2026-05-09T10:41:00Z"))).toEqual({ rebuilt: false, people: 1 });
    expect(await statusOf(keptStatusQuery, at("2026-05-09T10:41:00Z"), cat.id)).toEqual(["exempt", "exempt"]);

    const pdf = new TextEncoder().encode("%PDF-1.4\n%%EOF\n");
    const earlier = await recordEarlierTraining(
      db,
      hr,
      ben.id,
      {
        requirementId: module.requirement.id,
        completedOn: "2026-05-08",
        description: "Classroom",
        file: { name: "a.pdf", bytes: pdf },
      },
      now("10:42"),
    );
    expect(earlier.ok).toBe(true);
    expect(await agreeAt(at("2026-05-09T10:43:00Z"))).toEqual({ rebuilt: false, people: 1 });

    const aimed = await aimRequirement(
      db,
      hr,
      { requirementId: module.requirement.id, teamIds: [red.id] },
      now("10:44"),
    );
    expect(aimed).toEqual({ ok: true, changed: true });
    expect((await agreeAt(at("2026-05-09T10:45:00Z"))).rebuilt).toBe(true);
    expect(await statuses(keptStatusQuery, at("2026-05-09T10:45:00Z"), { teamId: blue.id })).toEqual(
      (await statuses(requirementStatusQuery, at("2026-05-09T10:45:00Z"), { teamId: blue.id })).filter(
        (r) => r.kind === "policy",
      ),
    );
  });

  it("serve HR's report page with the same rows, in the same order, as the records", async () => {
    const now = at("2026-05-09T11:00:00Z");
    await aPerson(db, { organisationId: org.id, teamId: blue.id, name: "Eve", startDate: "2026-03-01" });
    for (const query of [
      "",
      "status=overdue",
      "status=complete&status=expired",
      `team=${red.id}`,
      `team=${red.id}&status=exempt&status=overdue`,
      "status=complete&status=exempt",
      `policyVersion=${v1.id}`,
    ]) {
      const parsed = parseReportFilters(new URLSearchParams(query), now);
      if (!parsed.success) throw parsed.error;
      const page = await reportPage(db, org.id, parsed.data, now);
      const fromRecords = await queryRows<ReportRow>(db, reportRowsQuery(org.id, parsed.data, { now }, "records"));
      expect(page.rows).toEqual(fromRecords.slice(0, 50));
      expect(page.totals.rows).toBe(fromRecords.length);
      expect(page.totals.people).toBe(new Set(fromRecords.map((r) => r.user_id)).size);
      expect(page.totals.byStatus.overdue).toBe(fromRecords.filter((r) => r.status === "overdue").length);
    }
  });
});

describe("the snapshots of past days (docs/decisions/0026)", () => {
  const day = "2026-05-09";
  const endOfDay = endOfLondonDay(day);
  const snapshot = (scope: StatusScope) => snapshotStatusQuery(scope, day);
  const later = (time: string) => ({ ...request, now: at(`2026-05-10T${time}:00Z`) });
  const reportAsAt = async (query: string, now: Date) => {
    const parsed = parseReportFilters(new URLSearchParams(`asAt=${day}${query ? `&${query}` : ""}`), now);
    if (!parsed.success) throw parsed.error;
    return {
      page: await reportPage(db, org.id, parsed.data, now),
      fromRecords: await queryRows<ReportRow>(db, reportRowsQuery(org.id, parsed.data, { now: endOfDay }, "records")),
    };
  };

  /** The days kept for the organisation, oldest first. */
  const keptDays = async () =>
    (
      await queryRows<{ day: string }>(
        db,
        sql`select day::text as day from standing_snapshot_days where organisation_id = ${org.id}::uuid order by day`,
      )
    ).map((r) => r.day);

  /** The day's snapshot gives exactly the records' statuses at the day's last instant, and the same totals. */
  async function snapshotAgrees() {
    const fromRecords = await statuses(requirementStatusQuery, endOfDay);
    expect(await statuses(snapshot, endOfDay)).toEqual(fromRecords);
    expect(await statuses(snapshot, endOfDay, { teamId: red.id })).toEqual(
      await statuses(requirementStatusQuery, endOfDay, { teamId: red.id }),
    );
    for (const selection of [
      { statuses: [] },
      { teamId: red.id, statuses: [] },
      { statuses: ["exempt", "complete"] },
      { teamId: blue.id, statuses: ["not_started", "overdue"] },
    ] as { teamId?: string; statuses: Status[] }[]) {
      const chosen = fromRecords.filter(
        (r) =>
          (!selection.teamId || r.team_id === selection.teamId) &&
          (selection.statuses.length === 0 || selection.statuses.includes(r.status as Status)),
      );
      expect(await keptTotals(db, org.id, { ...selection, day })).toEqual({
        rows: chosen.length,
        people: new Set(chosen.map((r) => r.user_id)).size,
        byStatus: Object.fromEntries(STATUSES.map((st) => [st, chosen.filter((r) => r.status === st).length])),
      });
    }
    return fromRecords;
  }

  it("are kept once for a day that is over, as recorded by its end, and equal the records as at its end", async () => {
    const dan = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Dan", startDate: "2026-02-01" });
    const before = await statuses(requirementStatusQuery, endOfDay);
    // Recorded the next morning with earlier dates, before the day's snapshot is kept: neither counts as at the day.
    const exempt = await recordExemption(
      db,
      hr,
      ada.id,
      exemptionSchema.parse({
        requirementId: "all",
        reason: "secondment",
        startsOn: "2026-05-02",
        approvedBy: "Head of service",
      }),
      later("05:00"),
    );
    expect(exempt.ok).toBe(true);
    const earlier = await recordEarlierTraining(
      db,
      hr,
      dan.id,
      {
        requirementId: module.requirement.id,
        completedOn: "2026-04-01",
        description: "Classroom",
        file: { name: "a.pdf", bytes: new TextEncoder().encode("%PDF-1.4\n%%EOF\n") },
      },
      later("05:01"),
    );
    expect(earlier.ok).toBe(true);
    expect(await statusOf(requirementStatusQuery, at("2026-05-10T05:02:00Z"), dan.id)).toContain("complete");
    expect(await statusOf(requirementStatusQuery, at("2026-05-10T05:02:00Z"), ada.id)).toContain("exempt");

    await expect(keepDaySnapshot(db, org.id, "2026-05-10", { now: at("2026-05-10T06:00:00Z") })).rejects.toThrow(
      /not over/,
    );
    expect(await hasDaySnapshot(db, org.id, day)).toBe(false);
    expect(await keepDaySnapshot(db, org.id, day, { now: at("2026-05-10T06:00:00Z") })).toBe(true);
    expect(await hasDaySnapshot(db, org.id, day)).toBe(true);
    const kept = await snapshotAgrees();
    expect(kept).toEqual(before);
    expect(kept.map((r) => r.status)).toEqual(expect.arrayContaining(["complete", "exempt", "overdue", "expired"]));
    expect(kept.filter((r) => r.user_id === dan.id).map((r) => r.status)).not.toContain("complete");
    expect(kept.filter((r) => r.user_id === ada.id).map((r) => r.status)).not.toContain("exempt");
    // A second run the same day writes nothing.
    expect(await keepDaySnapshot(db, org.id, day, { now: at("2026-05-10T07:00:00Z") })).toBe(false);
    expect(await statuses(snapshot, endOfDay)).toEqual(kept);
  });

  it("serve HR's report as at the day with the records' rows, order and totals", async () => {
    const now = at("2026-05-11T10:00:00Z");
    for (const query of [
      "",
      "status=overdue",
      `team=${red.id}`,
      `team=${red.id}&status=exempt&status=overdue`,
      "status=complete&status=exempt",
      `policyVersion=${v1.id}`,
    ]) {
      const { page, fromRecords } = await reportAsAt(query, now);
      if (query === "") expect(fromRecords.length).toBeGreaterThan(5);
      expect(page.rows).toEqual(fromRecords.slice(0, 50));
      expect(page.totals.rows).toBe(fromRecords.length);
      expect(page.totals.people).toBe(new Set(fromRecords.map((r) => r.user_id)).size);
      expect(page.totals.byStatus.overdue).toBe(fromRecords.filter((r) => r.status === "overdue").length);
      expect(page.asAt).toBe(endOfDay.toISOString());
    }
  });

  it("show people's names as they were at the end of the day", async () => {
    await db.update(users).set({ name: "Cat Brown" }).where(eq(users.id, cat.id));
    const { page, fromRecords } = await reportAsAt(`team=${red.id}`, at("2026-05-11T11:00:00Z"));
    expect(page.rows.filter((r) => r.user_id === cat.id).map((r) => r.name)).toEqual(["Cat", "Cat"]);
    expect(fromRecords.filter((r) => r.user_id === cat.id).map((r) => r.name)).toEqual(["Cat Brown", "Cat Brown"]);

    // An export as at the day gives the rows the page gives, and one as at a day not kept gives the records'.
    const now = at("2026-05-11T11:00:00Z");
    const exportFilters = (asAt: string) => {
      const parsed = parseReportFilters(new URLSearchParams(`asAt=${asAt}&team=${red.id}`), now);
      if (!parsed.success) throw parsed.error;
      return parsed.data;
    };
    const asAtDay = await queryRows<ReportRow>(db, exportRowsQuery(org.id, exportFilters(day), now));
    expect(asAtDay.length).toBeLessThan(50);
    expect(asAtDay).toEqual(page.rows);
    expect(asAtDay.filter((r) => r.user_id === cat.id).map((r) => r.name)).toEqual(["Cat", "Cat"]);
    const started = await startExport(db, "csv", {
      organisationId: org.id,
      filters: exportFilters(day),
      now,
      serviceUrl: "http://localhost",
      actor: { userId: hr.id, via: "web" },
      request: { ip: null, requestId: null },
    });
    if (!started.ok) throw new Error(started.reason);
    const csv = (await collect(started.chunks)).toString("utf8");
    expect(csv).toContain(',"Cat",');
    expect(csv).not.toContain("Cat Brown");
    const dayBefore = "2026-05-08";
    expect(await hasDaySnapshot(db, org.id, dayBefore)).toBe(false);
    expect(await queryRows<ReportRow>(db, exportRowsQuery(org.id, exportFilters(dayBefore), now))).toEqual(
      await queryRows<ReportRow>(
        db,
        reportRowsQuery(org.id, exportFilters(dayBefore), { now: endOfLondonDay(dayBefore) }, "records"),
      ),
    );
    await db.update(users).set({ name: "Cat" }).where(eq(users.id, cat.id));
  });

  it("are kept by the daily reminders run for the day before", async () => {
    expect(await hasDaySnapshot(db, org.id, "2026-05-11")).toBe(false);
    await runReminders(db, null, { now: at("2026-05-12T06:00:00Z") }, { serviceUrl: "http://localhost" });
    expect(await hasDaySnapshot(db, org.id, "2026-05-11")).toBe(true);
    expect(await statuses((scope) => snapshotStatusQuery(scope, "2026-05-11"), endOfLondonDay("2026-05-11"))).toEqual(
      await statuses(requirementStatusQuery, endOfLondonDay("2026-05-11")),
    );
  });

  it("are caught up by the daily run for the days it missed, oldest first, as recorded by each day's end", async () => {
    const daysFrom = (first: string, count: number) =>
      Array.from({ length: count }, (_, i) => {
        const d = new Date(`${first}T12:00:00Z`);
        d.setUTCDate(d.getUTCDate() + i);
        return d.toISOString().slice(0, 10);
      });
    expect(await keptDays()).toEqual(["2026-05-09", "2026-05-10", "2026-05-11"]);
    const eve = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Eve", startDate: "2026-02-01" });
    const gus = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Gus", startDate: "2026-02-01" });
    // Recorded on the 14th with earlier dates, while the daily job is not running.
    const exempt = await recordExemption(
      db,
      hr,
      eve.id,
      exemptionSchema.parse({
        requirementId: "all",
        reason: "secondment",
        startsOn: "2026-05-05",
        approvedBy: "Head of service",
      }),
      { ...request, now: at("2026-05-14T10:00:00Z") },
    );
    expect(exempt.ok).toBe(true);
    const earlier = await recordEarlierTraining(
      db,
      hr,
      gus.id,
      {
        requirementId: module.requirement.id,
        completedOn: "2026-04-25",
        description: "Classroom",
        file: { name: "b.pdf", bytes: new TextEncoder().encode("%PDF-1.4\n%%EOF\n") },
      },
      { ...request, now: at("2026-05-14T10:01:00Z") },
    );
    expect(earlier.ok).toBe(true);

    // Back on 20 June: 39 days missed (12 May to 19 June), 31 kept on this run, the 8 others on the next.
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const now = at("2026-06-20T06:00:00Z");
    await runReminders(db, null, { now }, { serviceUrl: "http://localhost", log });
    expect(await keptDays()).toEqual(["2026-05-09", "2026-05-10", "2026-05-11", ...daysFrom("2026-05-12", 31)]);
    expect(lines).toContain(`${org.slug}: standings kept as at 2026-05-12`);
    expect(lines).toContain(`${org.slug}: standings kept as at 2026-06-11`);
    expect(lines).toContain(`${org.slug}: 8 more past day(s) to keep on later runs (at most 31 a run)`);
    lines.length = 0;
    await runReminders(db, null, { now: at("2026-06-20T07:00:00Z") }, { serviceUrl: "http://localhost", log });
    expect(await keptDays()).toEqual(["2026-05-09", "2026-05-10", "2026-05-11", ...daysFrom("2026-05-12", 39)]);
    expect(lines.filter((l) => l.startsWith(`${org.slug}: standings kept`))).toHaveLength(8);
    expect(lines.some((l) => l.includes("more past day"))).toBe(false);
    const rowCount = async () =>
      (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from standing_snapshots`))[0].n;
    const rowsBefore = await rowCount();
    lines.length = 0;
    await runReminders(db, null, { now: at("2026-06-20T08:00:00Z") }, { serviceUrl: "http://localhost", log });
    expect(lines.some((l) => l.includes("standings kept") || l.includes("more past day"))).toBe(false);
    expect(await rowCount()).toBe(rowsBefore);

    // Each caught-up day counts only what was recorded by its end: the 14th's records from the 14th on.
    for (const day of ["2026-05-12", "2026-05-13", "2026-05-14", "2026-06-19"]) {
      const fromSnapshot = await statuses((scope) => snapshotStatusQuery(scope, day), endOfLondonDay(day));
      expect(fromSnapshot).toEqual(await statuses(requirementStatusQuery, endOfLondonDay(day)));
      const recorded = day >= "2026-05-14";
      expect(fromSnapshot.filter((r) => r.user_id === eve.id)).toHaveLength(2);
      expect(fromSnapshot.filter((r) => r.user_id === eve.id).every((r) => r.status === "exempt")).toBe(recorded);
      expect(
        fromSnapshot.some(
          (r) => r.user_id === gus.id && r.requirement_id === module.requirement.id && r.status === "complete",
        ),
      ).toBe(recorded);
    }
  });

  it(`are dropped by the daily run after ${DAILY_SNAPSHOT_DAYS} days but for each month's last day, and the report then reads the records`, async () => {
    const daysWithRows = async (table: "standing_snapshots" | "standing_snapshot_summaries") =>
      (
        await queryRows<{ day: string }>(
          db,
          sql`select distinct day::text as day from ${sql.raw(table)} where organisation_id = ${org.id}::uuid order by day`,
        )
      ).map((r) => r.day);
    expect(await keptDays()).toContain("2026-05-09");
    const lines: string[] = [];
    // 10 September: 92 days back is 10 June. The run keeps 31 more days (20 June to 20 July), then drops the aged ones.
    await runReminders(
      db,
      null,
      { now: at("2026-09-10T06:00:00Z") },
      { serviceUrl: "http://localhost", log: (l) => lines.push(l) },
    );
    const kept = await keptDays();
    expect(kept.filter((d) => d < "2026-06-10")).toEqual(["2026-05-31"]);
    expect(kept.filter((d) => d >= "2026-06-10")).toHaveLength(10 + 31);
    expect(await daysWithRows("standing_snapshots")).toEqual(kept);
    expect(await daysWithRows("standing_snapshot_summaries")).toEqual(kept);
    expect(lines).toContain(
      `${org.slug}: standings of 31 past day(s) from 2026-05-09 to 2026-06-09 dropped (only a month's last day is kept after ${DAILY_SNAPSHOT_DAYS} days)`,
    );
    expect(await dropAgedDaySnapshots(db, org.id, { now: at("2026-09-10T07:00:00Z") })).toEqual([]);

    // A dropped day is worked out from the records, as it was before any day was kept.
    expect(await hasDaySnapshot(db, org.id, day)).toBe(false);
    const { page, fromRecords } = await reportAsAt("", at("2026-09-10T10:00:00Z"));
    expect(fromRecords.length).toBeGreaterThan(5);
    expect(page.rows).toEqual(fromRecords.slice(0, 50));
    expect(page.totals.rows).toBe(fromRecords.length);
  });
});

describe.skipIf(database.kind === "pglite")("the kept standings on PostgreSQL, with other connections", () => {
  it("never make a writer wait for a refresh, and miss nothing a writer commits during one", async () => {
    const gus = await aPerson(db, { organisationId: org.id, teamId: red.id, name: "Gus", startDate: "2026-01-01" });
    await refreshStandings(db, org.id, { now: at("2026-05-09T12:00:00Z") });
    await db.update(users).set({ name: "Gus Grey" }).where(eq(users.id, gus.id)); // a note on Gus, for the refresh to take
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let tookNotes: () => void = () => {};
    const notesTaken = new Promise<void>((resolve) => (tookNotes = resolve));
    // A refresh in progress: the organisation's notes (Gus's among them) deleted by a transaction not yet committed.
    const refreshing = db.transaction(async (tx) => {
      await tx.execute(sql`delete from standing_changes where organisation_id = ${org.id}::uuid`);
      tookNotes();
      await held;
    });
    await notesTaken;
    // Meanwhile Gus passes: his new note is written at once (with a unique key on the notes it would wait for the
    // refresh, and the lock timeout would fail this after a second).
    try {
      await db.transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '1s'`);
        await anAttempt(tx, gus, module, {
          status: "passed",
          startedAt: at("2026-05-09T12:10:00Z"),
          completedAt: at("2026-05-09T12:20:00Z"),
        });
      });
    } finally {
      release();
      await refreshing;
    }
    expect(await agreeAt(at("2026-05-09T12:30:00Z"))).toEqual({ rebuilt: false, people: 1 });
    expect(await statusOf(keptStatusQuery, at("2026-05-09T12:30:00Z"), gus.id)).toContain("complete");
  });
});
