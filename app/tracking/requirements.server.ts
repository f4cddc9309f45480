import { and, asc, eq } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import { londonDate } from "~/lib/dates";
import type { Db } from "~db/client.server";
import { organisations, policies, requirements, trainingModules } from "~db/schema";

export const DEFAULT_DUE_WITHIN_DAYS = 28;
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

/** How long a signature of this policy stands before it must be renewed. */
export async function policyRenewalMonths(db: Db, policyId: string): Promise<number> {
  const [row] = await db
    .select({ months: requirements.renewalMonths })
    .from(requirements)
    .where(and(eq(requirements.kind, "policy"), eq(requirements.policyId, policyId)));
  return row?.months ?? DEFAULT_RENEWAL_MONTHS;
}

export type RequirementChange = { requirementId: string; dueWithinDays: number; renewalMonths: number };

/** An admin changes a requirement's periods: their own organisation's only, audited with before and after. */
export async function changeRequirement(db: Db, admin: CurrentUser, input: RequirementChange, request: RequestInfo) {
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

export async function trackingSettings(db: Db, organisationId: string) {
  const [row] = await db
    .select({ dueSoonDays: organisations.dueSoonDays, escalationOverdueDays: organisations.escalationOverdueDays })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  return row;
}

export async function changeTrackingSettings(
  db: Db,
  admin: CurrentUser,
  input: { dueSoonDays: number; escalationOverdueDays: number },
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
