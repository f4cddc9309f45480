import { createHash, randomBytes } from "node:crypto";
import { and, asc, desc, eq, getTableColumns, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { boundSql, pipelined } from "~/lib/prepared.server";
import { canonicalJson } from "~/lib/canonical-json";
import { queryRows, type Db } from "~db/client.server";
import { attestations, organisations } from "~db/schema";

export const GENESIS_HASH = "0".repeat(64);
export const LEDGER_FORMAT_VERSION = 1;

export type AttestationRow = typeof attestations.$inferSelect;

/** What a new record says; the ledger adds its place in the chain (seq, reference, previous hash, hash). */
export type NewRecord = {
  organisationId: string;
  kind: "signed" | "withdrawn";
  userId: string;
  policyVersionId: string;
  policySha256: string;
  declarationText: string;
  typedName: string | null;
  recordedAt: Date;
  ip: string | null;
  userAgent: string | null;
  qualifyingAttemptIds: string[];
  subjectReference: string | null;
  actorUserId: string | null;
  reason: string | null;
};

type Hashable = NewRecord & { seq: number; reference: string; previousHash: string };

/** The exact object whose RFC 8785 canonical JSON is hashed (docs/ledger.md). Every field is present; absent values are null. */
export function hashedFields(record: Hashable) {
  return {
    v: LEDGER_FORMAT_VERSION,
    organisationId: record.organisationId,
    seq: record.seq,
    reference: record.reference,
    kind: record.kind,
    userId: record.userId,
    policyVersionId: record.policyVersionId,
    policySha256: record.policySha256,
    declarationText: record.declarationText,
    typedName: record.typedName,
    recordedAt: record.recordedAt.toISOString(),
    ip: record.ip,
    userAgent: record.userAgent,
    qualifyingAttemptIds: [...record.qualifyingAttemptIds].sort(),
    subjectReference: record.subjectReference,
    actorUserId: record.actorUserId,
    reason: record.reason,
    previousHash: record.previousHash,
  };
}

const FIELD_ORDER = Object.keys(
  hashedFields({ recordedAt: new Date(0), qualifyingAttemptIds: [] } as unknown as Hashable),
).sort();

/**
 * RFC 8785 for this one shape, written directly: the keys are known and already sorted, every value is a
 * string, number or null, or (qualifyingAttemptIds) an array of strings. Verification hashes a million of
 * these, so it skips the general serialiser; a test holds it equal to canonicalJson.
 */
export function canonicalRecord(record: Hashable): string {
  const fields = hashedFields(record) as Record<string, unknown>;
  let out = "{";
  for (let i = 0; i < FIELD_ORDER.length; i++) {
    const key = FIELD_ORDER[i];
    const value = fields[key];
    out += `${i === 0 ? "" : ","}"${key}":${Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(",")}]` : JSON.stringify(value)}`;
  }
  return `${out}}`;
}

export function recordHash(record: Hashable): string {
  return createHash("sha256").update(canonicalRecord(record), "utf8").digest("hex");
}

export { canonicalJson };

const REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32: no I, L, O, U

/** A short reference people can read out, e.g. "ATT-7K2M-9QXD": random, so it says nothing about volume. */
export function newReference(): string {
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => REFERENCE_ALPHABET[b % 32]).join("");
  return `ATT-${chars.slice(0, 4)}-${chars.slice(4, 8)}`;
}

/**
 * Appends one record to its organisation's chain. The per-organisation advisory lock is taken before
 * the head is read, under READ COMMITTED, so concurrent appends queue and the chain never forks
 * (under REPEATABLE READ the snapshot would predate the lock: see docs/decisions). `guard` is a query for
 * an existing record that makes this one unnecessary; it runs inside the lock and, when it finds one, that
 * record is returned instead and nothing is appended, which makes "sign once" race-free. `alsoWhenAppended`
 * gives a statement (the audit entry) for the same transaction, that takes effect only if the record is appended.
 *
 * Inside the lock there is one statement: it reads the head, checks the guard, and inserts the record with
 * its hash computed by the database from the canonical form (CANONICAL_SQL, the same bytes canonicalRecord
 * writes: a test holds them equal). On PostgreSQL begin, lock, append and commit are sent down one connection
 * together (`pipelined`), so no round trip to Node happens while the lock is held.
 */
export async function appendRecord(
  db: Db,
  record: NewRecord,
  guard?: SQLWrapper,
  alsoWhenAppended?: (appended: { reference: string; created: SQL }) => SQL,
): Promise<{ record: AttestationRow; created: boolean }> {
  const reference = newReference();
  const lock = boundSql(sql`select pg_advisory_xact_lock(7201, hashtext(${record.organisationId}))`);
  const append = boundSql<{ created: boolean; row: Record<string, unknown> }>(
    appendStatement(record, reference, guard),
  );
  const created = sql`exists (select 1 from ${attestations} where reference = ${reference})`;
  const after = alsoWhenAppended ? [boundSql(alsoWhenAppended({ reference, created }))] : [];
  const [, rows] = await pipelined(db, [lock, append, ...after], { transaction: true });
  const [found] = rows;
  if (!found) throw new Error("The ledger append returned no record");
  return { record: rowFromJson(found.row), created: found.created };
}

function appendStatement(record: NewRecord, reference: string, guard: SQLWrapper | undefined): SQL {
  const at = record.recordedAt.toISOString();
  return sql`with existing as (${guard ? sql`${guard}` : sql`select * from ${attestations} where false`}),
    head as (select seq, hash from ${attestations} where organisation_id = ${record.organisationId} order by seq desc limit 1),
    a as (
      select ${record.organisationId}::uuid as organisation_id, coalesce((select seq from head), 0) + 1 as seq, ${reference}::text as reference,
             ${record.kind}::attestation_kind as kind, ${record.userId}::uuid as user_id, ${record.policyVersionId}::uuid as policy_version_id,
             ${record.policySha256}::text as policy_sha256, ${record.declarationText}::text as declaration_text, ${record.typedName}::text as typed_name,
             ${at}::timestamptz as recorded_at, ${record.ip}::text as ip, ${record.userAgent}::text as user_agent,
             ${JSON.stringify([...record.qualifyingAttemptIds].sort())}::jsonb as qualifying_attempt_ids,
             ${record.subjectReference}::text as subject_reference, ${record.actorUserId}::uuid as actor_user_id, ${record.reason}::text as reason,
             coalesce((select hash from head), ${GENESIS_HASH}) as previous_hash
      where not exists (select 1 from existing)
    ),
    inserted as (
      insert into ${attestations} (organisation_id, seq, reference, kind, user_id, policy_version_id, policy_sha256, declaration_text, typed_name,
                                   recorded_at, ip, user_agent, qualifying_attempt_ids, subject_reference, actor_user_id, reason, previous_hash, hash)
      select organisation_id, seq, reference, kind, user_id, policy_version_id, policy_sha256, declaration_text, typed_name,
             recorded_at, ip, user_agent, qualifying_attempt_ids, subject_reference, actor_user_id, reason, previous_hash,
             encode(sha256(convert_to(${CANONICAL_SQL}, 'UTF8')), 'hex')
      from a
      returning *
    )
    select true as created, to_jsonb(inserted) as row from inserted
    union all
    select false as created, to_jsonb(existing) as row from existing`;
}

const COLUMNS = Object.entries(getTableColumns(attestations)).map(([key, column]) => [key, column.name] as const);

/** A row as to_jsonb wrote it, back in drizzle's shape. */
function rowFromJson(json: Record<string, unknown>): AttestationRow {
  const row = Object.fromEntries(COLUMNS.map(([key, name]) => [key, json[name]])) as Record<string, unknown>;
  row.id = Number(row.id);
  row.recordedAt = new Date(row.recordedAt as string);
  return row as AttestationRow;
}

function rowToHashable(row: AttestationRow): Hashable {
  return {
    organisationId: row.organisationId,
    kind: row.kind,
    userId: row.userId,
    policyVersionId: row.policyVersionId,
    policySha256: row.policySha256,
    declarationText: row.declarationText,
    typedName: row.typedName,
    recordedAt: row.recordedAt,
    ip: row.ip,
    userAgent: row.userAgent,
    qualifyingAttemptIds: row.qualifyingAttemptIds,
    subjectReference: row.subjectReference,
    actorUserId: row.actorUserId,
    reason: row.reason,
    seq: row.seq,
    reference: row.reference,
    previousHash: row.previousHash,
  };
}

/** Whether a stored row still matches its own hash. */
export function rowIsIntact(row: AttestationRow): boolean {
  return recordHash(rowToHashable(row)) === row.hash;
}

export type ChainHead = { reference: string; hash: string };
export type ChainReport = { organisationId: string; organisation: string; records: number; head: ChainHead | null };
export type LedgerProblem = { organisation: string; reference: string | null; seq: number | null; reason: string };
export type LedgerReport = { ok: boolean; records: number; chains: ChainReport[]; problem: LedgerProblem | null };

/**
 * The same canonical JSON as canonicalRecord, built by PostgreSQL, so verification hashes a million records
 * inside the database instead of shipping them to Node (to_json escapes strings exactly as ECMAScript's
 * JSON.stringify does; a test holds the two equal on awkward text, on PGlite and on PostgreSQL).
 */
// Identifiers, hex hashes, references and the kind are plain ASCII the app generates, so they are quoted
// directly; free text goes through to_json. That keeps a million rows to a few seconds.
export const CANONICAL_SQL = sql.raw(`'{"actorUserId":' || coalesce('"' || a.actor_user_id::text || '"', 'null')
  || ',"declarationText":' || to_json(a.declaration_text)::text
  || ',"ip":' || coalesce(to_json(a.ip)::text, 'null')
  || ',"kind":"' || a.kind::text || '"'
  || ',"organisationId":"' || a.organisation_id::text || '"'
  || ',"policySha256":"' || a.policy_sha256 || '"'
  || ',"policyVersionId":"' || a.policy_version_id::text || '"'
  || ',"previousHash":"' || a.previous_hash || '"'
  || ',"qualifyingAttemptIds":' || replace(a.qualifying_attempt_ids::text, '", "', '","')
  || ',"reason":' || coalesce(to_json(a.reason)::text, 'null')
  || ',"recordedAt":"' || to_char(a.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'
  || ',"reference":' || to_json(a.reference)::text
  || ',"seq":' || a.seq::text
  || ',"subjectReference":' || coalesce(to_json(a.subject_reference)::text, 'null')
  || ',"typedName":' || coalesce(to_json(a.typed_name)::text, 'null')
  || ',"userAgent":' || coalesce(to_json(a.user_agent)::text, 'null')
  || ',"userId":"' || a.user_id::text || '"'
  || ',"v":${LEDGER_FORMAT_VERSION}}'`);

type FirstBreak = { seq: number; reference: string; prior_seq: number; kind: "gap" | "order" | "link" | "altered" };

/** The first record in positions [from, to] whose position, link or contents is wrong (the record before `from` is read for the link only). */
async function firstBreakIn(db: Db, organisationId: string, from: number, to: number): Promise<FirstBreak | null> {
  const [row] = await queryRows<FirstBreak>(
    db,
    sql`select seq, reference, prior_seq,
               case when step > 1 then 'gap' when step < 1 then 'order' when bad_link then 'link' else 'altered' end as kind
        from (
          select a.seq, a.reference,
                 coalesce(lag(a.seq) over w, 0) as prior_seq,
                 a.seq - coalesce(lag(a.seq) over w, 0) as step,
                 a.previous_hash <> coalesce(lag(a.hash) over w, ${GENESIS_HASH}) as bad_link,
                 a.seq >= ${from} and encode(sha256(convert_to(${CANONICAL_SQL}, 'UTF8')), 'hex') <> a.hash as altered
          from attestations a
          where a.organisation_id = ${organisationId} and a.seq >= ${from - 1} and a.seq <= ${to}
          window w as (order by a.seq)
        ) checked
        where seq >= ${from} and (step <> 1 or bad_link or altered)
        order by seq
        limit 1`,
  );
  return row ?? null;
}

/** Splits a long chain in two so both cores hash at once (PGlite, with one connection, simply runs them in turn). */
async function firstBreak(db: Db, organisationId: string, records: number): Promise<FirstBreak | null> {
  if (records === 0) return null;
  const [{ last }] = await db
    .select({ last: sql<number>`max(${attestations.seq})::int` })
    .from(attestations)
    .where(eq(attestations.organisationId, organisationId));
  const middle = Math.floor(last / 2);
  const parts =
    last < 20_000
      ? [firstBreakIn(db, organisationId, 1, last)]
      : [firstBreakIn(db, organisationId, 1, middle), firstBreakIn(db, organisationId, middle + 1, last)];
  const found = (await Promise.all(parts)).filter((b): b is FirstBreak => b !== null);
  // A chain whose first record is missing starts above 1: the first range starts at 1, so it reports the gap.
  return found.sort((a, b) => a.seq - b.seq)[0] ?? null;
}

/**
 * Recomputes every chain in order: each record's hash, its link to the record before and its position.
 * The database does the hashing in one pass and returns only the first break, so a million records take
 * seconds. A chain alone cannot show that records were cut from its end: give `expectHeads` (heads kept
 * outside the database) for that.
 */
export async function verifyLedger(
  db: Db,
  options: { expectHeads?: ChainHead[]; organisationId?: string } = {},
): Promise<LedgerReport> {
  const orgs = await db
    .select({ id: organisations.id, name: organisations.name })
    .from(organisations)
    .where(options.organisationId ? eq(organisations.id, options.organisationId) : undefined)
    .orderBy(asc(organisations.id));
  const chains: ChainReport[] = [];
  let total = 0;
  let problem: LedgerProblem | null = null;
  for (const org of orgs) {
    const [[{ records }], [head]] = await Promise.all([
      db
        .select({ records: sql<number>`count(*)::int` })
        .from(attestations)
        .where(eq(attestations.organisationId, org.id)),
      db
        .select({ reference: attestations.reference, hash: attestations.hash })
        .from(attestations)
        .where(eq(attestations.organisationId, org.id))
        .orderBy(desc(attestations.seq))
        .limit(1),
    ]);
    const broken = await firstBreak(db, org.id, records);
    const check = {
      records,
      head_reference: head?.reference ?? null,
      head_hash: head?.hash ?? null,
      bad_seq: broken?.seq ?? null,
      bad_reference: broken?.reference ?? null,
      bad_kind: broken?.kind ?? null,
      gap_from: broken?.prior_seq ?? null,
    };
    total += check.records;
    chains.push({
      organisationId: org.id,
      organisation: org.name,
      records: check.records,
      head: check.head_reference && check.head_hash ? { reference: check.head_reference, hash: check.head_hash } : null,
    });
    if (!problem && check.bad_kind) {
      const reasons = {
        gap: `record ${Number(check.gap_from) + 1} of the chain is missing: it goes from ${check.gap_from} to ${check.bad_seq}`,
        order: `position ${check.bad_seq} is out of order`,
        link: "its previous hash does not match the record before it: a record was inserted, removed or altered before it",
        altered: "its contents do not match its hash: the record was altered",
      };
      problem = {
        organisation: org.name,
        reference: check.bad_reference,
        seq: check.bad_seq,
        reason: reasons[check.bad_kind],
      };
    }
  }
  for (const expected of options.expectHeads ?? []) {
    if (problem) break;
    const [stored] = await db
      .select({ hash: attestations.hash })
      .from(attestations)
      .where(eq(attestations.reference, expected.reference));
    if (!stored) {
      problem = {
        organisation: "",
        reference: expected.reference,
        seq: null,
        reason: `the expected head ${expected.reference} is gone: records were cut from the end of the chain`,
      };
    } else if (stored.hash !== expected.hash) {
      problem = {
        organisation: "",
        reference: expected.reference,
        seq: null,
        reason: `the expected head ${expected.reference} has a different hash: the record was changed or replaced`,
      };
    }
  }
  return { ok: problem === null, records: total, chains, problem };
}

/** Whether a record with this reference and hash exists, unaltered, in the ledger (and nothing else about it). */
export async function verifyReference(db: Db, reference: string, hash: string): Promise<boolean> {
  const [row] = await db
    .select()
    .from(attestations)
    .where(and(eq(attestations.reference, reference), eq(attestations.hash, hash)));
  return Boolean(row && rowIsIntact(row));
}

/** The newest record of one organisation's chain (one index read): what an evidence pack names as its head. */
export async function chainHead(db: Db, organisationId: string): Promise<(ChainHead & { seq: number }) | null> {
  const [head] = await db
    .select({ seq: attestations.seq, reference: attestations.reference, hash: attestations.hash })
    .from(attestations)
    .where(eq(attestations.organisationId, organisationId))
    .orderBy(desc(attestations.seq))
    .limit(1);
  return head ?? null;
}
