import { and, eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { LINK_LIFETIME_MS } from "~/auth/password-links.server";
import type { CurrentUser } from "~/auth/session.server";
import { randomToken, sha256Hex } from "~/auth/tokens.server";
import { againIfRaced, queryRows, type Db } from "~db/client.server";
import { rosterUploads } from "~db/schema";
import { readRosterFile } from "./roster-file.server";
import {
  json,
  keptEmail,
  ownUpload,
  planRoster,
  summarise,
  teamKey,
  UUID,
  type Plan,
  type RosterCounts,
  type RosterSummary,
} from "./roster-plan.server";

// Applying a checked upload: the second half of the roster import (roster-plan.server.ts has the rules).

/** Someone who needs a link to set their password: new, or without a password and given a new address. */
export type LinkRecipient = { id: string; employeeNumber: string; name: string; email: string; token: string | null };

export type ApplyOutcome =
  | { outcome: "not-found" }
  | { outcome: "already-applied" }
  | { outcome: "invalid" }
  | { outcome: "rechecked" }
  /** The retention rule deleted the file (docs/decisions/0021): it must be uploaded again. */
  | { outcome: "deleted" }
  | { outcome: "applied"; counts: RosterCounts; linkRecipients: LinkRecipient[] };

/** Writes a checked plan: every statement set-based, so 50,000 rows take a handful of statements. */
async function writePlan(
  tx: Db,
  hr: CurrentUser,
  plan: Plan,
  options: { withLinks: boolean; now: Date; uploadId: string },
): Promise<LinkRecipient[]> {
  const { today } = plan;
  const now = options.now.toISOString();
  const teamIds = new Map(plan.teamIds);
  if (plan.newTeams.size > 0) {
    const created = await queryRows<{ id: string; name: string }>(
      tx,
      sql`insert into teams (organisation_id, name, created_at)
          select ${hr.organisationId}::uuid, value, ${now}::timestamptz from jsonb_array_elements_text(${json([...plan.newTeams.values()])})
          returning id, name`,
    );
    for (const team of created) teamIds.set(teamKey(team.name), team.id);
  }

  let newPeople: LinkRecipient[] = [];
  if (plan.added.length > 0) {
    const records = plan.added.map(({ row, teamKey: key }) => ({
      employee_number: row.employeeNumber,
      name: row.name,
      email: row.email,
      team_id: teamIds.get(key),
      start_date: row.startDate,
      leaving_date: row.leavingDate,
    }));
    // A new person's first membership starts on their start date.
    const inserted = await queryRows<{ id: string; employee_number: string; name: string; email: string | null }>(
      tx,
      sql`with added as (
            insert into users (organisation_id, team_id, employee_number, name, email, start_date, leaving_date, created_at, updated_at)
            select ${hr.organisationId}::uuid, r.team_id, r.employee_number, r.name, r.email, r.start_date, r.leaving_date, ${now}::timestamptz, ${now}::timestamptz
            from jsonb_to_recordset(${json(records)}) as r(employee_number text, name text, email text, team_id uuid, start_date date, leaving_date date)
            returning id, team_id, start_date, employee_number, name, email
          ), memberships as (
            insert into team_memberships (user_id, team_id, started_on, created_at)
            select id, team_id, start_date, ${now}::timestamptz from added where team_id is not null
          )
          select id, employee_number, name, email from added`,
    );
    // Someone without an e-mail address gets no link: they sign only in an assisted session (decision 0025).
    newPeople = inserted.flatMap((p) =>
      p.email === null
        ? []
        : [
            {
              id: p.id,
              employeeNumber: p.employee_number,
              name: p.name,
              email: p.email,
              token: null,
            },
          ],
    );
  }

  if (plan.updates.length > 0) {
    const records = plan.updates.map((u) => ({
      id: u.person.id,
      name: u.row.name,
      email: keptEmail(u),
      start_date: u.row.startDate,
      old_start_date: u.person.startDate,
      leaving_date: u.row.leavingDate,
      active: !u.deactivate,
    }));
    await tx.execute(sql`update users u set name = r.name, email = r.email, start_date = r.start_date, leaving_date = r.leaving_date, active = r.active, updated_at = ${now}::timestamptz
                         from jsonb_to_recordset(${json(records)}) as r(id uuid, name text, email text, start_date date, leaving_date date, active boolean)
                         where u.id = r.id`);
    // A corrected start date moves a person's only membership with it, so reports "as at" count them from the right day.
    const restarted = records.filter((r) => r.start_date !== r.old_start_date);
    if (restarted.length > 0) {
      await tx.execute(sql`update team_memberships m set started_on = r.start_date
                           from jsonb_to_recordset(${json(restarted)}) as r(id uuid, start_date date, old_start_date date)
                           where m.user_id = r.id and m.ended_on is null and m.started_on = r.old_start_date
                             and not exists (select 1 from team_memberships o where o.user_id = m.user_id and o.id <> m.id)`);
    }

    // Movers, as setTeam does it: the open membership ends on the day (never before it began) and the new one starts then.
    const movers = plan.updates
      .filter((u) => u.move)
      .map((u) => ({ id: u.person.id, team_id: teamIds.get(u.teamKey) }));
    if (movers.length > 0) {
      const closed = await queryRows<{ user_id: string; ended_on: string }>(
        tx,
        sql`update team_memberships m set ended_on = greatest(${today}::date, m.started_on)
            from jsonb_to_recordset(${json(movers)}) as r(id uuid) where m.user_id = r.id and m.ended_on is null
            returning m.user_id, m.ended_on::text as ended_on`,
      );
      const startsOn = new Map(closed.map((c) => [c.user_id, c.ended_on]));
      await tx.execute(sql`insert into team_memberships (user_id, team_id, started_on, created_at)
                           select r.id, r.team_id, r.started_on, ${now}::timestamptz
                           from jsonb_to_recordset(${json(movers.map((m) => ({ ...m, started_on: startsOn.get(m.id) ?? today })))}) as r(id uuid, team_id uuid, started_on date)`);
      await tx.execute(
        sql`update users u set team_id = r.team_id from jsonb_to_recordset(${json(movers)}) as r(id uuid, team_id uuid) where u.id = r.id`,
      );
    }

    // Leavers, as deactivatePerson does it: their membership ends on their leaving date and their sessions end now.
    const leavers = plan.updates
      .filter((u) => u.deactivate)
      .map((u) => ({ id: u.person.id, leaving_date: u.row.leavingDate }));
    if (leavers.length > 0) {
      await tx.execute(sql`update team_memberships m set ended_on = greatest(r.leaving_date, m.started_on)
                           from jsonb_to_recordset(${json(leavers)}) as r(id uuid, leaving_date date)
                           where m.user_id = r.id and m.ended_on is null`);
      await tx.execute(sql`update sessions s set revoked_at = ${now}::timestamptz
                           where s.revoked_at is null and s.user_id in (select value::uuid from jsonb_array_elements_text(${json(leavers.map((l) => l.id))}))`);
    }
  }

  if (plan.emailChanges.length > 0) {
    // Asked for, not made: an administrator confirms each (a later file's request replaces an earlier one).
    const changes = plan.emailChanges.map((c) => ({
      user_id: c.person.id,
      from_email: c.person.email,
      to_email: c.row.email,
    }));
    // A link e-mailed to the old (perhaps mistyped) address stops working as soon as another address is asked for.
    await tx.execute(sql`update password_tokens set used_at = ${now}::timestamptz
                         where used_at is null and user_id in (select (value->>'user_id')::uuid from jsonb_array_elements(${json(changes)}))`);
    await tx.execute(sql`update email_changes set decision = 'replaced', decided_at = ${now}::timestamptz
                         where decided_at is null and user_id in (select (value->>'user_id')::uuid from jsonb_array_elements(${json(changes)}))`);
    await tx.execute(sql`insert into email_changes (organisation_id, user_id, from_email, to_email, requested_by, roster_upload_id, requested_at)
                         select ${hr.organisationId}::uuid, r.user_id, r.from_email, r.to_email, ${hr.id}::uuid, ${options.uploadId}::uuid, ${now}::timestamptz
                         from jsonb_to_recordset(${json(changes)}) as r(user_id uuid, from_email text, to_email text)`);
  }

  let recipients: LinkRecipient[] = newPeople;
  if (options.withLinks && recipients.length > 0) {
    // The same links createPasswordLink makes ("set", 7 days, stored hashed); a new person has no earlier link.
    const expiresAt = new Date(options.now.getTime() + LINK_LIFETIME_MS.set).toISOString();
    recipients = recipients.map((p) => ({ ...p, token: randomToken() }));
    await tx.execute(sql`insert into password_tokens (user_id, token_hash, purpose, created_at, expires_at)
                         select r.user_id, r.token_hash, 'set', ${now}::timestamptz, ${expiresAt}::timestamptz
                         from jsonb_to_recordset(${json(recipients.map((p) => ({ user_id: p.id, token_hash: sha256Hex(p.token!) })))}) as r(user_id uuid, token_hash text)`);
  }
  return recipients;
}

/**
 * Applies an upload once. Inside one transaction, under a per-organisation lock: the upload is claimed, its file
 * checked again against the people as they are now, and, only when that is still exactly what the preview showed,
 * written. A second apply (double submit, back button) finds it applied and writes nothing.
 */
export async function applyRosterUpload(
  db: Db,
  hr: CurrentUser,
  uploadId: string,
  input: { planDigest: string },
  options: { withLinks: boolean },
  request: RequestInfo & { now: Date },
): Promise<ApplyOutcome> {
  if (!UUID.test(uploadId)) return { outcome: "not-found" };
  // The lock is this council's: another council's import or an admin may take a new address meanwhile.
  return againIfRaced(() =>
    db.transaction(async (transaction) => {
      const tx = transaction as unknown as Db;
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`roster-import:${hr.organisationId}`}))`);
      const [upload] = await tx
        .select({
          id: rosterUploads.id,
          appliedAt: rosterUploads.appliedAt,
          content: rosterUploads.content,
          fileName: rosterUploads.fileName,
          sha256: rosterUploads.sha256,
          summary: rosterUploads.summary,
        })
        .from(rosterUploads)
        .where(ownUpload(hr, uploadId))
        .for("update");
      if (!upload) return { outcome: "not-found" as const };
      if (upload.appliedAt) return { outcome: "already-applied" as const };
      if (!upload.content) return { outcome: "deleted" as const };
      const read = readRosterFile(new Uint8Array(upload.content));
      if (!read.ok) return { outcome: "invalid" as const };
      const plan = await planRoster(tx, hr, read.records, request.now);
      const summary = summarise(plan);
      const audit = {
        organisationId: hr.organisationId,
        actorUserId: hr.id,
        subjectType: "roster-upload",
        subjectId: upload.id,
      };
      const details = { fileName: upload.fileName, sha256: upload.sha256, counts: summary.counts };
      if (summary.status === "invalid" || summary.planDigest !== input.planDigest) {
        // Someone changed the organisation's people since the preview (or the day turned): show the new preview, write nothing else.
        await tx
          .update(rosterUploads)
          .set({ summary: { ...summary, rechecked: true } })
          .where(eq(rosterUploads.id, upload.id));
        await writeAudit(
          tx,
          {
            ...audit,
            action: "roster.rechecked",
            details: { ...details, status: summary.status, problems: summary.problemCount },
          },
          request,
        );
        return { outcome: summary.status === "invalid" ? ("invalid" as const) : ("rechecked" as const) };
      }
      const linkRecipients = await writePlan(tx, hr, plan, {
        withLinks: options.withLinks,
        now: request.now,
        uploadId: upload.id,
      });
      const applied: RosterSummary = {
        ...summary,
        status: "applied",
        applied: { at: request.now.toISOString(), counts: summary.counts },
      };
      const claimed = await tx
        .update(rosterUploads)
        .set({ appliedAt: request.now, summary: applied })
        .where(and(eq(rosterUploads.id, upload.id), sql`${rosterUploads.appliedAt} is null`))
        .returning({ id: rosterUploads.id });
      if (claimed.length !== 1) throw new Error("The roster upload was applied by another request");
      await writeAudit(tx, { ...audit, action: "roster.applied", details }, request);
      return { outcome: "applied" as const, counts: summary.counts, linkRecipients };
    }),
  );
}
