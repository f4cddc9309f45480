import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, evidenceFiles, organisations, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aPerson,
  aRequiredModule,
  aTeam,
  anOrganisation,
  asCurrentUser,
  databaseError,
} from "../../test/support/factories";
import { applyRetention } from "~/organisations/retention.server";
import { downloadEvidenceFile, evidenceMediaType, recordEarlierTraining } from "./earlier-training.server";
import { personStatus } from "./status.server";

const database = await freshDatabase();
const db = database.db;
const request = (iso: string) => ({ ip: null, requestId: null, now: new Date(iso) });
const bytes = (text: string) => new TextEncoder().encode(text);

describe("evidence files", () => {
  it("are known by their first bytes: PDF, PNG and JPEG, nothing else", () => {
    expect(evidenceMediaType(bytes("%PDF-1.7\n"))).toBe("application/pdf");
    expect(evidenceMediaType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe("image/png");
    expect(evidenceMediaType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(evidenceMediaType(bytes("GIF89a"))).toBeNull();
    expect(evidenceMediaType(bytes(" %PDF-1.7"))).toBeNull();
    expect(evidenceMediaType(new Uint8Array())).toBeNull();
  });

  it("are kept with their hash, downloaded by HR of the council only (audited), and deleted only by the retention rule", async () => {
    const org = await anOrganisation(db, { evidenceRetentionMonths: 6 });
    const team = await aTeam(db, org.id);
    const required = await aRequiredModule(db, org.id, { effectiveFrom: "2025-01-01" });
    const hr = asCurrentUser(await aPerson(db, { organisationId: org.id, teamId: team.id, role: "hr" }), org);
    const leaver = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2025-01-06" });
    const stayer = await aPerson(db, { organisationId: org.id, teamId: team.id, startDate: "2025-01-06" });
    const content = bytes("%PDF-1.4\nevidence\n%%EOF\n");
    for (const person of [leaver, stayer]) {
      const recorded = await recordEarlierTraining(
        db,
        hr,
        person.id,
        {
          requirementId: required.requirement.id,
          completedOn: "2025-03-01",
          description: "Classroom",
          file: { name: "c.pdf", bytes: content },
        },
        request("2025-03-02T10:00:00Z"),
      );
      expect(recorded.ok).toBe(true);
    }
    const [file] = await db.select().from(evidenceFiles).where(eq(evidenceFiles.userId, leaver.id));
    expect(file.sha256).toBe(createHash("sha256").update(content).digest("hex"));
    const downloaded = await downloadEvidenceFile(db, hr, leaver.id, file.id, { ip: null, requestId: "r1" });
    expect(Buffer.from(downloaded!.content).equals(Buffer.from(content))).toBe(true);
    expect(await db.select().from(auditLog).where(eq(auditLog.requestId, "r1"))).toEqual([
      expect.objectContaining({ action: "evidence-file.downloaded", subjectId: file.id }),
    ]);
    // Another council's HR gets nothing.
    const other = await anOrganisation(db);
    const otherHr = asCurrentUser(await aPerson(db, { organisationId: other.id, role: "hr" }), other);
    expect(await downloadEvidenceFile(db, otherHr, leaver.id, file.id, { ip: null, requestId: null })).toBeNull();

    // Nothing else may change or delete a file.
    expect(
      await databaseError(db.execute(`update evidence_files set file_name = 'x' where id = '${file.id}'`)),
    ).toMatch(/retention rule/);
    expect(await databaseError(db.execute(`delete from evidence_files where id = '${file.id}'`))).toMatch(
      /retention rule/,
    );

    // The leaver left on 31 March 2025: six months on, their file's content goes; the stayer's stays.
    await db.update(users).set({ leavingDate: "2025-03-31", active: false }).where(eq(users.id, leaver.id));
    const evidenceFilesDeleted = async (iso: string) => (await applyRetention(db, new Date(iso))).evidenceFiles;
    expect(await evidenceFilesDeleted("2025-09-29T12:00:00Z")).toBe(0);
    expect(await evidenceFilesDeleted("2025-09-30T12:00:00Z")).toBe(1);
    expect(await evidenceFilesDeleted("2025-10-01T12:00:00Z")).toBe(0);
    const [after] = await db.select().from(evidenceFiles).where(eq(evidenceFiles.id, file.id));
    expect(after).toMatchObject({ content: null, sha256: file.sha256, byteSize: file.byteSize, fileName: "c.pdf" });
    expect(after.deletedAt).not.toBeNull();
    const [kept] = await db.select().from(evidenceFiles).where(eq(evidenceFiles.userId, stayer.id));
    expect(kept.content).not.toBeNull();
    expect(await downloadEvidenceFile(db, hr, leaver.id, file.id, { ip: null, requestId: null })).toBeNull();
    expect(await db.select().from(auditLog).where(eq(auditLog.action, "evidence-file.deleted-by-retention"))).toEqual([
      expect.objectContaining({ subjectId: file.id, organisationId: org.id }),
    ]);
    // The record citing it still counts for the stayer, and is still there for the leaver's past.
    const rows = await personStatus(db, org.id, stayer.id, { now: new Date("2025-10-01T12:00:00Z") });
    expect(rows[0]).toMatchObject({ status: "complete", attemptId: null });
    // A council without a retention period keeps everything.
    await db.update(organisations).set({ evidenceRetentionMonths: null }).where(eq(organisations.id, org.id));
    await db.update(users).set({ leavingDate: "2025-03-31" }).where(eq(users.id, stayer.id));
    expect(await evidenceFilesDeleted("2030-01-01T12:00:00Z")).toBe(0);
  });
});
