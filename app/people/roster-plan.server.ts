import { createHash } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import { londonDate } from "~/lib/dates";
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
 * they are; nobody is deleted; a new e-mail address for someone already here waits for an administrator
 * (app/people/email-changes.server.ts), since whoever reads it could reset the password and sign in as them.
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
  /** People already here given another e-mail address: recorded for an administrator to confirm. */
  emailChanges: number;
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
    emailChanges?: PreviewRow[];
  };
  newTeams: string[];
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
  email: string | null;
  teamId: string | null;
  startDate: string;
  leavingDate: string | null;
  active: boolean;
  role: Role;
};

type Update = {
  person: Person;
  row: RosterRow;
  teamKey: string;
  changes: RosterChange[];
  move: boolean;
  deactivate: boolean;
};

export type Plan = {
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
  emailChanges: { person: Person; row: RosterRow & { email: string } }[];
  unchanged: number;
};

/** Teams are matched on their name whatever its case and spacing, so "Children in care" finds "Children In Care". */
export const teamKey = (name: string) => name.trim().replace(/\s+/g, " ").toLowerCase();

export const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;

async function organisationTeams(db: Db, organisationId: string) {
  const rows = await db
    .select({ id: teams.id, name: teams.name, closedOn: teams.closedOn })
    .from(teams)
    .where(eq(teams.organisationId, organisationId))
    .orderBy(teams.createdAt, teams.id);
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  const closed = new Map<string, string>();
  for (const team of rows) {
    const key = teamKey(team.name);
    if (team.closedOn) closed.set(key, team.name);
    // An exact spelling wins over an earlier team that differs only in case.
    if (!ids.has(key) || team.name === names.get(key)) {
      ids.set(key, team.id);
      names.set(key, team.name);
    }
  }
  return { ids, names, closed, byId: new Map(rows.map((t) => [t.id, t.name])) };
}

/** What applying these records would do to the organisation's people as they are now, and every problem found. */
export async function planRoster(db: Db, hr: CurrentUser, records: RosterRecord[], now: Date): Promise<Plan> {
  const today = londonDate(now);
  const { rows, problems } = validateRosterRows(records);
  const {
    ids: teamIds,
    names: teamNames,
    closed: closedTeams,
    byId: teamNameById,
  } = await organisationTeams(db, hr.organisationId);
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
        where lower(u.email) in (select jsonb_array_elements_text(${json(rows.flatMap((r) => (r.email ? [emailKey(r.email)] : [])))}))`,
  );
  const ownerOf = new Map(owners.map((o) => [o.key, o]));

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
    emailChanges: [],
    unchanged: 0,
  };
  const teamFor = (row: RosterRow) => {
    const key = teamKey(row.team);
    if (!teamIds.has(key) && !plan.newTeams.has(key)) plan.newTeams.set(key, row.team.trim().replace(/\s+/g, " "));
    return key;
  };

  for (const row of rows) {
    const person = byEmployee.get(row.employeeNumber);
    const owner = row.email ? ownerOf.get(emailKey(row.email)) : undefined;
    // An address held by someone else stays theirs until an administrator confirms a change of theirs, so it
    // cannot be given to anyone in the same file.
    if (owner && owner.id !== person?.id) {
      const message =
        owner.organisation_id !== hr.organisationId
          ? "This email address is already used by another account on this service"
          : `This email address belongs to employee number ${owner.employee_number}${owner.active ? "" : ", who has left"}`;
      problems.push({ line: row.line, column: COLUMN_LABELS.email, message });
    }
    const leaves = row.leavingDate !== null && row.leavingDate <= today;
    // An admin closed it: nobody joins it again (docs/decisions/0017).
    const closedTeam = leaves ? undefined : closedTeams.get(teamKey(row.team));
    if (closedTeam)
      problems.push({
        line: row.line,
        column: COLUMN_LABELS.team,
        message: `${closedTeam} has been closed: give the team they are in now`,
      });
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
    // An empty cell keeps the address a person has (an admin removes one); an address for someone without one is
    // a change of address like any other, confirmed by an admin.
    const readdressed = row.email !== null && emailKey(person.email ?? "") !== emailKey(row.email);
    // Only the spelling of the same address (its case) changes with the import; a new address waits for an admin.
    if (!readdressed && row.email !== null) compare("Email", person.email, row.email);
    const key = teamKey(row.team);
    const move = !leaves && (person.teamId === null || teamIds.get(key) !== person.teamId);
    if (move)
      compare("Team", person.teamId ? (teamNameById.get(person.teamId) ?? null) : null, teamNames.get(key) ?? row.team);
    compare("Start date", person.startDate, row.startDate);
    compare("Leaving date", person.leavingDate, row.leavingDate);
    if (readdressed && person.role !== "staff") {
      problems.push({
        line: row.line,
        column: COLUMN_LABELS.email,
        message: `Employee number ${row.employeeNumber} is an HR officer or administrator, so an import cannot change their email address: keep it as ${person.email ?? "no email address"}`,
      });
    }
    if (leaves && person.id === hr.id) {
      problems.push({
        line: row.line,
        column: COLUMN_LABELS.leavingDate,
        message: "This is you: an import cannot mark the person importing it as a leaver",
      });
    }
    if (readdressed && person.role === "staff" && row.email !== null)
      plan.emailChanges.push({ person, row: { ...row, email: row.email } });
    if (changes.length === 0) {
      if (!readdressed) plan.unchanged++;
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
    emailChanges: plan.emailChanges.length,
  };
}

/** A fingerprint of exactly what applying would write, so an apply can tell whether it still matches the preview. */
export function planDigest(plan: Plan): string {
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
  for (const c of plan.emailChanges) hash.update(JSON.stringify(["email", c.person.id, c.person.email, c.row.email]));
  return hash.digest("hex");
}

/** The address an update writes: the file's spelling of the same address; a new address is only ever asked for. */
export const keptEmail = (u: Update) =>
  u.row.email !== null && emailKey(u.person.email ?? "") === emailKey(u.row.email) ? u.row.email : u.person.email;

export function summarise(plan: Plan): RosterSummary {
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
      emailChanges: plan.emailChanges
        .slice(0, PREVIEW_ROWS)
        .map((c) => asPreview(c.row, [{ field: "Email", from: c.person.email, to: c.row.email }])),
    },
    newTeams: [...plan.newTeams.values()].slice(0, 50),
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

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The HR officer's own uploads: an upload is seen and applied only by whoever uploaded it. */
const ownUploads = (hr: CurrentUser) =>
  and(eq(rosterUploads.organisationId, hr.organisationId), eq(rosterUploads.uploadedBy, hr.id));

/** One of the HR officer's own uploads. */
export const ownUpload = (hr: CurrentUser, uploadId: string) => and(eq(rosterUploads.id, uploadId), ownUploads(hr));

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
      deletedAt: rosterUploads.deletedAt,
      summary: rosterUploads.summary,
    })
    .from(rosterUploads)
    .where(ownUpload(hr, uploadId));
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
    .where(ownUploads(hr))
    .orderBy(desc(rosterUploads.createdAt))
    .limit(limit);
  return rows;
}
