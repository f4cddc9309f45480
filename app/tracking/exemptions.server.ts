import { and, eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import type { FieldErrors } from "~/components/form-errors";
import { queryRows, type Db } from "~db/client.server";
import { exemptions, requirements, users } from "~db/schema";
import { ALL_REQUIREMENTS, type ExemptionInput } from "./forms";
import { earlierTrainingHistory } from "./earlier-training.server";
import { exemptionsInForce } from "./status.server";
import type { ExemptionReason } from "./statuses";

/**
 * Exemptions are records, never edits (docs/decisions/0021): granting one adds a record; ending, correcting or
 * cancelling one adds a record that replaces it, with the whole of its new content. What stands is every record
 * no later record replaces; the status query reads exemptions with the same rule (exemptionsInForce).
 */

export type ExemptionRecord = {
  id: string;
  kind: "granted" | "ended" | "corrected" | "cancelled";
  replacesId: string | null;
  requirementId: string | null;
  requirementTitle: string | null;
  reason: ExemptionReason;
  reasonText: string | null;
  startsOn: string;
  endsOn: string | null;
  approvedBy: string;
  recordedBy: string;
  recordedAt: string;
  /** Whether it stands now: no later record replaces it, and it is not a cancellation. */
  standing: boolean;
};

export type ExemptionResult =
  { ok: true; id: string; created: boolean } | { ok: false; status: number; errors: FieldErrors };

/** Every exemption record of a person (of the organisation), oldest first, and whether each stands. */
export async function exemptionHistory(db: Db, organisationId: string, userId: string): Promise<ExemptionRecord[]> {
  const rows = await queryRows<{
    id: string;
    kind: ExemptionRecord["kind"];
    replaces_id: string | null;
    requirement_id: string | null;
    requirement_title: string | null;
    reason: ExemptionReason;
    reason_text: string | null;
    starts_on: string;
    ends_on: string | null;
    approved_by: string;
    recorded_by: string;
    recorded_at: string;
    standing: boolean;
  }>(
    db,
    sql`select x.id, x.kind, x.replaces_id, x.requirement_id, coalesce(tm.title, p.title) as requirement_title, x.reason,
          x.reason_text, x.starts_on::text as starts_on, x.ends_on::text as ends_on, x.approved_by, u.name as recorded_by,
          to_char(x.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as recorded_at,
          (x.kind <> 'cancelled' and not exists (select 1 from exemptions later where later.replaces_id = x.id)) as standing
        from exemptions x
        join users u on u.id = x.recorded_by
        left join requirements r on r.id = x.requirement_id
        left join training_modules tm on tm.id = r.module_id
        left join policies p on p.id = r.policy_id
        where x.organisation_id = ${organisationId}::uuid and x.user_id = ${userId}::uuid
        order by x.recorded_at, x.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    replacesId: r.replaces_id,
    requirementId: r.requirement_id,
    requirementTitle: r.requirement_title,
    reason: r.reason,
    reasonText: r.reason_text,
    startsOn: r.starts_on,
    endsOn: r.ends_on,
    approvedBy: r.approved_by,
    recordedBy: r.recorded_by,
    recordedAt: r.recorded_at,
    standing: r.standing,
  }));
}

/** A person of HR's own organisation, locked so that two submissions for them are checked one after the other. */
const NO_SUCH_PERSON = {
  ok: false,
  status: 404,
  errors: { form: "There is no such person in your organisation" },
} as const satisfies ExemptionResult;

/** One of the person's exemption records, of HR's organisation, or undefined. */
async function exemptionOf(tx: Db, hr: CurrentUser, userId: string, exemptionId: string) {
  const [row] = await tx
    .select()
    .from(exemptions)
    .where(
      and(
        eq(exemptions.id, exemptionId),
        eq(exemptions.userId, userId),
        eq(exemptions.organisationId, hr.organisationId),
      ),
    );
  return row;
}

async function lockPerson(tx: Db, organisationId: string, userId: string) {
  const [person] = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.organisationId, organisationId)))
    .for("update");
  return person ?? null;
}

/** The standing exemption of the person that overlaps these dates and requirements, if any (`except` left out). */
async function overlapping(
  tx: Db,
  userId: string,
  input: { requirementId: string | null; startsOn: string; endsOn: string | null },
  except: string | null,
  now: Date,
) {
  const [row] = await queryRows<{ id: string; starts_on: string; ends_on: string | null }>(
    tx,
    sql`select x.id, x.starts_on::text as starts_on, x.ends_on::text as ends_on
        from (${exemptionsInForce(sql`${now.toISOString()}::timestamptz`)}) x
        where x.user_id = ${userId}::uuid and x.id is distinct from ${except}::uuid
          and (x.requirement_id is null or ${input.requirementId}::uuid is null or x.requirement_id = ${input.requirementId}::uuid)
          and x.starts_on <= coalesce(${input.endsOn}::date, 'infinity'::date)
          and coalesce(x.ends_on, 'infinity'::date) >= ${input.startsOn}::date
        limit 1`,
  );
  return row ?? null;
}

const overlapError = (): ExemptionResult => ({
  ok: false,
  status: 409,
  errors: {
    startsOn:
      "This exemption overlaps another of this person’s exemptions from the same requirement. End or correct that one instead.",
  },
});

/**
 * HR records an exemption for a person of their own organisation, or corrects one (`replacesId`): checked, then
 * written with its audit entry in one transaction. Submitting the same exemption twice writes it once.
 */
export async function recordExemption(
  db: Db,
  hr: CurrentUser,
  userId: string,
  input: ExemptionInput,
  request: RequestInfo & { now: Date },
): Promise<ExemptionResult> {
  const requirementId = input.requirementId === ALL_REQUIREMENTS ? null : input.requirementId;
  const startsOn = input.startsOn!;
  const endsOn = input.endsOn ?? null;
  return db.transaction(async (tx) => {
    if (!(await lockPerson(tx, hr.organisationId, userId))) return NO_SUCH_PERSON;
    if (requirementId) {
      const [requirement] = await tx
        .select({ id: requirements.id })
        .from(requirements)
        .where(and(eq(requirements.id, requirementId), eq(requirements.organisationId, hr.organisationId)));
      if (!requirement)
        return { ok: false, status: 400, errors: { requirementId: "Choose a requirement from the list" } };
    }
    let replaced: typeof exemptions.$inferSelect | undefined;
    if (input.replacesId) {
      replaced = await exemptionOf(tx, hr, userId, input.replacesId);
      if (!replaced || !(await stands(tx, replaced.id)))
        return {
          ok: false,
          status: 409,
          errors: { form: "That exemption has already been ended, corrected or cancelled. Reload the page." },
        };
    }
    const content = {
      requirementId,
      reason: input.reason,
      reasonText: input.reasonText ?? null,
      startsOn,
      endsOn,
      approvedBy: input.approvedBy,
    };
    if (!replaced) {
      // A resubmission of what already stands is the same exemption.
      const [same] = await queryRows<{ id: string }>(
        tx,
        sql`select x.id from (${exemptionsInForce(sql`${request.now.toISOString()}::timestamptz`)}) x
            where x.user_id = ${userId}::uuid and x.requirement_id is not distinct from ${requirementId}::uuid
              and x.reason = ${content.reason} and x.reason_text is not distinct from ${content.reasonText}
              and x.starts_on = ${startsOn}::date and x.ends_on is not distinct from ${endsOn}::date
              and x.approved_by = ${content.approvedBy}`,
      );
      if (same) return { ok: true, id: same.id, created: false };
    }
    if (await overlapping(tx, userId, content, replaced?.id ?? null, request.now)) return overlapError();
    const kind = replaced ? (sameButEnd(replaced, content) ? "ended" : "corrected") : "granted";
    return write(tx, hr, userId, { ...content, kind, replacesId: replaced?.id ?? null }, request);
  });
}

const sameButEnd = (
  before: typeof exemptions.$inferSelect,
  after: {
    requirementId: string | null;
    reason: string;
    reasonText: string | null;
    startsOn: string;
    approvedBy: string;
  },
) =>
  before.requirementId === after.requirementId &&
  before.reason === after.reason &&
  before.reasonText === after.reasonText &&
  before.startsOn === after.startsOn &&
  before.approvedBy === after.approvedBy;

/** What an exemption record says, without who recorded it and when: what a replacing record repeats. */
const contentOf = (x: typeof exemptions.$inferSelect) => ({
  requirementId: x.requirementId,
  reason: x.reason,
  reasonText: x.reasonText,
  startsOn: x.startsOn,
  endsOn: x.endsOn,
  approvedBy: x.approvedBy,
});

async function stands(tx: Db, id: string): Promise<boolean> {
  const [row] = await queryRows<{ standing: boolean }>(
    tx,
    sql`select (x.kind <> 'cancelled' and not exists (select 1 from exemptions later where later.replaces_id = x.id)) as standing
        from exemptions x where x.id = ${id}::uuid`,
  );
  return row?.standing ?? false;
}

async function write(
  tx: Db,
  hr: CurrentUser,
  userId: string,
  record: {
    kind: "granted" | "ended" | "corrected" | "cancelled";
    replacesId: string | null;
    requirementId: string | null;
    reason: ExemptionReason;
    reasonText: string | null;
    startsOn: string;
    endsOn: string | null;
    approvedBy: string;
  },
  request: RequestInfo & { now: Date },
): Promise<ExemptionResult> {
  const [row] = await tx
    .insert(exemptions)
    .values({
      ...record,
      organisationId: hr.organisationId,
      userId,
      recordedBy: hr.id,
      recordedAt: request.now,
    })
    .returning({ id: exemptions.id });
  await writeAudit(
    tx,
    {
      action: `exemption.${record.kind}`,
      organisationId: hr.organisationId,
      actorUserId: hr.id,
      subjectType: "user",
      subjectId: userId,
      details: { exemption: row.id, ...record },
    },
    request,
  );
  return { ok: true, id: row.id, created: true };
}

/**
 * Ends a standing exemption on a day (its last day): a new record of kind "ended" replacing it. Ending it again on
 * the same day changes nothing.
 */
export async function endExemption(
  db: Db,
  hr: CurrentUser,
  userId: string,
  input: { exemptionId: string; endsOn: string },
  request: RequestInfo & { now: Date },
): Promise<ExemptionResult> {
  return db.transaction(async (tx) => {
    if (!(await lockPerson(tx, hr.organisationId, userId))) return NO_SUCH_PERSON;
    const before = await exemptionOf(tx, hr, userId, input.exemptionId);
    if (!before) return { ok: false, status: 404, errors: { form: "There is no such exemption" } };
    if (!(await stands(tx, before.id))) {
      const [after] = await tx.select().from(exemptions).where(eq(exemptions.replacesId, before.id));
      if (after?.kind === "ended" && after.endsOn === input.endsOn) return { ok: true, id: after.id, created: false };
      return {
        ok: false,
        status: 409,
        errors: { form: "That exemption has already been ended, corrected or cancelled. Reload the page." },
      };
    }
    if (input.endsOn < before.startsOn)
      return {
        ok: false,
        status: 400,
        errors: { endsOn: "The last day of the exemption must be the same as or after its first day" },
      };
    if (await overlapping(tx, userId, { ...before, endsOn: input.endsOn }, before.id, request.now))
      return overlapError();
    return write(
      tx,
      hr,
      userId,
      { ...contentOf(before), endsOn: input.endsOn, kind: "ended", replacesId: before.id },
      request,
    );
  });
}

/** Cancels an exemption recorded in error: a record of kind "cancelled" replacing it, so it never applied. */
export async function cancelExemption(
  db: Db,
  hr: CurrentUser,
  userId: string,
  exemptionId: string,
  request: RequestInfo & { now: Date },
): Promise<ExemptionResult> {
  return db.transaction(async (tx) => {
    if (!(await lockPerson(tx, hr.organisationId, userId))) return NO_SUCH_PERSON;
    const before = await exemptionOf(tx, hr, userId, exemptionId);
    if (!before) return { ok: false, status: 404, errors: { form: "There is no such exemption" } };
    if (!(await stands(tx, before.id))) {
      const [after] = await tx.select().from(exemptions).where(eq(exemptions.replacesId, before.id));
      if (after?.kind === "cancelled") return { ok: true, id: after.id, created: false };
      return {
        ok: false,
        status: 409,
        errors: { form: "That exemption has already been ended or corrected. Reload the page." },
      };
    }
    return write(tx, hr, userId, { ...contentOf(before), kind: "cancelled", replacesId: before.id }, request);
  });
}

/** The organisation's requirements HR can choose from, modules first, for the exemption and earlier training forms. */
export async function requirementChoices(db: Db, organisationId: string) {
  return queryRows<{ id: string; kind: "module" | "policy"; title: string }>(
    db,
    sql`select r.id, r.kind::text as kind, coalesce(tm.title, p.title) as title
        from requirements r
        left join training_modules tm on tm.id = r.module_id
        left join policies p on p.id = r.policy_id
        where r.organisation_id = ${organisationId}::uuid
        order by r.kind = 'policy', coalesce(tm.title, p.title), r.id`,
  );
}

/**
 * What the exemption form needs: the person (of HR's organisation), the requirements to choose from, and, to
 * correct one, the standing exemption it replaces. Null when the person, or that exemption, is not theirs to see.
 */
export async function exemptionForm(db: Db, hr: CurrentUser, userId: string, replacesId: string | null) {
  const [person] = await db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.organisationId, hr.organisationId)));
  if (!person) return null;
  let replaces: ExemptionRecord | null = null;
  if (replacesId) {
    replaces =
      (await exemptionHistory(db, hr.organisationId, userId)).find((x) => x.id === replacesId && x.standing) ?? null;
    if (!replaces) return null;
  }
  return { person, requirements: await requirementChoices(db, hr.organisationId), replaces };
}

/** A person's exemption records and training completed elsewhere, for their evidence page. */
export async function exemptionsAndEarlierTraining(db: Db, organisationId: string, userId: string) {
  const [exemptions, earlierTraining] = await Promise.all([
    exemptionHistory(db, organisationId, userId),
    earlierTrainingHistory(db, organisationId, userId),
  ]);
  return { exemptions, earlierTraining };
}
