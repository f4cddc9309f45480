import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { requirements } from "~db/schema";
import { setTeam } from "~/people/memberships.server";
import { freshDatabase } from "../../test/support/database";
import {
  aPerson,
  aPolicyVersion,
  aRequiredModule,
  aTeam,
  anAttempt,
  anOrganisation,
  asCurrentUser,
  databaseError,
} from "../../test/support/factories";
import { recordEarlierTraining } from "./earlier-training.server";
import { cancelExemption, endExemption, recordExemption } from "./exemptions.server";
import { exemptionSchema, type ExemptionInput } from "./forms";
import { aimRequirement, changeRequirement } from "./requirements.server";
import { completionFigures, peopleStatus, personStatus, type RequirementStatusRow } from "./status.server";

const database = await freshDatabase();
const db = database.db;
const at = (iso: string) => ({ now: new Date(iso) });
const request = (iso: string) => ({ ip: null, requestId: null, now: new Date(iso) });
const PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n");

async function rows(organisationId: string, userId: string, iso: string): Promise<RequirementStatusRow[]> {
  return personStatus(db, organisationId, userId, at(iso));
}
async function moduleRow(organisationId: string, userId: string, iso: string) {
  return (await rows(organisationId, userId, iso)).find((r) => r.kind === "module");
}

/** A council with one required module (due within 28 days, renewed every 12 months), HR, and a person. */
async function aSetting(startDate = "2026-01-05") {
  const org = await anOrganisation(db);
  const team = await aTeam(db, org.id);
  const required = await aRequiredModule(db, org.id, { effectiveFrom: "2025-01-01" });
  const hrRow = await aPerson(db, { organisationId: org.id, teamId: team.id, role: "hr", startDate: "2025-01-01" });
  const hr = asCurrentUser(hrRow, org);
  const person = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate });
  return { org, team, required, hr, person };
}

const exemption = (input: Partial<Record<string, unknown>>): ExemptionInput =>
  exemptionSchema.parse({ requirementId: "all", reason: "parental_leave", approvedBy: "Jo Manager", ...input });

describe("exemptions", () => {
  it("make a requirement exempt, with the reason, while they last; the due date restarts from the day after", async () => {
    const { org, required, hr, person } = await aSetting();
    const recorded = await recordExemption(
      db,
      hr,
      person.id,
      exemption({ requirementId: required.requirement.id, startsOn: "2026-03-01", endsOn: "2026-08-31" }),
      request("2026-02-20T10:00:00Z"),
    );
    expect(recorded).toMatchObject({ ok: true, created: true });
    // Overdue before it starts (due 2 February).
    expect(await moduleRow(org.id, person.id, "2026-02-25T12:00:00Z")).toMatchObject({ status: "overdue" });
    expect(await moduleRow(org.id, person.id, "2026-03-01T12:00:00Z")).toMatchObject({
      status: "exempt",
      exemptionReason: "parental_leave",
      exemptUntil: "2026-08-31",
      since: "2026-03-01",
      dueOn: "2026-09-29",
    });
    expect((await moduleRow(org.id, person.id, "2026-08-31T21:00:00Z"))?.status).toBe("exempt");
    // From 1 September, 28 days again: not started, then due soon, then overdue after 28 September.
    expect(await moduleRow(org.id, person.id, "2026-09-01T12:00:00Z")).toMatchObject({
      status: "not_started",
      since: "2026-09-01",
      dueOn: "2026-09-29",
    });
    expect((await moduleRow(org.id, person.id, "2026-09-30T12:00:00Z"))?.status).toBe("overdue");
  });

  it("from all requirements cover the code of conduct too, and leave exempt people out of outstanding figures", async () => {
    const { org, team, hr, person } = await aSetting();
    await aPolicyVersion(db, org.id, { effectiveDate: "2025-01-01" });
    const other = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2026-01-05" });
    await recordExemption(
      db,
      hr,
      person.id,
      exemption({ startsOn: "2026-02-01", reason: "long_term_absence" }),
      request("2026-02-01T09:00:00Z"),
    );
    const mine = await rows(org.id, person.id, "2026-04-01T12:00:00Z");
    expect(mine.map((r) => [r.kind, r.status, r.exemptionReason, r.dueOn])).toEqual([
      ["module", "exempt", "long_term_absence", null],
      ["policy", "exempt", "long_term_absence", null],
    ]);
    const figures = await completionFigures(
      db,
      { organisationId: org.id, teamId: team.id },
      at("2026-04-01T12:00:00Z"),
    );
    // HR (started 2025) and the other person count; the exempt person does not.
    expect(figures.people).toBe(2);
    expect(figures.peopleByStatus.exempt).toBe(1);
    const moduleFigures = figures.requirements.find((r) => r.kind === "module")!;
    expect(moduleFigures.counts.exempt).toBe(1);
    expect(moduleFigures.total).toBe(2);
    const outstanding = await peopleStatus(
      db,
      { organisationId: org.id, teamId: team.id },
      {},
      at("2026-04-01T12:00:00Z"),
    );
    expect(outstanding.people.map((p) => p.userId)).not.toContain(person.id);
    expect(outstanding.people.map((p) => p.userId)).toContain(other.id);
  });

  it("are ended, corrected and cancelled by later records, and a past day reads only what was recorded by then", async () => {
    const { org, required, hr, person } = await aSetting();
    const granted = await recordExemption(
      db,
      hr,
      person.id,
      exemption({ requirementId: required.requirement.id, startsOn: "2026-01-10", reason: "secondment" }),
      request("2026-03-10T09:00:00Z"),
    );
    if (!granted.ok) throw new Error("not recorded");
    // Recorded on 10 March with an earlier start: a report as at 1 March is as it was.
    expect((await moduleRow(org.id, person.id, "2026-03-01T23:59:59Z"))?.status).toBe("overdue");
    expect((await moduleRow(org.id, person.id, "2026-03-10T12:00:00Z"))?.status).toBe("exempt");

    const ended = await endExemption(
      db,
      hr,
      person.id,
      { exemptionId: granted.id, endsOn: "2026-04-30" },
      request("2026-04-20T09:00:00Z"),
    );
    expect(ended).toMatchObject({ ok: true, created: true });
    // Ending it again on the same day is the same record.
    expect(
      await endExemption(
        db,
        hr,
        person.id,
        { exemptionId: granted.id, endsOn: "2026-04-30" },
        request("2026-04-20T09:01:00Z"),
      ),
    ).toMatchObject({ ok: true, created: false });
    expect(await moduleRow(org.id, person.id, "2026-04-25T12:00:00Z")).toMatchObject({
      status: "exempt",
      exemptUntil: "2026-04-30",
    });
    expect(await moduleRow(org.id, person.id, "2026-05-02T12:00:00Z")).toMatchObject({
      status: "not_started",
      dueOn: "2026-05-29",
    });
    if (!ended.ok) throw new Error("not ended");

    // A correction replaces the whole record: another reason, and longer.
    const corrected = await recordExemption(
      db,
      hr,
      person.id,
      exemption({
        replacesId: ended.id,
        requirementId: required.requirement.id,
        startsOn: "2026-01-10",
        endsOn: "2026-06-30",
        reason: "other",
        reasonText: "Career break",
      }),
      request("2026-05-05T09:00:00Z"),
    );
    expect(corrected).toMatchObject({ ok: true, created: true });
    expect(await moduleRow(org.id, person.id, "2026-05-06T12:00:00Z")).toMatchObject({
      status: "exempt",
      exemptionReason: "other",
      exemptUntil: "2026-06-30",
    });
    // As at 2 May it was as recorded then.
    expect((await moduleRow(org.id, person.id, "2026-05-02T23:59:59Z"))?.status).toBe("not_started");
    if (!corrected.ok) throw new Error("not corrected");

    // Cancelled as recorded in error: from then it never applied, but earlier days keep what they showed.
    expect(await cancelExemption(db, hr, person.id, corrected.id, request("2026-05-10T09:00:00Z"))).toMatchObject({
      ok: true,
      created: true,
    });
    expect((await moduleRow(org.id, person.id, "2026-05-10T12:00:00Z"))?.status).toBe("overdue");
    expect((await moduleRow(org.id, person.id, "2026-05-06T12:00:00Z"))?.status).toBe("exempt");
    // The replaced record cannot be ended again.
    expect(
      await endExemption(
        db,
        hr,
        person.id,
        { exemptionId: corrected.id, endsOn: "2026-05-31" },
        request("2026-05-11T09:00:00Z"),
      ),
    ).toMatchObject({ ok: false, status: 409 });
  });

  it("restart the due date of a completion that lapsed while exempt", async () => {
    const { org, required, hr, person } = await aSetting("2025-01-06");
    await anAttempt(db, person, required, {
      status: "passed",
      startedAt: new Date("2025-01-20T10:00:00Z"),
      completedAt: new Date("2025-01-20T11:00:00Z"),
    });
    await recordExemption(
      db,
      hr,
      person.id,
      exemption({ startsOn: "2025-12-01", endsOn: "2026-03-31" }),
      request("2025-11-20T09:00:00Z"),
    );
    // The pass would have expired on 20 January 2026, inside the exemption: not expired after it (and, having
    // taken the module before, they count as started).
    expect(await moduleRow(org.id, person.id, "2026-04-02T12:00:00Z")).toMatchObject({
      status: "in_progress",
      dueOn: "2026-04-29",
    });
    // A pass that lapses after the exemption ends expires as usual.
    const other = await aPerson(db, { organisationId: org.id, startDate: "2025-01-06" });
    await anAttempt(db, other, required, {
      status: "passed",
      startedAt: new Date("2025-06-20T10:00:00Z"),
      completedAt: new Date("2025-06-20T11:00:00Z"),
    });
    await recordExemption(
      db,
      hr,
      other.id,
      exemption({ startsOn: "2025-12-01", endsOn: "2026-03-31" }),
      request("2025-11-20T09:00:00Z"),
    );
    expect((await moduleRow(org.id, other.id, "2026-06-21T12:00:00Z"))?.status).toBe("expired");
  });

  it("refuse overlaps, an end before the start and another council's person, writing nothing", async () => {
    const { required, hr, person } = await aSetting();
    const first = await recordExemption(
      db,
      hr,
      person.id,
      exemption({ requirementId: required.requirement.id, startsOn: "2026-03-01", endsOn: "2026-03-31" }),
      request("2026-02-20T10:00:00Z"),
    );
    expect(first).toMatchObject({ ok: true, created: true });
    // The same submission again writes nothing new.
    expect(
      await recordExemption(
        db,
        hr,
        person.id,
        exemption({ requirementId: required.requirement.id, startsOn: "2026-03-01", endsOn: "2026-03-31" }),
        request("2026-02-20T10:00:01Z"),
      ),
    ).toEqual(first.ok ? { ok: true, id: first.id, created: false } : null);
    // An exemption from everything overlapping it.
    const overlap = await recordExemption(
      db,
      hr,
      person.id,
      exemption({ startsOn: "2026-03-31" }),
      request("2026-02-21T10:00:00Z"),
    );
    expect(overlap).toMatchObject({ ok: false, status: 409 });
    expect(overlap.ok ? "" : overlap.errors.startsOn).toMatch(/overlaps another/);
    // The day after is fine.
    expect(
      await recordExemption(db, hr, person.id, exemption({ startsOn: "2026-04-01" }), request("2026-02-21T10:00:00Z")),
    ).toMatchObject({ ok: true });

    const backwards = exemptionSchema.safeParse({
      requirementId: "all",
      reason: "other",
      startsOn: { day: "10", month: "3", year: "2026" },
      endsOn: { day: "9", month: "3", year: "2026" },
      approvedBy: "Jo",
    });
    expect(backwards.success ? {} : backwards.error.issues.map((i) => [i.path[0], i.message])).toEqual([
      ["reasonText", "Enter the reason for the exemption"],
      ["endsOn", "The last day of the exemption must be the same as or after its first day"],
    ]);

    const elsewhere = await aSetting();
    const before = await db.execute("select count(*)::int as n from exemptions");
    expect(
      await recordExemption(
        db,
        hr,
        elsewhere.person.id,
        exemption({ startsOn: "2026-05-01" }),
        request("2026-02-21T10:00:00Z"),
      ),
    ).toMatchObject({ ok: false, status: 404 });
    // Nor from another council's requirement.
    expect(
      await recordExemption(
        db,
        hr,
        person.id,
        exemption({ requirementId: elsewhere.required.requirement.id, startsOn: "2027-05-01" }),
        request("2026-02-21T10:00:00Z"),
      ),
    ).toMatchObject({ ok: false, status: 400 });
    expect(await db.execute("select count(*)::int as n from exemptions")).toEqual(before);
  });

  it("are append-only: the database refuses to change or delete one", async () => {
    const { hr, person } = await aSetting();
    await recordExemption(db, hr, person.id, exemption({ startsOn: "2026-03-01" }), request("2026-02-20T10:00:00Z"));
    expect(await databaseError(db.execute(`update exemptions set reason = 'other', reason_text = 'x'`))).toMatch(
      /append-only/,
    );
    expect(await databaseError(db.execute(`delete from exemptions`))).toMatch(/append-only/);
    expect(await databaseError(db.execute(`delete from requirement_settings`))).toMatch(/append-only/);
  });
});

describe("training completed elsewhere", () => {
  it("completes the module until it expires, never as a pass, and only once recorded", async () => {
    const { org, required, hr, person } = await aSetting();
    const result = await recordEarlierTraining(
      db,
      hr,
      person.id,
      {
        requirementId: required.requirement.id,
        completedOn: "2025-11-10",
        description: "Social media training at Barnet Council",
        file: { name: "certificate.pdf", bytes: PDF },
      },
      request("2026-02-10T10:00:00Z"),
    );
    expect(result).toMatchObject({ ok: true, created: true });
    if (!result.ok) throw new Error("not recorded");
    expect(await moduleRow(org.id, person.id, "2026-02-10T12:00:00Z")).toMatchObject({
      status: "complete",
      attemptId: null,
      earlierTrainingId: result.id,
      since: "2025-11-10",
      dueOn: "2026-11-10",
    });
    // Before it was recorded, the report as at that day shows them overdue.
    expect((await moduleRow(org.id, person.id, "2026-02-09T23:59:59Z"))?.status).toBe("overdue");
    expect((await moduleRow(org.id, person.id, "2026-11-10T12:00:00Z"))?.status).toBe("expired");
    // A later pass of our module is the newer completion.
    const attempt = await anAttempt(db, person, required, {
      status: "passed",
      startedAt: new Date("2026-03-01T10:00:00Z"),
      completedAt: new Date("2026-03-01T11:00:00Z"),
    });
    expect(await moduleRow(org.id, person.id, "2026-03-02T12:00:00Z")).toMatchObject({
      attemptId: attempt.id,
      earlierTrainingId: null,
    });
    // The same record again is written once.
    expect(
      await recordEarlierTraining(
        db,
        hr,
        person.id,
        {
          requirementId: required.requirement.id,
          completedOn: "2025-11-10",
          description: "Social media training at Barnet Council",
          file: { name: "certificate.pdf", bytes: PDF },
        },
        request("2026-02-10T10:00:05Z"),
      ),
    ).toEqual({ ok: true, id: result.id, created: false });
  });

  it("refuses a file that is not a PDF or image, or too large, a future date, or the code of conduct, writing nothing", async () => {
    const { org, required, hr, person } = await aSetting();
    const version = await aPolicyVersion(db, org.id, { effectiveDate: "2025-01-01" });
    const base = {
      requirementId: required.requirement.id,
      completedOn: "2025-11-10",
      description: "Classroom session",
      file: { name: "certificate.pdf", bytes: PDF },
    };
    const now = request("2026-02-10T10:00:00Z");
    const html = new TextEncoder().encode("<html><body>%PDF-</body></html>");
    expect(
      await recordEarlierTraining(db, hr, person.id, { ...base, file: { name: "x.pdf", bytes: html } }, now),
    ).toEqual({
      ok: false,
      status: 400,
      errors: { file: "The selected file must be a PDF, PNG or JPEG" },
    });
    const large = new Uint8Array(10 * 1024 * 1024 + 1);
    large.set(PDF);
    expect(
      await recordEarlierTraining(db, hr, person.id, { ...base, file: { name: "x.pdf", bytes: large } }, now),
    ).toEqual({
      ok: false,
      status: 400,
      errors: { file: "The selected file must be smaller than 10 MB" },
    });
    expect(await recordEarlierTraining(db, hr, person.id, { ...base, completedOn: "2026-02-11" }, now)).toMatchObject({
      ok: false,
      errors: { completedOn: "The day it was completed must be today or in the past" },
    });
    const [policy] = await db.select().from(requirements).where(eq(requirements.policyId, version.policyId));
    expect(await recordEarlierTraining(db, hr, person.id, { ...base, requirementId: policy.id }, now)).toEqual({
      ok: false,
      status: 400,
      errors: { requirementId: "Choose a training module from the list" },
    });
    const elsewhere = await aSetting();
    expect(await recordEarlierTraining(db, hr, elsewhere.person.id, base, now)).toMatchObject({
      ok: false,
      status: 404,
    });
    expect(
      await recordEarlierTraining(
        db,
        hr,
        person.id,
        { ...base, requirementId: elsewhere.required.requirement.id },
        now,
      ),
    ).toMatchObject({ ok: false, status: 400 });
    const counts = await db.execute(
      `select (select count(*) from earlier_training where user_id = '${person.id}')::int as t,
        (select count(*) from evidence_files where user_id = '${person.id}')::int as f`,
    );
    expect(JSON.stringify(counts)).toContain('"t":0');
    expect(JSON.stringify(counts)).toContain('"f":0');
  });
});

describe("requirements aimed at teams, with dated settings", () => {
  it("apply to people in those teams from the day they move in, and stop when they move out", async () => {
    const { org, team, required, hr, person } = await aSetting("2025-06-02");
    const whatsapp = await aTeam(db, org.id, "Family support");
    const admin = { ...hr, role: "admin" as const };
    expect(
      await aimRequirement(
        db,
        admin,
        { requirementId: required.requirement.id, teamIds: [whatsapp.id] },
        request("2026-02-01T10:00:00Z"),
      ),
    ).toEqual({ ok: true, changed: true });
    // Not in the team: nothing owed from then; the report as at an earlier day keeps the whole-council setting.
    expect(await moduleRow(org.id, person.id, "2026-02-02T12:00:00Z")).toBeUndefined();
    expect((await moduleRow(org.id, person.id, "2026-01-31T12:00:00Z"))?.status).toBe("overdue");
    await setTeam(db, person.id, whatsapp.id, "2026-03-02");
    expect(await moduleRow(org.id, person.id, "2026-03-01T12:00:00Z")).toBeUndefined();
    expect(await moduleRow(org.id, person.id, "2026-03-02T12:00:00Z")).toMatchObject({
      status: "not_started",
      since: "2026-03-02",
      dueOn: "2026-03-30",
    });
    await setTeam(db, person.id, team.id, "2026-05-01");
    expect(await moduleRow(org.id, person.id, "2026-05-01T12:00:00Z")).toBeUndefined();
    expect((await moduleRow(org.id, person.id, "2026-04-30T12:00:00Z"))?.status).toBe("overdue");
  });

  it("refuse a team of another council, changing nothing", async () => {
    const { required, hr } = await aSetting();
    const elsewhere = await aSetting();
    const admin = { ...hr, role: "admin" as const };
    const before = await db.execute(`select count(*)::int as n from requirement_settings`);
    expect(
      await aimRequirement(
        db,
        admin,
        { requirementId: required.requirement.id, teamIds: [elsewhere.team.id] },
        request("2026-02-01T10:00:00Z"),
      ),
    ).toEqual({ ok: false, status: 400, errors: { teamIds: "Choose teams of your council from the list" } });
    // Another council's requirement is not found.
    expect(
      await aimRequirement(
        db,
        admin,
        { requirementId: elsewhere.required.requirement.id, teamIds: null },
        request("2026-02-01T10:00:00Z"),
      ),
    ).toBeNull();
    expect(await db.execute(`select count(*)::int as n from requirement_settings`)).toEqual(before);
  });

  it("give a past day the periods in force that day", async () => {
    const { org, required, hr, person } = await aSetting("2026-01-05");
    const admin = { ...hr, role: "admin" as const };
    await changeRequirement(
      db,
      admin,
      { requirementId: required.requirement.id, dueWithinDays: 60, renewalMonths: 24 },
      request("2026-02-10T10:00:00Z"),
    );
    expect(await moduleRow(org.id, person.id, "2026-02-09T23:59:59Z")).toMatchObject({
      status: "overdue",
      dueOn: "2026-02-02",
    });
    expect(await moduleRow(org.id, person.id, "2026-02-10T12:00:00Z")).toMatchObject({
      status: "not_started",
      dueOn: "2026-03-06",
    });
  });
});
