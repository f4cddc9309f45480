import { and, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import { londonDate } from "~/lib/dates";
import { readRosterFile } from "~/people/roster-file.server";
import { queryRows, type Db } from "~db/client.server";
import { auditLog, organisations, rosterUploads } from "~db/schema";

/**
 * The council's retention rule (docs/decisions/0021, "Retention"): `organisations.evidence_retention_months` months
 * after a person's leaving date, what the service stores about them as files goes: the content of their evidence
 * files (training completed elsewhere) and every roster upload that names them. Hashes, names, sizes and the records
 * citing them stay; signed records are never touched. Each deletion is audited, and each run that deleted anything
 * writes one summary entry per council, which the admin page reads.
 */

const NO_REQUEST: RequestInfo = { ip: null, requestId: null };

/** The setting and what the rule last deleted, for the admin page. */
export async function retentionSettings(db: Db, organisationId: string) {
  const [organisation] = await db
    .select({ months: organisations.evidenceRetentionMonths })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  const [last] = await db
    .select({ at: auditLog.at, details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.organisationId, organisationId), eq(auditLog.action, "retention.applied")))
    .orderBy(desc(auditLog.at))
    .limit(1);
  const details = (last?.details ?? {}) as { evidenceFiles?: number; rosterUploads?: number };
  return {
    months: organisation?.months ?? null,
    lastDeletion: last
      ? { at: last.at, evidenceFiles: details.evidenceFiles ?? 0, rosterUploads: details.rosterUploads ?? 0 }
      : null,
  };
}

/**
 * An admin sets the period (null: keep). Submitting the value already set writes nothing, so a double submit
 * writes one audit entry. Returns whether it changed.
 */
export async function changeRetention(
  db: Db,
  admin: CurrentUser,
  input: { months: number | null },
  request: RequestInfo,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ months: organisations.evidenceRetentionMonths })
      .from(organisations)
      .where(eq(organisations.id, admin.organisationId))
      .for("update");
    if (!before || before.months === input.months) return false;
    await tx
      .update(organisations)
      .set({ evidenceRetentionMonths: input.months })
      .where(eq(organisations.id, admin.organisationId));
    await writeAudit(
      tx,
      {
        action: "retention.changed",
        organisationId: admin.organisationId,
        actorUserId: admin.id,
        subjectType: "organisation",
        subjectId: admin.organisationId,
        details: { before: { months: before.months }, after: { months: input.months } },
      },
      request,
    );
    return true;
  });
}

/** Applies every council's rule as of `now`; returns what it deleted. Idempotent: a second run deletes nothing. */
export async function applyRetention(db: Db, now: Date): Promise<{ evidenceFiles: number; rosterUploads: number }> {
  const today = londonDate(now);
  const files = await deleteEvidenceFiles(db, now, today);
  const uploads = await deleteRosterUploads(db, now, today);
  const byOrganisation = new Map<string, { evidenceFiles: number; rosterUploads: number; months: number }>();
  for (const item of [...files, ...uploads]) {
    const counts = byOrganisation.get(item.organisationId) ?? {
      evidenceFiles: 0,
      rosterUploads: 0,
      months: item.months,
    };
    counts[item.kind] += 1;
    byOrganisation.set(item.organisationId, counts);
  }
  for (const [organisationId, details] of byOrganisation)
    await writeAudit(
      db,
      { action: "retention.applied", organisationId, subjectType: "organisation", subjectId: organisationId, details },
      NO_REQUEST,
    );
  return { evidenceFiles: files.length, rosterUploads: uploads.length };
}

type Deleted = { kind: "evidenceFiles" | "rosterUploads"; organisationId: string; months: number };

/** Whether a leaving date is the council's period or more before `today` (SQL, for the rows joined as u and o). */
const LEFT_LONG_AGO = (today: string) =>
  sql`u.leaving_date is not null and u.leaving_date + make_interval(months => o.evidence_retention_months) <= ${today}::date`;

/** Evidence files of people who left long enough ago: content emptied, the rest kept (the table's trigger allows only this). */
async function deleteEvidenceFiles(db: Db, now: Date, today: string): Promise<Deleted[]> {
  return db.transaction(async (tx) => {
    const deleted = await queryRows<{
      id: string;
      organisation_id: string;
      user_id: string;
      sha256: string;
      months: number;
    }>(
      tx,
      sql`update evidence_files f set content = null, deleted_at = ${now.toISOString()}::timestamptz
          from users u, organisations o
          where u.id = f.user_id and o.id = f.organisation_id and f.content is not null
            and o.evidence_retention_months is not null and ${LEFT_LONG_AGO(today)}
          returning f.id, f.organisation_id, f.user_id, f.sha256, o.evidence_retention_months as months`,
    );
    for (const file of deleted)
      await writeAudit(
        tx,
        {
          action: "evidence-file.deleted-by-retention",
          organisationId: file.organisation_id,
          subjectType: "evidence-file",
          subjectId: file.id,
          details: { userId: file.user_id, sha256: file.sha256 },
        },
        NO_REQUEST,
      );
    return deleted.map((f) => ({
      kind: "evidenceFiles" as const,
      organisationId: f.organisation_id,
      months: f.months,
    }));
  });
}

/**
 * Roster uploads. An upload is one file naming many people, kept whole with its sha256, so it cannot lose one
 * person's lines without its hash then matching nothing: the unit is the upload. Once it names (by employee number,
 * as the import matches) someone who left the period or more ago, its file and the people its summary lists (preview
 * rows, problems, failed e-mails) are deleted; its name, size, sha256, dates and counts stay, as do the records
 * citing it (audit entries, email_changes). An upload still waiting to be applied is kept for its preview until it
 * is itself the period old, so the rule does not pull a file from under HR between its preview and Apply.
 */
async function deleteRosterUploads(db: Db, now: Date, today: string): Promise<Deleted[]> {
  const candidates = await queryRows<{ id: string; organisation_id: string; months: number }>(
    db,
    sql`select r.id, r.organisation_id, o.evidence_retention_months as months
        from roster_uploads r join organisations o on o.id = r.organisation_id
        where r.content is not null and o.evidence_retention_months is not null
          and (r.applied_at is not null
            or (r.created_at at time zone 'Europe/London')::date + make_interval(months => o.evidence_retention_months)
               <= ${today}::date)
          and exists (select 1 from users u where u.organisation_id = o.id and ${LEFT_LONG_AGO(today)})
        order by r.created_at`,
  );
  const deleted: Deleted[] = [];
  // Per council, the employee numbers of people who left long enough ago (fewer than the lines of a roster file).
  const leaversOf = new Map<string, Set<string>>();
  // One upload at a time: each file may be 20 MB.
  for (const candidate of candidates) {
    const leavers =
      leaversOf.get(candidate.organisation_id) ??
      (await employeeNumbersOfLeavers(db, candidate.organisation_id, today));
    leaversOf.set(candidate.organisation_id, leavers);
    const done = await db.transaction(async (tx) => {
      const [upload] = await tx
        .select({
          content: rosterUploads.content,
          summary: rosterUploads.summary,
          fileName: rosterUploads.fileName,
          sha256: rosterUploads.sha256,
        })
        .from(rosterUploads)
        .where(and(eq(rosterUploads.id, candidate.id), isNotNull(rosterUploads.content)))
        .for("update");
      if (!upload?.content) return false;
      const read = readRosterFile(new Uint8Array(upload.content));
      if (!read.ok) return false;
      const leaversNamed = new Set(
        read.records.map((r) => r.cells.employeeNumber.trim()).filter((number) => leavers.has(number)),
      ).size;
      if (leaversNamed === 0) return false;
      const emptied = await tx
        .update(rosterUploads)
        .set({ content: null, deletedAt: now, summary: withoutPeople(upload.summary) })
        .where(and(eq(rosterUploads.id, candidate.id), isNull(rosterUploads.deletedAt)))
        .returning({ id: rosterUploads.id });
      if (emptied.length !== 1) return false;
      await writeAudit(
        tx,
        {
          action: "roster-upload.deleted-by-retention",
          organisationId: candidate.organisation_id,
          subjectType: "roster-upload",
          subjectId: candidate.id,
          details: { fileName: upload.fileName, sha256: upload.sha256, leavers: leaversNamed },
        },
        NO_REQUEST,
      );
      return true;
    });
    if (done)
      deleted.push({ kind: "rosterUploads", organisationId: candidate.organisation_id, months: candidate.months });
  }
  return deleted;
}

/** The employee numbers of a council's people who left the period or more before `today`. */
async function employeeNumbersOfLeavers(db: Db, organisationId: string, today: string): Promise<Set<string>> {
  const rows = await queryRows<{ employee_number: string }>(
    db,
    sql`select u.employee_number from users u join organisations o on o.id = u.organisation_id
        where u.organisation_id = ${organisationId}::uuid and ${LEFT_LONG_AGO(today)}`,
  );
  return new Set(rows.map((r) => r.employee_number));
}

/** A roster summary with every person it lists taken out; its counts, status and team names stay. */
function withoutPeople(summary: Record<string, unknown>): Record<string, unknown> {
  const links = summary.links as { mode?: string; failed?: unknown[] } | undefined;
  return {
    ...summary,
    problems: [],
    first: { added: [], changed: [], deactivated: [], alreadyLeft: [], notAdded: [], emailChanges: [] },
    ...(links?.mode === "email" ? { links: { ...links, failed: [] } } : {}),
  };
}
