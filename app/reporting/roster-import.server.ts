import { createHash } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { LINK_LIFETIME_MS, passwordLinkUrl } from "~/auth/password-links.server";
import type { CurrentUser } from "~/auth/session.server";
import { randomToken, sha256Hex } from "~/auth/tokens.server";
import { londonDate } from "~/lib/dates";
import type { Mailer } from "~/mail/mailer.server";
import { queryRows, type Db } from "~db/client.server";
import { rosterUploads, teams, users, type Role } from "~db/schema";
import {
  COLUMN_LABELS,
  readRosterFile,
  ROSTER_MAX_BYTES,
  ROSTER_MAX_MEGABYTES,
  type RosterRecord,
} from "./roster-file.server";
import { emailKey, sortProblems, validateRosterRows, type RosterRow, type RowProblem } from "./roster-rows.server";

/**
 * The staff roster import. An upload is read, checked row by row and against the organisation's people, and
 * kept (roster_uploads) with a summary for its preview; applying it re-checks it against the people as they
 * are then and writes every change in one transaction. Rules (docs/decisions/0007-roster-import.md): matched on
 * employee number within HR's own organisation; never grants, removes or changes a role; only a leaving date
 * on or before today deactivates; people left out of the file are left alone; people who have left stay as
 * they are; nobody is deleted.
 */

export const PREVIEW_ROWS = 10;
/** Problems kept with an upload for its page; every problem is still counted. */
export const STORED_PROBLEMS = 1000;

export type RosterChange = { field: string; from: string | null; to: string | null };
export type PreviewRow = {
  line: number;
  employeeNumber: string;
  name: string;
  team: string;
  startDate: string;
  leavingDate: string | null;
  changes?: RosterChange[];
};

export type RosterCounts = {
  rows: number;
  added: number;
  changed: number;
  deactivated: number;
  unchanged: number;
  /** People in the file who had already left: the import leaves them as they are. */
  alreadyLeft: number;
  /** New people whose leaving date has passed: not added. */
  notAdded: number;
  newTeams: number;
};

export type LinkDelivery =
  | { mode: "email"; sent: number; failed: { employeeNumber: string; name: string; email: string }[] }
  | { mode: "admin"; people: number };

export type RosterSummary = {
  status: "invalid" | "ready" | "applied";
  checkedOn: string;
  counts: RosterCounts;
  problemCount: number;
  problemRows: number;
  problemsByColumn: Record<string, number>;
  problems: RowProblem[];
  first: {
    added: PreviewRow[];
    changed: PreviewRow[];
    deactivated: PreviewRow[];
    alreadyLeft: PreviewRow[];
    notAdded: PreviewRow[];
  };
  newTeams: string[];
  /** People whose address changes and who have not set a password: links sent to the old address stop working and they need a new one. */
  relinked: number;
  planDigest: string;
  /** Set when applying found the organisation's people had changed since the preview. */
  rechecked?: boolean;
  applied?: { at: string; counts: RosterCounts };
  links?: LinkDelivery;
};

type Person = {
  id: string;
  employeeNumber: string;
  name: string;
  email: string;
  teamId: string | null;
  startDate: string;
  leavingDate: string | null;
  active: boolean;
  role: Role;
  hasPassword: boolean;
};

type Update = {
  person: Person;
  row: RosterRow;
  teamKey: string;
  changes: RosterChange[];
  move: boolean;
  deactivate: boolean;
};

type Plan = {
  today: string;
  rows: number;
  problems: RowProblem[];
  teamNames: Map<string, string>;
  teamIds: Map<string, string>;
  newTeams: Map<string, string>;
  added: { row: RosterRow; teamKey: string }[];
  notAdded: RosterRow[];
  alreadyLeft: RosterRow[];
  updates: Update[];
  unchanged: number;
};

/** Teams are matched on their name whatever its case and spacing, so "Children in care" finds "Children In Care". */
const teamKey = (name: string) => name.trim().replace(/\s+/g, " ").toLowerCase();

const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;

async function organisationTeams(db: Db, organisationId: string) {
  const rows = await db
    .select({ id: teams.id, name: teams.name })
    .from(teams)
    .where(eq(teams.organisationId, organisationId))
    .orderBy(teams.createdAt, teams.id);
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  for (const team of rows) {
    const key = teamKey(team.name);
    // An exact spelling wins over an earlier team that differs only in case.
    if (!ids.has(key) || team.name === names.get(key)) {
      ids.set(key, team.id);
      names.set(key, team.name);
    }
  }
  return { ids, names, byId: new Map(rows.map((t) => [t.id, t.name])) };
}

/** What applying these records would do to the organisation's people as they are now, and every problem found. */
async function planRoster(db: Db, hr: CurrentUser, records: RosterRecord[], now: Date): Promise<Plan> {
  const today = londonDate(now);
  const { rows, problems } = validateRosterRows(records);
  const { ids: teamIds, names: teamNames, byId: teamNameById } = await organisationTeams(db, hr.organisationId);
  const people = await db
    .select({
      id: users.id,
      employeeNumber: users.employeeNumber,
      name: users.name,
      email: users.email,
      teamId: users.teamId,
      startDate: users.startDate,
      leavingDate: users.leavingDate,
      active: users.active,
      role: users.role,
      hasPassword: sql<boolean>`${users.passwordHash} is not null`,
    })
    .from(users)
    .where(eq(users.organisationId, hr.organisationId));
  const byEmployee = new Map(people.map((p) => [p.employeeNumber, p]));
  // Whoever holds each address anywhere in the service (users_email_key is unique on lower(email)).
  const owners = await queryRows<{
    id: string;
    organisation_id: string;
    employee_number: string;
    active: boolean;
    key: string;
  }>(
    db,
    sql`select u.id, u.organisation_id, u.employee_number, u.active, lower(u.email) as key from users u
        where lower(u.email) in (select jsonb_array_elements_text(${json(rows.map((r) => emailKey(r.email)))}))`,
  );
  const ownerOf = new Map(owners.map((o) => [o.key, o]));
  const fileEmailOf = new Map(rows.map((r) => [r.employeeNumber, emailKey(r.email)]));

  const plan: Plan = {
    today,
    rows: records.length,
    problems,
    teamNames,
    teamIds,
    newTeams: new Map(),
    added: [],
    notAdded: [],
    alreadyLeft: [],
    updates: [],
    unchanged: 0,
  };
  const teamFor = (row: RosterRow) => {
    const key = teamKey(row.team);
    if (!teamIds.has(key) && !plan.newTeams.has(key)) plan.newTeams.set(key, row.team.trim().replace(/\s+/g, " "));
    return key;
  };

  for (const row of rows) {
    const email = emailKey(row.email);
    const person = byEmployee.get(row.employeeNumber);
    const owner = ownerOf.get(email);
    if (owner && owner.id !== person?.id) {
      const ownerRow = owner.organisation_id === hr.organisationId ? byEmployee.get(owner.employee_number) : undefined;
      // An address is free when its holder is in this file, still works here, and is given another address.
      const freed =
        ownerRow !== undefined &&
        ownerRow.active &&
        fileEmailOf.has(ownerRow.employeeNumber) &&
        fileEmailOf.get(ownerRow.employeeNumber) !== email;
      if (!freed) {
        const message =
          owner.organisation_id !== hr.organisationId
            ? "This email address is already used by another account on this service"
            : `This email address belongs to employee number ${owner.employee_number}${owner.active ? "" : ", who has left"}`;
        problems.push({ line: row.line, column: COLUMN_LABELS.email, message });
      }
    }
    const leaves = row.leavingDate !== null && row.leavingDate <= today;
    if (!person) {
      if (leaves) plan.notAdded.push(row);
      else plan.added.push({ row, teamKey: teamFor(row) });
      continue;
    }
    if (!person.active) {
      plan.alreadyLeft.push(row);
      continue;
    }
    const changes: RosterChange[] = [];
    const compare = (field: string, from: string | null, to: string | null) => {
      if (from !== to) changes.push({ field, from, to });
    };
    compare("Name", person.name, row.name);
    compare("Email", person.email, row.email);
    const key = teamKey(row.team);
    const move = !leaves && (person.teamId === null || teamIds.get(key) !== person.teamId);
    if (move)
      compare("Team", person.teamId ? (teamNameById.get(person.teamId) ?? null) : null, teamNames.get(key) ?? row.team);
    compare("Start date", person.startDate, row.startDate);
    compare("Leaving date", person.leavingDate, row.leavingDate);
    if (emailKey(person.email) !== emailKey(row.email) && person.role !== "staff") {
      problems.push({
        line: row.line,
        column: COLUMN_LABELS.email,
        message: `Employee number ${row.employeeNumber} is an HR officer or administrator, so an import cannot change their email address: keep it as ${person.email}`,
      });
    }
    if (leaves && person.id === hr.id) {
      problems.push({
        line: row.line,
        column: COLUMN_LABELS.leavingDate,
        message: "This is you: an import cannot mark the person importing it as a leaver",
      });
    }
    if (changes.length === 0) {
      plan.unchanged++;
      continue;
    }
    plan.updates.push({ person, row, teamKey: move ? teamFor(row) : key, changes, move, deactivate: leaves });
  }
  plan.problems = sortProblems(problems);
  return plan;
}

const asPreview = (row: RosterRow, changes?: RosterChange[]): PreviewRow => ({
  line: row.line,
  employeeNumber: row.employeeNumber,
  name: row.name,
  team: row.team,
  startDate: row.startDate,
  leavingDate: row.leavingDate,
  ...(changes ? { changes } : {}),
});

function countsOf(plan: Plan): RosterCounts {
  const deactivated = plan.updates.filter((u) => u.deactivate).length;
  return {
    rows: plan.rows,
    added: plan.added.length,
    changed: plan.updates.length - deactivated,
    deactivated,
    unchanged: plan.unchanged,
    alreadyLeft: plan.alreadyLeft.length,
    notAdded: plan.notAdded.length,
    newTeams: plan.newTeams.size,
  };
}

/** A fingerprint of exactly what applying would write, so an apply can tell whether it still matches the preview. */
function planDigest(plan: Plan): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify([plan.today, [...plan.newTeams.keys()]]));
  for (const { row, teamKey } of plan.added)
    hash.update(JSON.stringify([row.employeeNumber, row.name, row.email, teamKey, row.startDate, row.leavingDate]));
  for (const u of plan.updates)
    hash.update(
      JSON.stringify([
        u.person.id,
        u.row.name,
        u.row.email,
        u.move ? u.teamKey : null,
        u.row.startDate,
        u.row.leavingDate,
        u.deactivate,
      ]),
    );
  return hash.digest("hex");
}

const readdresses = (u: Update) => emailKey(u.person.email) !== emailKey(u.row.email);
const needsNewLink = (u: Update) => readdresses(u) && !u.person.hasPassword && !u.deactivate;

function summarise(plan: Plan): RosterSummary {
  const problemsByColumn: Record<string, number> = {};
  for (const p of plan.problems) problemsByColumn[p.column] = (problemsByColumn[p.column] ?? 0) + 1;
  const changed = plan.updates.filter((u) => !u.deactivate);
  const deactivated = plan.updates.filter((u) => u.deactivate);
  return {
    status: plan.problems.length > 0 ? "invalid" : "ready",
    checkedOn: plan.today,
    counts: countsOf(plan),
    problemCount: plan.problems.length,
    problemRows: new Set(plan.problems.map((p) => p.line)).size,
    problemsByColumn,
    problems: plan.problems.slice(0, STORED_PROBLEMS),
    first: {
      added: plan.added.slice(0, PREVIEW_ROWS).map((a) => asPreview(a.row)),
      changed: changed.slice(0, PREVIEW_ROWS).map((u) => asPreview(u.row, u.changes)),
      deactivated: deactivated.slice(0, PREVIEW_ROWS).map((u) => asPreview(u.row, u.changes)),
      alreadyLeft: plan.alreadyLeft.slice(0, PREVIEW_ROWS).map((r) => asPreview(r)),
      notAdded: plan.notAdded.slice(0, PREVIEW_ROWS).map((r) => asPreview(r)),
    },
    newTeams: [...plan.newTeams.values()].slice(0, 50),
    relinked: plan.updates.filter(needsNewLink).length,
    planDigest: planDigest(plan),
  };
}

function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex -- a file name is shown and logged: no control characters in it
  return base.replace(/[\u0000-\u001F\u007F]/g, "").slice(0, 255) || "roster.csv";
}

export type UploadResult =
  { ok: true; uploadId: string; summary: RosterSummary } | { ok: false; error: string; howToSave: boolean };

/**
 * Reads and checks an uploaded file and keeps it for its preview. A file refused as a whole (not CSV, empty,
 * wrong columns, not UTF-8, too large) is not kept: only its audit entry is written.
 */
export async function uploadRoster(
  db: Db,
  hr: CurrentUser,
  file: { name: string; bytes: Uint8Array },
  request: RequestInfo & { now: Date },
): Promise<UploadResult> {
  const fileName = cleanFileName(file.name);
  const sha256 = createHash("sha256").update(file.bytes).digest("hex");
  const audit = { organisationId: hr.organisationId, actorUserId: hr.id, subjectType: "roster-upload" };
  const read =
    file.bytes.length > ROSTER_MAX_BYTES
      ? {
          ok: false as const,
          error: {
            code: "too-large",
            message: `The file is larger than ${ROSTER_MAX_MEGABYTES} MB. Split it into smaller files and upload each one.`,
            howToSave: false,
          },
        }
      : readRosterFile(file.bytes);
  if (!read.ok) {
    await writeAudit(
      db,
      {
        ...audit,
        action: "roster.refused",
        details: { fileName, sha256, byteSize: file.bytes.length, reason: read.error.code },
      },
      request,
    );
    return { ok: false, error: read.error.message, howToSave: read.error.howToSave };
  }
  const plan = await planRoster(db, hr, read.records, request.now);
  const summary = summarise(plan);
  const [upload] = await db
    .insert(rosterUploads)
    .values({
      organisationId: hr.organisationId,
      uploadedBy: hr.id,
      fileName,
      sha256,
      byteSize: file.bytes.length,
      content: Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength),
      summary,
      createdAt: request.now,
    })
    .returning({ id: rosterUploads.id });
  await writeAudit(
    db,
    {
      ...audit,
      action: "roster.uploaded",
      subjectId: upload.id,
      details: {
        fileName,
        sha256,
        byteSize: file.bytes.length,
        status: summary.status,
        problems: summary.problemCount,
        counts: summary.counts,
      },
    },
    request,
  );
  return { ok: true, uploadId: upload.id, summary };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An upload for its page: only the HR officer who uploaded it, in their own organisation, may see it; anyone else gets null (404). */
export async function findRosterUpload(db: Db, hr: CurrentUser, uploadId: string | undefined) {
  if (!uploadId || !UUID.test(uploadId)) return null;
  const [upload] = await db
    .select({
      id: rosterUploads.id,
      fileName: rosterUploads.fileName,
      sha256: rosterUploads.sha256,
      byteSize: rosterUploads.byteSize,
      createdAt: rosterUploads.createdAt,
      appliedAt: rosterUploads.appliedAt,
      summary: rosterUploads.summary,
    })
    .from(rosterUploads)
    .where(
      and(
        eq(rosterUploads.id, uploadId),
        eq(rosterUploads.organisationId, hr.organisationId),
        eq(rosterUploads.uploadedBy, hr.id),
      ),
    );
  return upload ? { ...upload, summary: upload.summary as RosterSummary } : null;
}

/** This HR officer's latest uploads, for the upload page. */
export async function recentRosterUploads(db: Db, hr: CurrentUser, limit = 10) {
  const rows = await db
    .select({
      id: rosterUploads.id,
      fileName: rosterUploads.fileName,
      createdAt: rosterUploads.createdAt,
      appliedAt: rosterUploads.appliedAt,
      status: sql<string>`${rosterUploads.summary}->>'status'`,
    })
    .from(rosterUploads)
    .where(and(eq(rosterUploads.organisationId, hr.organisationId), eq(rosterUploads.uploadedBy, hr.id)))
    .orderBy(desc(rosterUploads.createdAt))
    .limit(limit);
  return rows;
}

/** Someone who needs a link to set their password: new, or without a password and given a new address. */
type LinkRecipient = { id: string; employeeNumber: string; name: string; email: string; token: string | null };

export type ApplyOutcome =
  | { outcome: "not-found" }
  | { outcome: "already-applied" }
  | { outcome: "invalid" }
  | { outcome: "rechecked" }
  | { outcome: "applied"; counts: RosterCounts; linkRecipients: LinkRecipient[] };

/** Writes a checked plan: every statement set-based, so 50,000 rows take a handful of statements. */
async function writePlan(
  tx: Db,
  hr: CurrentUser,
  plan: Plan,
  options: { withLinks: boolean; now: Date },
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
    const inserted = await queryRows<{ id: string; employee_number: string; name: string; email: string }>(
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
    newPeople = inserted.map((p) => ({
      id: p.id,
      employeeNumber: p.employee_number,
      name: p.name,
      email: p.email,
      token: null,
    }));
  }

  if (plan.updates.length > 0) {
    // Addresses can move between people in one file (a swap, or a leaver's address reused): park them first.
    const readdressed = plan.updates.filter(readdresses).map((u) => u.person.id);
    if (readdressed.length > 0) {
      await tx.execute(sql`update users set email = id::text || '@roster-import.invalid'
                           where id in (select value::uuid from jsonb_array_elements_text(${json(readdressed)}))`);
      // A link e-mailed to the old (perhaps mistyped) address must not keep working for whoever has that inbox.
      await tx.execute(sql`update password_tokens set used_at = ${now}::timestamptz
                           where used_at is null and user_id in (select value::uuid from jsonb_array_elements_text(${json(readdressed)}))`);
    }
    const records = plan.updates.map((u) => ({
      id: u.person.id,
      name: u.row.name,
      email: u.row.email,
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

  let recipients: LinkRecipient[] = [
    ...newPeople,
    ...plan.updates.filter(needsNewLink).map((u) => ({
      id: u.person.id,
      employeeNumber: u.row.employeeNumber,
      name: u.row.name,
      email: u.row.email,
      token: null,
    })),
  ];
  if (options.withLinks && recipients.length > 0) {
    // The same links createPasswordLink makes ("set", 7 days, stored hashed); any earlier unused link was retired above.
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
  return db.transaction(async (transaction) => {
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
      .where(
        and(
          eq(rosterUploads.id, uploadId),
          eq(rosterUploads.organisationId, hr.organisationId),
          eq(rosterUploads.uploadedBy, hr.id),
        ),
      )
      .for("update");
    if (!upload) return { outcome: "not-found" as const };
    if (upload.appliedAt) return { outcome: "already-applied" as const };
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
    const linkRecipients = await writePlan(tx, hr, plan, { withLinks: options.withLinks, now: request.now });
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
  });
}

const MAIL_CONCURRENCY = 4;

/** E-mails each new person their one-time link, after the import has committed: a failed e-mail never undoes it. */
async function emailLinks(
  db: Db,
  mailer: Mailer,
  hr: CurrentUser,
  uploadId: string,
  people: LinkRecipient[],
  baseUrl: string,
  request: RequestInfo & { now: Date },
) {
  const failed: { employeeNumber: string; name: string; email: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(MAIL_CONCURRENCY, people.length) }, async () => {
      while (next < people.length) {
        const person = people[next++];
        try {
          await mailer.send({
            to: person.email,
            subject: "Set your password for the social media code of conduct",
            text: [
              `Dear ${person.name},`,
              "",
              `${hr.organisationName} has added you to its social media code of conduct service, where you take short training modules and sign the code of conduct.`,
              "Use this link within 7 days to choose your password. It works once:",
              "",
              passwordLinkUrl(baseUrl, person.token!),
              "",
              `Then sign in with this email address: ${person.email}`,
              "If the link has expired, ask your administrator for a new one.",
            ].join("\n"),
          });
        } catch {
          failed.push({ employeeNumber: person.employeeNumber, name: person.name, email: person.email });
        }
      }
    }),
  );
  const links: LinkDelivery = { mode: "email", sent: people.length - failed.length, failed };
  await db
    .update(rosterUploads)
    .set({ summary: sql`${rosterUploads.summary} || ${json({ links })}` })
    .where(eq(rosterUploads.id, uploadId));
  await writeAudit(
    db,
    {
      organisationId: hr.organisationId,
      actorUserId: hr.id,
      action: "roster.links-emailed",
      subjectType: "roster-upload",
      subjectId: uploadId,
      details: {
        sent: links.sent,
        failed: failed.length,
        failedEmployeeNumbers: failed.slice(0, STORED_PROBLEMS).map((f) => f.employeeNumber),
      },
    },
    request,
  );
}

/** Applies an upload and then hands each person who needs one a set-password link: by e-mail with SMTP, otherwise through an admin. */
export async function applyRoster(
  db: Db,
  mailer: Mailer | null,
  hr: CurrentUser,
  uploadId: string,
  input: { planDigest: string },
  baseUrl: string,
  request: RequestInfo & { now: Date },
): Promise<ApplyOutcome> {
  const result = await applyRosterUpload(db, hr, uploadId, input, { withLinks: mailer !== null }, request);
  if (result.outcome !== "applied" || result.linkRecipients.length === 0) return result;
  if (mailer) {
    await emailLinks(db, mailer, hr, uploadId, result.linkRecipients, baseUrl, request);
  } else {
    const links: LinkDelivery = { mode: "admin", people: result.linkRecipients.length };
    await db
      .update(rosterUploads)
      .set({ summary: sql`${rosterUploads.summary} || ${json({ links })}` })
      .where(eq(rosterUploads.id, uploadId));
  }
  return result;
}
