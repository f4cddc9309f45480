import { createHash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import type { FieldErrors } from "~/components/form-errors";
import { londonDate } from "~/lib/dates";
import { queryRows, type Db } from "~db/client.server";
import { earlierTraining, evidenceFiles, requirements, users } from "~db/schema";

/** The largest evidence file HR may upload (the upload route's body limit is larger: docs/decisions/0021). */
export const EVIDENCE_MAX_MEGABYTES = 10;
const EVIDENCE_MAX_BYTES = EVIDENCE_MAX_MEGABYTES * 1024 * 1024;

/** The kinds of evidence file taken, known by their first bytes (never by the name or the browser's word). */
const MAGIC: { mediaType: string; bytes: number[] }[] = [
  { mediaType: "application/pdf", bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { mediaType: "image/png", bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mediaType: "image/jpeg", bytes: [0xff, 0xd8, 0xff] },
];

/** The media type of a PDF, PNG or JPEG file by its first bytes; null for anything else. */
export function evidenceMediaType(bytes: Uint8Array): string | null {
  return MAGIC.find((m) => m.bytes.every((b, i) => bytes[i] === b))?.mediaType ?? null;
}

export type EarlierTrainingInput = {
  requirementId: string;
  completedOn: string;
  description: string;
  file: { name: string; bytes: Uint8Array };
};

export type EarlierTrainingResult =
  { ok: true; id: string; created: boolean } | { ok: false; status: number; errors: FieldErrors };

/**
 * HR records that a person of their organisation completed a training module's requirement elsewhere, with a PDF
 * or image as evidence (kept in the database with its sha256). Checked first, then written with its audit entry
 * in one transaction; the same record submitted twice is written once. It completes the requirement from the day
 * given until it expires by the renewal rule (the status query), and is never shown as a pass of our module.
 */
export async function recordEarlierTraining(
  db: Db,
  hr: CurrentUser,
  userId: string,
  input: EarlierTrainingInput,
  request: RequestInfo & { now: Date },
): Promise<EarlierTrainingResult> {
  const { bytes } = input.file;
  if (bytes.length === 0) return { ok: false, status: 400, errors: { file: "The selected file is empty" } };
  if (bytes.length > EVIDENCE_MAX_BYTES)
    return {
      ok: false,
      status: 400,
      errors: { file: `The selected file must be smaller than ${EVIDENCE_MAX_MEGABYTES} MB` },
    };
  const mediaType = evidenceMediaType(bytes);
  if (!mediaType) return { ok: false, status: 400, errors: { file: "The selected file must be a PDF, PNG or JPEG" } };
  if (input.completedOn > londonDate(request.now))
    return { ok: false, status: 400, errors: { completedOn: "The day it was completed must be today or in the past" } };
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const name = input.file.name.replace(/^.*[\\/]/, "").slice(0, 200) || "evidence";
  return db.transaction(async (tx) => {
    const [person] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, userId), eq(users.organisationId, hr.organisationId)))
      .for("update");
    if (!person) return { ok: false, status: 404, errors: { form: "There is no such person in your organisation" } };
    const [requirement] = await tx
      .select({ id: requirements.id, kind: requirements.kind })
      .from(requirements)
      .where(and(eq(requirements.id, input.requirementId), eq(requirements.organisationId, hr.organisationId)));
    if (!requirement || requirement.kind !== "module")
      return { ok: false, status: 400, errors: { requirementId: "Choose a training module from the list" } };
    const [same] = await queryRows<{ id: string }>(
      tx,
      sql`select e.id from earlier_training e join evidence_files f on f.id = e.evidence_file_id
          where e.user_id = ${userId}::uuid and e.requirement_id = ${input.requirementId}::uuid
            and e.completed_on = ${input.completedOn}::date and f.sha256 = ${sha256}`,
    );
    if (same) return { ok: true, id: same.id, created: false };
    const [file] = await tx
      .insert(evidenceFiles)
      .values({
        organisationId: hr.organisationId,
        userId,
        fileName: name,
        mediaType,
        byteSize: bytes.length,
        sha256,
        content: Buffer.from(bytes),
        uploadedBy: hr.id,
        createdAt: request.now,
      })
      .returning({ id: evidenceFiles.id });
    const [row] = await tx
      .insert(earlierTraining)
      .values({
        organisationId: hr.organisationId,
        userId,
        requirementId: input.requirementId,
        completedOn: input.completedOn,
        description: input.description,
        evidenceFileId: file.id,
        recordedBy: hr.id,
        recordedAt: request.now,
      })
      .returning({ id: earlierTraining.id });
    await writeAudit(
      tx,
      {
        action: "earlier-training.recorded",
        organisationId: hr.organisationId,
        actorUserId: hr.id,
        subjectType: "user",
        subjectId: userId,
        details: {
          earlierTraining: row.id,
          requirementId: input.requirementId,
          completedOn: input.completedOn,
          description: input.description,
          evidenceFile: { id: file.id, name, mediaType, byteSize: bytes.length, sha256 },
        },
      },
      request,
    );
    return { ok: true, id: row.id, created: true };
  });
}

export type EarlierTrainingRecord = {
  id: string;
  requirementTitle: string;
  completedOn: string;
  description: string;
  recordedBy: string;
  recordedAt: string;
  file: { id: string; name: string; mediaType: string; byteSize: number; sha256: string; deleted: boolean };
};

/** A person's records of training completed elsewhere, newest first, with their evidence files' facts. */
export async function earlierTrainingHistory(
  db: Db,
  organisationId: string,
  userId: string,
): Promise<EarlierTrainingRecord[]> {
  const rows = await queryRows<{
    id: string;
    title: string;
    completed_on: string;
    description: string;
    recorded_by: string;
    recorded_at: string;
    file_id: string;
    file_name: string;
    media_type: string;
    byte_size: number;
    sha256: string;
    deleted: boolean;
  }>(
    db,
    sql`select e.id, tm.title, e.completed_on::text as completed_on, e.description, u.name as recorded_by,
          to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as recorded_at,
          f.id as file_id, f.file_name, f.media_type, f.byte_size, f.sha256, (f.content is null) as deleted
        from earlier_training e
        join requirements r on r.id = e.requirement_id
        join training_modules tm on tm.id = r.module_id
        join users u on u.id = e.recorded_by
        join evidence_files f on f.id = e.evidence_file_id
        where e.organisation_id = ${organisationId}::uuid and e.user_id = ${userId}::uuid
        order by e.completed_on desc, e.recorded_at desc`,
  );
  return rows.map((r) => ({
    id: r.id,
    requirementTitle: r.title,
    completedOn: r.completed_on,
    description: r.description,
    recordedBy: r.recorded_by,
    recordedAt: r.recorded_at,
    file: {
      id: r.file_id,
      name: r.file_name,
      mediaType: r.media_type,
      byteSize: Number(r.byte_size),
      sha256: r.sha256,
      deleted: r.deleted,
    },
  }));
}

/**
 * An evidence file of a person of HR's organisation, for HR to download, the download audited; null when absent,
 * another council's, or deleted by the retention rule.
 */
export async function downloadEvidenceFile(
  db: Db,
  hr: CurrentUser,
  userId: string,
  fileId: string,
  request: RequestInfo,
): Promise<{ fileName: string; mediaType: string; content: Buffer } | null> {
  const [file] = await db
    .select()
    .from(evidenceFiles)
    .where(
      and(
        eq(evidenceFiles.id, fileId),
        eq(evidenceFiles.userId, userId),
        eq(evidenceFiles.organisationId, hr.organisationId),
      ),
    );
  if (!file?.content) return null;
  await writeAudit(
    db,
    {
      action: "evidence-file.downloaded",
      organisationId: hr.organisationId,
      actorUserId: hr.id,
      subjectType: "evidence-file",
      subjectId: file.id,
      details: { userId, sha256: file.sha256 },
    },
    request,
  );
  return { fileName: file.fileName, mediaType: file.mediaType, content: file.content };
}
