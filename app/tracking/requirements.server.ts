import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import { londonDate } from "~/lib/dates";
import type { Db } from "~db/client.server";
import {
  organisations,
  policies,
  requirements,
  requirementSettings,
  teams,
  trainingModules,
  type ReminderRhythm,
} from "~db/schema";

export const DEFAULT_RENEWAL_MONTHS = 12;

/** Makes a module required of everyone in its organisation, from today, unless it already is. */
export async function ensureModuleRequirement(db: Db, organisationId: string, moduleId: string, now: Date) {
  await db
    .insert(requirements)
    .values({ organisationId, kind: "module", moduleId, effectiveFrom: londonDate(now), createdAt: now })
    .onConflictDoNothing();
}

/** Makes signing the organisation's code of conduct required of everyone, from today, unless it already is. */
export async function ensurePolicyRequirement(db: Db, organisationId: string, policyId: string, now: Date) {
  await db
    .insert(requirements)
    .values({ organisationId, kind: "policy", policyId, effectiveFrom: londonDate(now), createdAt: now })
    .onConflictDoNothing();
}

/** The organisation's requirements, modules first by title, then the code of conduct. */
export async function listRequirements(db: Db, organisationId: string) {
  const rows = await db
    .select({
      id: requirements.id,
      kind: requirements.kind,
      moduleId: requirements.moduleId,
      policyId: requirements.policyId,
      title: trainingModules.title,
      policyTitle: policies.title,
      dueWithinDays: requirements.dueWithinDays,
      renewalMonths: requirements.renewalMonths,
      effectiveFrom: requirements.effectiveFrom,
    })
    .from(requirements)
    .leftJoin(trainingModules, eq(trainingModules.id, requirements.moduleId))
    .leftJoin(policies, eq(policies.id, requirements.policyId))
    .where(eq(requirements.organisationId, organisationId))
    .orderBy(asc(requirements.kind), asc(trainingModules.title));
  return rows.map(({ policyTitle, ...r }) => ({ ...r, title: r.title ?? policyTitle ?? "" }));
}

export type RequirementChange = { requirementId: string; dueWithinDays: number; renewalMonths: number };

/** The teams a requirement is aimed at now (null: the whole council): its newest settings row. */
async function currentAim(db: Db, requirementId: string): Promise<string[] | null> {
  const [row] = await db
    .select({ teamIds: requirementSettings.teamIds })
    .from(requirementSettings)
    .where(eq(requirementSettings.requirementId, requirementId))
    .orderBy(desc(requirementSettings.recordedAt))
    .limit(1);
  return row?.teamIds ?? null;
}

/**
 * Every change of a requirement's settings is a new dated row (docs/decisions/0021), so reports as at a past day
 * use the settings of that day; the requirement's own columns mirror the newest.
 */
export async function recordSettings(
  tx: Db,
  requirementId: string,
  settings: { dueWithinDays: number; renewalMonths: number; teamIds: string[] | null },
  admin: CurrentUser,
  now: Date,
) {
  await tx.insert(requirementSettings).values({
    requirementId,
    dueWithinDays: settings.dueWithinDays,
    renewalMonths: settings.renewalMonths,
    teamIds: settings.teamIds ? [...settings.teamIds].sort() : null,
    effectiveOn: londonDate(now),
    recordedAt: now,
    recordedBy: admin.id,
  });
}

/** An admin changes a requirement's periods: their own organisation's only, audited with before and after. */
export async function changeRequirement(
  db: Db,
  admin: CurrentUser,
  input: RequirementChange,
  request: RequestInfo & { now?: Date },
) {
  const now = request.now ?? new Date();
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(requirements)
      .where(and(eq(requirements.id, input.requirementId), eq(requirements.organisationId, admin.organisationId)))
      .for("update");
    if (!before) return null;
    const [after] = await tx
      .update(requirements)
      .set({ dueWithinDays: input.dueWithinDays, renewalMonths: input.renewalMonths })
      .where(eq(requirements.id, before.id))
      .returning();
    if (before.dueWithinDays !== after.dueWithinDays || before.renewalMonths !== after.renewalMonths) {
      await recordSettings(tx, before.id, { ...input, teamIds: await currentAim(tx, before.id) }, admin, now);
      await writeAudit(
        tx,
        {
          action: "requirement.changed",
          organisationId: admin.organisationId,
          actorUserId: admin.id,
          subjectType: "requirement",
          subjectId: before.id,
          details: {
            before: { dueWithinDays: before.dueWithinDays, renewalMonths: before.renewalMonths },
            after: { dueWithinDays: after.dueWithinDays, renewalMonths: after.renewalMonths },
          },
        },
        request,
      );
    }
    return after;
  });
}

export type RequirementAimResult =
  { ok: true; changed: boolean } | { ok: false; status: number; errors: Record<string, string> };

/**
 * An admin aims a requirement at chosen teams of their council (or at everyone again: null), from today: a new
 * dated settings row, audited. People who move into or out of those teams start or stop owing it from the move.
 */
export async function aimRequirement(
  db: Db,
  admin: CurrentUser,
  input: { requirementId: string; teamIds: string[] | null },
  request: RequestInfo & { now: Date },
): Promise<RequirementAimResult | null> {
  return db.transaction(async (tx) => {
    const [requirement] = await tx
      .select()
      .from(requirements)
      .where(and(eq(requirements.id, input.requirementId), eq(requirements.organisationId, admin.organisationId)))
      .for("update");
    if (!requirement) return null;
    const teamIds = input.teamIds ? [...new Set(input.teamIds)].sort() : null;
    if (teamIds) {
      if (teamIds.length === 0)
        return { ok: false, status: 400, errors: { teamIds: "Choose at least one team, or choose everyone" } };
      const own = await tx
        .select({ id: teams.id })
        .from(teams)
        .where(and(eq(teams.organisationId, admin.organisationId), inArray(teams.id, teamIds)));
      if (own.length !== teamIds.length)
        return { ok: false, status: 400, errors: { teamIds: "Choose teams of your council from the list" } };
    }
    const before = await currentAim(tx, requirement.id);
    if (JSON.stringify(before) === JSON.stringify(teamIds)) return { ok: true, changed: false };
    await recordSettings(tx, requirement.id, { ...requirement, teamIds }, admin, request.now);
    await writeAudit(
      tx,
      {
        action: "requirement.aimed",
        organisationId: admin.organisationId,
        actorUserId: admin.id,
        subjectType: "requirement",
        subjectId: requirement.id,
        details: { before: { teamIds: before }, after: { teamIds } },
      },
      request,
    );
    return { ok: true, changed: true };
  });
}

/** Each requirement's teams now (null: everyone), for the admin pages. */
export async function requirementAims(db: Db, organisationId: string): Promise<Map<string, string[] | null>> {
  const rows = await db
    .selectDistinctOn([requirementSettings.requirementId], {
      requirementId: requirementSettings.requirementId,
      teamIds: requirementSettings.teamIds,
    })
    .from(requirementSettings)
    .innerJoin(requirements, eq(requirements.id, requirementSettings.requirementId))
    .where(eq(requirements.organisationId, organisationId))
    .orderBy(requirementSettings.requirementId, desc(requirementSettings.recordedAt));
  return new Map(rows.map((r) => [r.requirementId, r.teamIds]));
}

export async function trackingSettings(db: Db, organisationId: string) {
  const [row] = await db
    .select({
      dueSoonDays: organisations.dueSoonDays,
      escalationOverdueDays: organisations.escalationOverdueDays,
      reminderRhythm: organisations.reminderRhythm,
    })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  return row;
}

export async function changeTrackingSettings(
  db: Db,
  admin: CurrentUser,
  input: { dueSoonDays: number; escalationOverdueDays: number; reminderRhythm: ReminderRhythm },
  request: RequestInfo,
) {
  await db.transaction(async (tx) => {
    const before = await trackingSettings(tx, admin.organisationId);
    await tx.update(organisations).set(input).where(eq(organisations.id, admin.organisationId));
    await writeAudit(
      tx,
      {
        action: "tracking-settings.changed",
        organisationId: admin.organisationId,
        actorUserId: admin.id,
        subjectType: "organisation",
        subjectId: admin.organisationId,
        details: { before, after: input },
      },
      request,
    );
  });
}

/** What the "who must do it" page needs: the requirement, the council's teams and the teams it is aimed at now. */
export async function requirementAimForm(db: Db, organisationId: string, requirementId: string) {
  const requirement = (await listRequirements(db, organisationId)).find((r) => r.id === requirementId);
  if (!requirement) return null;
  const teamRows = await db
    .select({ id: teams.id, name: teams.name })
    .from(teams)
    .where(eq(teams.organisationId, organisationId))
    .orderBy(asc(teams.name));
  return {
    requirement: { id: requirement.id, title: requirement.title },
    teams: teamRows,
    teamIds: (await requirementAims(db, organisationId)).get(requirement.id) ?? null,
  };
}
