import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { currentPolicyVersion } from "~/attestation/policies.server";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import { londonDate } from "~/lib/dates";
import { againIfRaced, type Db } from "~db/client.server";
import {
  moduleUploads,
  moduleVersions,
  organisations,
  requirements,
  requirementSettings,
  trainingModules,
  users,
} from "~db/schema";
import { formatProblem, type TrainingModule } from "./content-schema";
import { measureProblemLines } from "./content-measures";
import { recordSettings } from "~/tracking/requirements.server";
import { checkModuleText, type ModuleCouncil } from "./load-content";
import { moduleContentHash } from "./machine";

/** A module file is plain JSON of tens of kilobytes; this leaves room and stays within the server's form limit. */
export const MODULE_MAX_BYTES = 512 * 1024;
export const MODULE_MAX_KILOBYTES = MODULE_MAX_BYTES / 1024;

/** What an organisation's modules are checked against: its name and the code of conduct in force today. */
export async function moduleCouncil(db: Db, organisationId: string, now: Date): Promise<ModuleCouncil> {
  const [organisation] = await db
    .select({ slug: organisations.slug, name: organisations.name })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  const policy = await currentPolicyVersion(db, organisationId, londonDate(now));
  return {
    slug: organisation.slug,
    slugReason: ", your council",
    name: organisation.name,
    policyText: policy?.body ?? null,
    noPolicy: "Your council has no code of conduct in force to check citations against: publish it first",
  };
}

/**
 * Every problem of one module file, worded as `npm run content:check` prints them: the file and JSON path of
 * each problem of its schema, council and citations, then its cue and plain-English measures. Empty: it passes.
 */
export function moduleFileProblems(
  text: string,
  file: string,
  council: ModuleCouncil,
): { module: TrainingModule | null; problems: string[] } {
  const checked = checkModuleText(text, file, council);
  if (!checked.module) return { module: null, problems: checked.problems.map(formatProblem) };
  const measured = measureProblemLines(checked.module);
  return measured.length > 0 ? { module: null, problems: measured } : { module: checked.module, problems: [] };
}

export type UploadOutcome = { ok: true; uploadId: string } | { ok: false; error: string; problems: string[] };

/**
 * An admin's module file, checked. A file with any problem is refused with every problem and nothing is
 * written; one that passes is kept to preview and publish (the same file uploaded again is the same upload).
 */
export async function uploadModuleFile(
  db: Db,
  admin: CurrentUser,
  file: { name: string; bytes: Uint8Array },
  request: RequestInfo & { now: Date },
): Promise<UploadOutcome> {
  if (file.bytes.length === 0) return { ok: false, error: "The selected file is empty", problems: [] };
  if (file.bytes.length > MODULE_MAX_BYTES)
    return { ok: false, error: `The file must be smaller than ${MODULE_MAX_KILOBYTES} KB`, problems: [] };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(file.bytes);
  } catch {
    return { ok: false, error: "The file is not UTF-8 text. Save it as UTF-8 JSON and upload it again", problems: [] };
  }
  const { module, problems } = moduleFileProblems(
    text,
    file.name,
    await moduleCouncil(db, admin.organisationId, request.now),
  );
  if (!module)
    return {
      ok: false,
      error: `The module has ${problems.length} ${problems.length === 1 ? "problem" : "problems"}: nothing was saved`,
      problems,
    };
  const contentHash = moduleContentHash(module);
  return db.transaction(async (tx) => {
    const [same] = await tx
      .select({ id: moduleUploads.id })
      .from(moduleUploads)
      .where(
        and(
          eq(moduleUploads.organisationId, admin.organisationId),
          eq(moduleUploads.contentHash, contentHash),
          isNull(moduleUploads.moduleVersionId),
        ),
      )
      .limit(1);
    if (same) return { ok: true as const, uploadId: same.id };
    const [upload] = await tx
      .insert(moduleUploads)
      .values({
        organisationId: admin.organisationId,
        uploadedBy: admin.id,
        fileName: file.name.slice(0, 200),
        content: module,
        contentHash,
        createdAt: request.now,
      })
      .returning({ id: moduleUploads.id });
    await writeAudit(
      tx,
      {
        action: "module.uploaded",
        organisationId: admin.organisationId,
        actorUserId: admin.id,
        subjectType: "module_upload",
        subjectId: upload.id,
        details: { fileName: file.name, slug: module.id, contentHash },
      },
      request,
    );
    return { ok: true as const, uploadId: upload.id };
  });
}

/**
 * A module's requirement row, and whether it is required now. A requirement is never deleted (its dated settings
 * are append-only, decision 0021): stopping one is a settings row aimed at no team, from that day.
 */
/** Whether the requirement's newest settings aim it at no team: required of nobody, kept with its history. */
const aimedAtNobody = () => sql<boolean>`coalesce((select cardinality(s.team_ids) = 0 from ${requirementSettings} s
  where s.requirement_id = ${requirements.id} order by s.recorded_at desc limit 1), false)`;

async function requirementOf(db: Db, organisationId: string, moduleId: string) {
  const [row] = await db
    .select({
      requirement: requirements,
      aimedAtNobody: aimedAtNobody(),
    })
    .from(requirements)
    .where(and(eq(requirements.organisationId, organisationId), eq(requirements.moduleId, moduleId)));
  return row ? { ...row.requirement, required: !row.aimedAtNobody } : null;
}

/** An upload of the admin's own council, with the module it would be a version of (null: a new module). */
export async function moduleUploadFor(db: Db, admin: CurrentUser, uploadId: string) {
  const [upload] = await db
    .select({
      id: moduleUploads.id,
      fileName: moduleUploads.fileName,
      content: moduleUploads.content,
      contentHash: moduleUploads.contentHash,
      createdAt: moduleUploads.createdAt,
      moduleVersionId: moduleUploads.moduleVersionId,
      uploadedBy: users.name,
    })
    .from(moduleUploads)
    .innerJoin(users, eq(users.id, moduleUploads.uploadedBy))
    .where(and(eq(moduleUploads.id, uploadId), eq(moduleUploads.organisationId, admin.organisationId)));
  if (!upload) return null;
  const content = upload.content as TrainingModule;
  const [module] = await db
    .select()
    .from(trainingModules)
    .where(and(eq(trainingModules.organisationId, admin.organisationId), eq(trainingModules.slug, content.id)));
  const latest = module
    ? ((
        await db
          .select({
            contentHash: moduleVersions.contentHash,
            createdAt: moduleVersions.createdAt,
            source: moduleVersions.source,
          })
          .from(moduleVersions)
          .where(eq(moduleVersions.moduleId, module.id))
          .orderBy(desc(moduleVersions.createdAt), desc(moduleVersions.id))
          .limit(1)
      )[0] ?? null)
    : null;
  const required = module ? ((await requirementOf(db, admin.organisationId, module.id))?.required ?? false) : false;
  return {
    upload: { ...upload, content, createdAt: upload.createdAt.toISOString() },
    module: module
      ? {
          id: module.id,
          slug: module.slug,
          title: module.title,
          source: module.source,
          required,
          latest,
          // Publishing it would record nothing new, whichever answer is given about a retake.
          sameAsLatest:
            latest !== null &&
            [true, false].some((retake) => moduleContentHash(withRetakeAnswer(content, retake)) === latest.contentHash),
        }
      : null,
  };
}

/** The content a publication records: the upload's, with `requiresRetake` as the admin answered (absent when no). */
export function withRetakeAnswer(content: TrainingModule, requiresRetake: boolean): TrainingModule {
  const { requiresRetake: _, ...rest } = content;
  return requiresRetake ? { ...rest, requiresRetake: true } : rest;
}

export type PublishChoice = {
  /** People who passed an earlier version must take this one again. */
  requiresRetake: boolean;
  /** For a module published through these pages: whether everyone must complete it (null: leave as it is). */
  required: boolean | null;
};

export type PublishOutcome =
  | { outcome: "published"; slug: string; contentHash: string }
  | { outcome: "already-published"; slug: string }
  | { outcome: "not-found" };

/**
 * Publishes an upload as a new version of its module, identified by its content hash and recorded with the
 * admin who approved it and when; staff who start the module from now take it, attempts already begun stay on
 * theirs. A module new to the council is created as the admin pages' own: required only when the admin says
 * so. A second submit, or the same content published before, publishes nothing more.
 */
export async function publishModuleUpload(
  db: Db,
  admin: CurrentUser,
  uploadId: string,
  choice: PublishChoice,
  request: RequestInfo & { now: Date },
): Promise<PublishOutcome> {
  return againIfRaced(() =>
    db.transaction(async (tx) => {
      const [upload] = await tx
        .select()
        .from(moduleUploads)
        .where(and(eq(moduleUploads.id, uploadId), eq(moduleUploads.organisationId, admin.organisationId)))
        .for("update");
      if (!upload) return { outcome: "not-found" as const };
      const uploaded = upload.content as TrainingModule;
      if (upload.moduleVersionId) return { outcome: "already-published" as const, slug: uploaded.id };
      let [module] = await tx
        .select()
        .from(trainingModules)
        .where(and(eq(trainingModules.organisationId, admin.organisationId), eq(trainingModules.slug, uploaded.id)));
      const content = withRetakeAnswer(uploaded, module ? choice.requiresRetake : false);
      const contentHash = moduleContentHash(content);
      if (!module) {
        [module] = await tx
          .insert(trainingModules)
          .values({
            organisationId: admin.organisationId,
            slug: content.id,
            title: content.title,
            source: "admin",
            createdAt: request.now,
          })
          .returning();
      }
      const [existing] = await tx
        .select({ id: moduleVersions.id })
        .from(moduleVersions)
        .where(and(eq(moduleVersions.moduleId, module.id), eq(moduleVersions.contentHash, contentHash)));
      if (existing) {
        await tx.update(moduleUploads).set({ moduleVersionId: existing.id }).where(eq(moduleUploads.id, upload.id));
        return { outcome: "already-published" as const, slug: content.id };
      }
      const [version] = await tx
        .insert(moduleVersions)
        .values({
          moduleId: module.id,
          contentHash,
          content,
          title: content.title,
          passMark: Math.round(content.passMark * 100),
          requiresRetake: content.requiresRetake ?? false,
          source: "admin",
          approvedBy: admin.id,
          createdAt: request.now,
        })
        .returning({ id: moduleVersions.id });
      await tx.update(trainingModules).set({ title: content.title }).where(eq(trainingModules.id, module.id));
      await tx.update(moduleUploads).set({ moduleVersionId: version.id }).where(eq(moduleUploads.id, upload.id));
      await writeAudit(
        tx,
        {
          action: "module.published",
          organisationId: admin.organisationId,
          actorUserId: admin.id,
          subjectType: "module_version",
          subjectId: version.id,
          details: {
            slug: content.id,
            title: content.title,
            contentHash,
            requiresRetake: content.requiresRetake ?? false,
            uploadId: upload.id,
            fileName: upload.fileName,
          },
        },
        request,
      );
      if (module.source === "admin" && choice.required !== null)
        await setRequired(tx, admin, module.id, choice.required, request);
      return { outcome: "published" as const, slug: content.id, contentHash };
    }),
  );
}

/** Makes a module required of everyone from today, or no longer required; audited when it changes anything. */
async function setRequired(
  db: Db,
  admin: CurrentUser,
  moduleId: string,
  required: boolean,
  request: RequestInfo & { now: Date },
): Promise<boolean> {
  const before = await requirementOf(db, admin.organisationId, moduleId);
  if (required === (before?.required ?? false)) return false;
  if (before) {
    // Required again, or no longer: a dated settings row, to everyone or to no team (decision 0021).
    await recordSettings(
      db,
      before.id,
      { dueWithinDays: before.dueWithinDays, renewalMonths: before.renewalMonths, teamIds: required ? null : [] },
      admin,
      request.now,
    );
  }
  if (required && before) {
    await writeAudit(
      db,
      {
        action: "requirement.added",
        organisationId: admin.organisationId,
        actorUserId: admin.id,
        subjectType: "requirement",
        subjectId: before.id,
        details: { moduleId, effectiveFrom: londonDate(request.now) },
      },
      request,
    );
    return true;
  }
  if (required) {
    const [added] = await db
      .insert(requirements)
      .values({
        organisationId: admin.organisationId,
        kind: "module",
        moduleId,
        effectiveFrom: londonDate(request.now),
        createdAt: request.now,
      })
      .onConflictDoNothing()
      .returning();
    if (!added) return false;
    await writeAudit(
      db,
      {
        action: "requirement.added",
        organisationId: admin.organisationId,
        actorUserId: admin.id,
        subjectType: "requirement",
        subjectId: added.id,
        details: { moduleId, effectiveFrom: added.effectiveFrom },
      },
      request,
    );
    return true;
  }
  if (!before) return false;
  await writeAudit(
    db,
    {
      action: "requirement.removed",
      organisationId: admin.organisationId,
      actorUserId: admin.id,
      subjectType: "requirement",
      subjectId: before.id,
      details: {
        moduleId,
        before: {
          dueWithinDays: before.dueWithinDays,
          renewalMonths: before.renewalMonths,
          effectiveFrom: before.effectiveFrom,
        },
      },
    },
    request,
  );
  return true;
}

/**
 * An admin makes a module published through the admin pages required of everyone, or stops requiring it. A
 * module from content/ keeps its rule (required from its first publication): that and another council's module
 * are not found.
 */
export async function changeModuleRequirement(
  db: Db,
  admin: CurrentUser,
  moduleId: string,
  required: boolean,
  request: RequestInfo & { now: Date },
): Promise<"changed" | "unchanged" | "not-found"> {
  return db.transaction(async (tx) => {
    const [module] = await tx
      .select({ id: trainingModules.id, source: trainingModules.source })
      .from(trainingModules)
      .where(and(eq(trainingModules.id, moduleId), eq(trainingModules.organisationId, admin.organisationId)))
      .for("update");
    if (!module || module.source !== "admin") return "not-found";
    return (await setRequired(tx, admin, module.id, required, request)) ? "changed" : "unchanged";
  });
}

/** The council's modules, by title: where each came from, whether it is required, and its latest version. */
export async function modulesFor(db: Db, organisationId: string) {
  const modules = await db
    .select({
      id: trainingModules.id,
      slug: trainingModules.slug,
      title: trainingModules.title,
      source: trainingModules.source,
      requirementId: requirements.id,
      aimedAtNobody: aimedAtNobody(),
    })
    .from(trainingModules)
    .leftJoin(
      requirements,
      and(eq(requirements.moduleId, trainingModules.id), eq(requirements.organisationId, organisationId)),
    )
    .where(eq(trainingModules.organisationId, organisationId))
    .orderBy(trainingModules.title);
  const versions = await db
    .select({
      moduleId: moduleVersions.moduleId,
      contentHash: moduleVersions.contentHash,
      source: moduleVersions.source,
      requiresRetake: moduleVersions.requiresRetake,
      createdAt: moduleVersions.createdAt,
      approvedBy: users.name,
    })
    .from(moduleVersions)
    .innerJoin(trainingModules, eq(trainingModules.id, moduleVersions.moduleId))
    .leftJoin(users, eq(users.id, moduleVersions.approvedBy))
    .where(eq(trainingModules.organisationId, organisationId))
    .orderBy(desc(moduleVersions.createdAt), desc(moduleVersions.id));
  return modules.map(({ requirementId, aimedAtNobody, ...m }) => {
    const own = versions.filter((v) => v.moduleId === m.id);
    const latest = own[0];
    return {
      ...m,
      required: requirementId !== null && !aimedAtNobody,
      versions: own.length,
      latest: latest ? { ...latest, createdAt: latest.createdAt.toISOString() } : null,
    };
  });
}

/** Uploads of the council not published yet, newest first. */
export async function pendingUploads(db: Db, organisationId: string) {
  const rows = await db
    .select({
      id: moduleUploads.id,
      fileName: moduleUploads.fileName,
      content: moduleUploads.content,
      createdAt: moduleUploads.createdAt,
    })
    .from(moduleUploads)
    .where(and(eq(moduleUploads.organisationId, organisationId), isNull(moduleUploads.moduleVersionId)))
    .orderBy(desc(moduleUploads.createdAt))
    .limit(20);
  return rows.map((r) => ({
    id: r.id,
    fileName: r.fileName,
    title: (r.content as TrainingModule).title,
    createdAt: r.createdAt.toISOString(),
  }));
}
