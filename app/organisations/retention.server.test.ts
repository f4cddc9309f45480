import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { applyRosterUpload } from "~/people/roster-apply.server";
import { uploadRoster, type RosterSummary } from "~/people/roster-plan.server";
import { auditLog, organisations, rosterUploads } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aPerson, asCurrentUser, databaseError } from "../../test/support/factories";
import { applyRetention, changeRetention, retentionSettings } from "./retention.server";

const database = await freshDatabase();
const db = database.db;

const HEADER = "Employee number,Name,Email,Team,Start date,Leaving date";
const at = (iso: string) => ({ ip: null, requestId: null, now: new Date(iso) });

type Council = Awaited<ReturnType<typeof aCouncil>>;
type Person = Awaited<ReturnType<typeof aPerson>>;

/** A roster file naming these people as they are (so it changes nothing about them). */
const rosterOf = (people: Person[]) =>
  new TextEncoder().encode(
    [
      HEADER,
      ...people.map((p) => [p.employeeNumber, p.name, p.email, "Team A", p.startDate, p.leavingDate ?? ""].join(",")),
    ].join("\r\n") + "\r\n",
  );

async function anUpload(council: Council, people: Person[], iso: string, options: { apply: boolean }) {
  const hr = asCurrentUser(council.hr, council.organisation);
  const uploaded = await uploadRoster(db, hr, { name: "staff.csv", bytes: rosterOf(people) }, at(iso));
  if (!uploaded.ok) throw new Error(uploaded.error);
  if (options.apply) {
    const applied = await applyRosterUpload(
      db,
      hr,
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      { withLinks: false },
      at(iso),
    );
    expect(applied.outcome).toBe("applied");
  }
  return uploaded.uploadId;
}

const uploadRow = async (id: string) => (await db.select().from(rosterUploads).where(eq(rosterUploads.id, id)))[0];
const entries = (organisationId: string, action: string) =>
  db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.organisationId, organisationId), eq(auditLog.action, action)));

describe("the retention rule for roster uploads", () => {
  it("deletes an upload naming someone who left more than the period ago, keeping its hash, counts and records", async () => {
    const council = await aCouncil(db);
    const org = council.organisation;
    await db.update(organisations).set({ evidenceRetentionMonths: 6 }).where(eq(organisations.id, org.id));
    const inTeamA = { organisationId: org.id, teamId: council.teamA.id, startDate: "2025-01-06" };
    const current = await aPerson(db, inTeamA);
    const leftLongAgo = await aPerson(db, { ...inTeamA, leavingDate: "2026-01-05", active: false });
    const leftRecently = await aPerson(db, { ...inTeamA, leavingDate: "2026-05-01", active: false });

    const namingOldLeaver = await anUpload(council, [current, leftLongAgo], "2026-02-10T10:00:00Z", { apply: true });
    const namingRecentLeaver = await anUpload(council, [current, leftRecently], "2026-05-10T10:00:00Z", {
      apply: true,
    });
    const namingCurrentOnly = await anUpload(council, [current], "2026-05-11T10:00:00Z", { apply: true });
    // Not applied: kept for its preview until it is itself six months old.
    const waiting = await anUpload(council, [leftLongAgo], "2026-03-01T10:00:00Z", { apply: false });
    const before = await uploadRow(namingOldLeaver);
    expect((before.summary as RosterSummary).first.alreadyLeft).toHaveLength(1);

    // 5 July 2026 is six months after the leaving date: not yet on the 4th.
    expect(await applyRetention(db, new Date("2026-07-04T12:00:00Z"))).toEqual({ evidenceFiles: 0, rosterUploads: 0 });
    expect(await applyRetention(db, new Date("2026-07-05T12:00:00Z"))).toEqual({ evidenceFiles: 0, rosterUploads: 1 });

    const after = await uploadRow(namingOldLeaver);
    expect(after).toMatchObject({
      content: null,
      sha256: before.sha256,
      byteSize: before.byteSize,
      fileName: "staff.csv",
      appliedAt: before.appliedAt,
    });
    expect(after.deletedAt).toEqual(new Date("2026-07-05T12:00:00Z"));
    const summary = after.summary as RosterSummary;
    expect(summary.counts).toEqual((before.summary as RosterSummary).counts);
    expect(summary.status).toBe("applied");
    expect(Object.values(summary.first).flat()).toEqual([]);
    expect(JSON.stringify(summary)).not.toContain(leftLongAgo.employeeNumber);
    for (const kept of [namingRecentLeaver, namingCurrentOnly, waiting])
      expect((await uploadRow(kept)).content).not.toBeNull();

    // Audited: the upload's entry, and one summary entry for the run.
    expect(await entries(org.id, "roster-upload.deleted-by-retention")).toEqual([
      expect.objectContaining({
        subjectId: namingOldLeaver,
        details: { fileName: "staff.csv", sha256: before.sha256, leavers: 1 },
      }),
    ]);
    expect(await entries(org.id, "retention.applied")).toEqual([
      expect.objectContaining({ details: { evidenceFiles: 0, rosterUploads: 1, months: 6 } }),
    ]);
    // The entries citing the upload are still there.
    expect(await entries(org.id, "roster.uploaded")).toHaveLength(4);

    // Idempotent: the next run deletes nothing and writes nothing.
    expect(await applyRetention(db, new Date("2026-07-06T12:00:00Z"))).toEqual({ evidenceFiles: 0, rosterUploads: 0 });
    expect(await entries(org.id, "retention.applied")).toHaveLength(1);
    expect((await retentionSettings(db, org.id)).lastDeletion).toEqual({
      at: expect.any(Date),
      evidenceFiles: 0,
      rosterUploads: 1,
    });

    // The upload left waiting goes once it is six months old, and can no longer be applied.
    expect((await applyRetention(db, new Date("2026-09-01T12:00:00Z"))).rosterUploads).toBe(1);
    const hr = asCurrentUser(council.hr, council.organisation);
    const waitingSummary = (await uploadRow(waiting)).summary as RosterSummary;
    expect(
      await applyRosterUpload(
        db,
        hr,
        waiting,
        { planDigest: waitingSummary.planDigest },
        { withLinks: false },
        at("2026-09-01T13:00:00Z"),
      ),
    ).toEqual({ outcome: "deleted" });
    expect((await uploadRow(namingRecentLeaver)).content).not.toBeNull();

    // A council that keeps everything loses nothing.
    await db.update(organisations).set({ evidenceRetentionMonths: null }).where(eq(organisations.id, org.id));
    expect(await applyRetention(db, new Date("2030-01-01T12:00:00Z"))).toEqual({ evidenceFiles: 0, rosterUploads: 0 });
    expect((await uploadRow(namingRecentLeaver)).content).not.toBeNull();
  });

  it("lets nothing else change an upload's file or delete it", async () => {
    const council = await aCouncil(db);
    const id = await anUpload(council, [council.staff], "2026-02-10T10:00:00Z", { apply: false });
    expect(await databaseError(db.execute(`update roster_uploads set content = null where id = '${id}'`))).toMatch(
      /retention rule/,
    );
    expect(await databaseError(db.execute(`update roster_uploads set sha256 = 'x' where id = '${id}'`))).toMatch(
      /retention rule/,
    );
    expect(await databaseError(db.execute(`delete from roster_uploads where id = '${id}'`))).toMatch(/retention rule/);
    // Its summary still changes while it is previewed and applied.
    await db.execute(`update roster_uploads set summary = summary || '{"rechecked": true}' where id = '${id}'`);
    expect((await uploadRow(id)).summary).toMatchObject({ rechecked: true });
  });
});

describe("the council's retention setting", () => {
  it("is changed by an admin with one audit entry of the old and new values; the same value again writes nothing", async () => {
    const council = await aCouncil(db);
    const admin = asCurrentUser(council.admin, council.organisation);
    const request = { ip: null, requestId: null };
    expect(await retentionSettings(db, council.organisation.id)).toEqual({ months: null, lastDeletion: null });
    expect(await changeRetention(db, admin, { months: 24 }, request)).toBe(true);
    expect(await changeRetention(db, admin, { months: 24 }, request)).toBe(false);
    expect((await retentionSettings(db, council.organisation.id)).months).toBe(24);
    expect(await changeRetention(db, admin, { months: null }, request)).toBe(true);
    expect(await entries(council.organisation.id, "retention.changed")).toEqual([
      expect.objectContaining({ actorUserId: admin.id, details: { before: { months: null }, after: { months: 24 } } }),
      expect.objectContaining({ actorUserId: admin.id, details: { before: { months: 24 }, after: { months: null } } }),
    ]);
    expect((await retentionSettings(db, council.organisation.id)).months).toBeNull();
  });
});
