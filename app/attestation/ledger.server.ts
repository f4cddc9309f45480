import { createHash, randomBytes } from "node:crypto";
import { and, asc, desc, eq, getTableColumns, lte, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { boundSql, pipelined } from "~/lib/prepared.server";
import { canonicalJson } from "~/lib/canonical-json";
import { londonDate } from "~/lib/dates";
import { queryRowsForScan, type Db } from "~db/client.server";
import { attestations, organisations } from "~db/schema";
import { readSignedCheckpoint } from "~/ledger-proof/checkpoint";
import {
  checkTreeOf,
  heldCheckpointProblem,
  openLatestCheckpoint,
  storedLeavesOf,
  type TreeCheck,
} from "./ledger-tree.server";
import {
  checkBodySignature,
  noteVerifierOf,
  serviceKeys,
  signBody,
  type BodyCheck,
  type KeyRing,
  type SigningKey,
} from "./service-key.server";

export const GENESIS_HASH = "0".repeat(64);
/** The format new records are written in (docs/decisions/0015); records of format 1 keep verifying as they were. */
export const LEDGER_FORMAT_VERSION = 2;

export type AttestationRow = typeof attestations.$inferSelect;

/** How a signer or witness proved who they were at the moment of signing (docs/decisions/0015). */
export type ReauthMethod = "password" | "provider" | "passphrase" | "one-time-code";

/** What a new record says; the ledger adds its place in the chain (seq, reference, previous hash, hash) and the service's signature. */
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
  /** Format 2: absent means null ([] for earlierTrainingIds). A signed record names its signer's account at signing. */
  signerName?: string | null;
  signerEmployeeNumber?: string | null;
  reauthMethod?: ReauthMethod | null;
  witnessUserId?: string | null;
  witnessReauthMethod?: ReauthMethod | null;
  codeIssuerUserId?: string | null;
  earlierTrainingIds?: string[];
};

/** Everything a record's hash covers: what it says, its place in the chain and, from format 2, the service's signature. */
export type Hashable = Omit<NewRecord, "reauthMethod" | "witnessReauthMethod"> & {
  seq: number;
  reference: string;
  previousHash: string;
  /** Absent on rows read before format 2 existed: format 1. */
  formatVersion?: number;
  reauthMethod?: string | null;
  witnessReauthMethod?: string | null;
  keyId?: string | null;
  bodySignature?: string | null;
};

/** The fields of a record that are not in its body: its place in the chain, and the signature over the body. */
const NOT_IN_BODY = new Set(["seq", "previousHash", "bodySignature"]);

function idsAsHashed(ids: unknown): unknown {
  return Array.isArray(ids) ? sortedIds(ids as string[]) : ids;
}

/** Format 2's fields of who signed and how they proved it (decision 0015), null where the record has none. */
function whoSigned<Method extends string>(record: {
  signerName?: string | null;
  signerEmployeeNumber?: string | null;
  reauthMethod?: Method | null;
  witnessUserId?: string | null;
  witnessReauthMethod?: Method | null;
  codeIssuerUserId?: string | null;
}) {
  return {
    signerName: record.signerName ?? null,
    signerEmployeeNumber: record.signerEmployeeNumber ?? null,
    reauthMethod: record.reauthMethod ?? null,
    witnessUserId: record.witnessUserId ?? null,
    witnessReauthMethod: record.witnessReauthMethod ?? null,
    codeIssuerUserId: record.codeIssuerUserId ?? null,
  };
}

/**
 * The exact object whose RFC 8785 canonical JSON is hashed (docs/ledger.md), in the record's own format version.
 * Every field is present; absent values are null (arrays []).
 */
export function hashedFields(record: Hashable) {
  const version = record.formatVersion ?? 1;
  const fields = {
    v: version,
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
    qualifyingAttemptIds: idsAsHashed(record.qualifyingAttemptIds),
    subjectReference: record.subjectReference,
    actorUserId: record.actorUserId,
    reason: record.reason,
    previousHash: record.previousHash,
  };
  if (version === 1) return fields;
  return {
    ...fields,
    ...whoSigned(record),
    earlierTrainingIds: idsAsHashed(record.earlierTrainingIds ?? []),
    keyId: record.keyId ?? null,
    bodySignature: record.bodySignature ?? null,
  };
}

/** A format 2 record's body: its fields without its place in the chain and without the signature over the body. */
export function bodyFields(record: Hashable): Record<string, unknown> {
  return Object.fromEntries(Object.entries(hashedFields(record)).filter(([key]) => !NOT_IN_BODY.has(key)));
}

/**
 * The order in which the hash lists qualifyingAttemptIds, whatever order they are stored in: by Unicode code point,
 * which is UTF-8 byte order and so PostgreSQL's COLLATE "C" (JavaScript's default sort compares UTF-16 code units,
 * which differs for characters beyond U+FFFF). The ids are a set: see docs/ledger.md.
 */
export function sortedIds(ids: readonly string[]): string[] {
  return [...ids].sort((a, b) => Buffer.compare(Buffer.from(String(a), "utf8"), Buffer.from(String(b), "utf8")));
}

const SHAPE = { recordedAt: new Date(0), qualifyingAttemptIds: [], earlierTrainingIds: [] } as unknown as Hashable;
const FIELD_ORDER = {
  1: Object.keys(hashedFields({ ...SHAPE, formatVersion: 1 })).sort(),
  2: Object.keys(hashedFields({ ...SHAPE, formatVersion: 2 })).sort(),
};
const BODY_ORDER = FIELD_ORDER[2].filter((key) => !NOT_IN_BODY.has(key));

/**
 * RFC 8785 for these shapes, written directly: the keys are known and already sorted (by UTF-16 code units, which for
 * these ASCII names is plain order), every value is a string, number or null, or an array of strings. Verification
 * hashes a million of these, so it skips the general serialiser; a test holds it equal to canonicalJson.
 */
function writeCanonical(fields: Record<string, unknown>, order: readonly string[]): string {
  let out = "{";
  for (let i = 0; i < order.length; i++) {
    const key = order[i];
    const value = fields[key];
    out += `${i === 0 ? "" : ","}"${key}":${Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(",")}]` : JSON.stringify(value)}`;
  }
  return `${out}}`;
}

export function canonicalRecord(record: Hashable): string {
  const version = record.formatVersion ?? 1;
  const fields = hashedFields(record) as Record<string, unknown>;
  return writeCanonical(fields, version === 1 || version === 2 ? FIELD_ORDER[version] : Object.keys(fields).sort());
}

/** The canonical JSON of a format 2 record's body: what the service key signs (as UTF-8 bytes). */
export function canonicalBody(record: Hashable): string {
  return writeCanonical(hashedFields({ ...record, formatVersion: record.formatVersion ?? 2 }), BODY_ORDER);
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
  options: { key?: SigningKey } = {},
): Promise<{ record: AttestationRow; created: boolean }> {
  const reference = newReference();
  const signed = signedRecord(record, reference, options.key ?? serviceKeys().signer);
  const lock = boundSql(sql`select pg_advisory_xact_lock(7201, hashtext(${record.organisationId}))`);
  const append = boundSql<{ created: boolean; row: Record<string, unknown> }>(appendStatement(signed, guard));
  const created = sql`exists (select 1 from ${attestations} where reference = ${reference})`;
  const after = alsoWhenAppended ? [boundSql(alsoWhenAppended({ reference, created }))] : [];
  const [, rows] = await pipelined(db, [lock, append, ...after], { transaction: true });
  const [found] = rows;
  if (!found) throw new Error("The ledger append returned no record");
  return { record: rowFromJson(found.row), created: found.created };
}

type SignedRecord = Required<NewRecord> & {
  reference: string;
  formatVersion: number;
  keyId: string;
  bodySignature: string;
};

/**
 * The record as it will be stored, its body signed with the service's key: everything but its place in the chain is
 * known before the lock is taken, so signing costs the lock nothing (decision 0009).
 */
function signedRecord(record: NewRecord, reference: string, key: SigningKey): SignedRecord {
  const full = {
    ...record,
    reference,
    formatVersion: LEDGER_FORMAT_VERSION,
    ...whoSigned(record),
    earlierTrainingIds: sortedIds(record.earlierTrainingIds ?? []),
    qualifyingAttemptIds: sortedIds(record.qualifyingAttemptIds),
    keyId: key.keyId,
  };
  const body = canonicalBody({ ...full, seq: 0, previousHash: "" });
  return { ...full, bodySignature: signBody(key, body) };
}

function appendStatement(record: SignedRecord, guard: SQLWrapper | undefined): SQL {
  const at = record.recordedAt.toISOString();
  return sql`with existing as (${guard ? sql`${guard}` : sql`select * from ${attestations} where false`}),
    head as (select seq, hash from ${attestations} where organisation_id = ${record.organisationId} order by seq desc limit 1),
    a as (
      select ${record.organisationId}::uuid as organisation_id, coalesce((select seq from head), 0) + 1 as seq, ${record.reference}::text as reference,
             ${record.kind}::attestation_kind as kind, ${record.userId}::uuid as user_id, ${record.policyVersionId}::uuid as policy_version_id,
             ${record.policySha256}::text as policy_sha256, ${record.declarationText}::text as declaration_text, ${record.typedName}::text as typed_name,
             ${at}::timestamptz as recorded_at, ${record.ip}::text as ip, ${record.userAgent}::text as user_agent,
             ${JSON.stringify(record.qualifyingAttemptIds)}::jsonb as qualifying_attempt_ids,
             ${record.subjectReference}::text as subject_reference, ${record.actorUserId}::uuid as actor_user_id, ${record.reason}::text as reason,
             coalesce((select hash from head), ${GENESIS_HASH}) as previous_hash,
             ${record.formatVersion}::smallint as format_version, ${record.signerName}::text as signer_name,
             ${record.signerEmployeeNumber}::text as signer_employee_number, ${record.reauthMethod}::text as reauth_method,
             ${record.witnessUserId}::uuid as witness_user_id, ${record.witnessReauthMethod}::text as witness_reauth_method,
             ${record.codeIssuerUserId}::uuid as code_issuer_user_id, ${JSON.stringify(record.earlierTrainingIds)}::jsonb as earlier_training_ids,
             ${record.keyId}::text as key_id, ${record.bodySignature}::text as body_signature
      where not exists (select 1 from existing)
    ),
    inserted as (
      insert into ${attestations} (organisation_id, seq, reference, kind, user_id, policy_version_id, policy_sha256, declaration_text, typed_name,
                                   recorded_at, ip, user_agent, qualifying_attempt_ids, subject_reference, actor_user_id, reason, previous_hash, hash,
                                   format_version, signer_name, signer_employee_number, reauth_method, witness_user_id, witness_reauth_method,
                                   code_issuer_user_id, earlier_training_ids, key_id, body_signature)
      select organisation_id, seq, reference, kind, user_id, policy_version_id, policy_sha256, declaration_text, typed_name,
             recorded_at, ip, user_agent, qualifying_attempt_ids, subject_reference, actor_user_id, reason, previous_hash,
             encode(sha256(convert_to(${CANONICAL_SQL}, 'UTF8')), 'hex'),
             format_version, signer_name, signer_employee_number, reauth_method, witness_user_id, witness_reauth_method,
             code_issuer_user_id, earlier_training_ids, key_id, body_signature
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

/** Whether a stored row still matches its own hash and, from format 2, carries the service's signature over its body. */
export function rowIsIntact(row: AttestationRow, keys: Pick<KeyRing, "verifiers"> = serviceKeys()): boolean {
  return rowCheck(row, keys) === "intact";
}

/** Whether a format 2 row's body signature holds under the ring's keys; null for format 1, which has none. */
export function bodySignatureCheck(
  row: AttestationRow,
  keys: Pick<KeyRing, "verifiers"> = serviceKeys(),
): BodyCheck | null {
  if ((row.formatVersion ?? 1) === 1) return null;
  return checkBodySignature(keys, row, canonicalBody(row));
}

/** What is wrong with a stored row, if anything: its hash, or (format 2) the signature over its body. */
export function rowCheck(
  row: AttestationRow,
  keys: Pick<KeyRing, "verifiers"> = serviceKeys(),
): "intact" | "altered" | Exclude<BodyCheck, "valid"> {
  const version = row.formatVersion ?? 1;
  if (version !== 1 && version !== 2) return "altered";
  // Ids are strings: an array holding anything else was altered.
  for (const ids of version === 1 ? [row.qualifyingAttemptIds] : [row.qualifyingAttemptIds, row.earlierTrainingIds]) {
    const value: unknown = ids;
    if (!Array.isArray(value) || !value.every((id) => typeof id === "string")) return "altered";
  }
  if (recordHash(row) !== row.hash) return "altered";
  if (version === 1) return "intact";
  const check = checkBodySignature(keys, row, canonicalBody(row));
  return check === "valid" ? "intact" : check;
}

export type ChainHead = { reference: string; hash: string };
export type ChainReport = {
  organisationId: string;
  organisation: string;
  records: number;
  head: ChainHead | null;
  /** The size of the latest signed checkpoint, when it holds. */
  checkpoint: number | null;
};
export type LedgerProblem = { organisation: string; reference: string | null; seq: number | null; reason: string };
export type LedgerReport = { ok: boolean; records: number; chains: ChainReport[]; problem: LedgerProblem | null };

/**
 * An array of ids (qualifyingAttemptIds, earlierTrainingIds) as the hash lists them: sorted by code point (COLLATE
 * "C"), whatever order the row stores them in (docs/ledger.md). The app stores them sorted and real records name one
 * to three, so up to three strings already in order, with nothing escaped, are used as stored (sorting every row costs
 * about five times as much); anything else is taken apart and sorted. An element that is not a string makes the text
 * invalid JSON, so the hash never matches, as rowIsIntact refuses it in Node.
 */
const idsSql = (c: string) => `(case
    when jsonb_typeof(${c}) <> 'array' then '!' || ${c}::text
    when jsonb_array_length(${c}) = 0 then '[]'
    when jsonb_array_length(${c}) <= 3
      and jsonb_typeof(${c} -> 0) = 'string'
      and coalesce(jsonb_typeof(${c} -> 1), 'string') = 'string'
      and coalesce(jsonb_typeof(${c} -> 2), 'string') = 'string'
      and coalesce((${c} ->> 0) collate "C" <= (${c} ->> 1), true)
      and coalesce((${c} ->> 1) collate "C" <= (${c} ->> 2), true)
      and strpos(${c}::text, '\\') = 0
      then replace(${c}::text, '", "', '","')
    else (select '[' || string_agg(case when jsonb_typeof(e) = 'string' then to_json(e #>> '{}')::text else '!' end, ','
                                   order by e #>> '{}' collate "C") || ']'
          from jsonb_array_elements(${c}) e)
  end)`;

// Identifiers, hex hashes, references and the kind are plain ASCII the app generates, so they are quoted
// directly; free text goes through to_json. That keeps a million rows to a few seconds.
const quoted = (c: string) => `'"' || ${c} || '"'`;
const textOrNull = (c: string) => `coalesce(to_json(${c})::text, 'null')`;
const uuidOrNull = (c: string) => `coalesce('"' || ${c}::text || '"', 'null')`;

/** Each field of a record, as SQL over the row `a` that writes its JSON value exactly as JSON.stringify would. */
const FORMAT_1_SQL: Record<string, string> = {
  actorUserId: uuidOrNull("a.actor_user_id"),
  declarationText: "to_json(a.declaration_text)::text",
  ip: textOrNull("a.ip"),
  kind: quoted("a.kind::text"),
  organisationId: quoted("a.organisation_id::text"),
  policySha256: quoted("a.policy_sha256"),
  policyVersionId: quoted("a.policy_version_id::text"),
  previousHash: quoted("a.previous_hash"),
  qualifyingAttemptIds: idsSql("a.qualifying_attempt_ids"),
  reason: textOrNull("a.reason"),
  recordedAt: quoted(`to_char(a.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`),
  reference: "to_json(a.reference)::text",
  seq: "a.seq::text",
  subjectReference: textOrNull("a.subject_reference"),
  typedName: textOrNull("a.typed_name"),
  userAgent: textOrNull("a.user_agent"),
  userId: quoted("a.user_id::text"),
  v: "'1'",
};
const FORMAT_2_SQL: Record<string, string> = {
  ...FORMAT_1_SQL,
  bodySignature: textOrNull("a.body_signature"),
  codeIssuerUserId: uuidOrNull("a.code_issuer_user_id"),
  earlierTrainingIds: idsSql("a.earlier_training_ids"),
  keyId: textOrNull("a.key_id"),
  reauthMethod: textOrNull("a.reauth_method"),
  signerEmployeeNumber: textOrNull("a.signer_employee_number"),
  signerName: textOrNull("a.signer_name"),
  witnessReauthMethod: textOrNull("a.witness_reauth_method"),
  witnessUserId: uuidOrNull("a.witness_user_id"),
  v: "'2'",
};

/** `'{"k1":' || e1 || ',"k2":' || e2 … || '}'` over the keys in order (the constant text merged between values). */
function canonicalSqlOf(fields: Record<string, string>, order: readonly string[]): string {
  return `concat(${order.map((key, i) => `'${i === 0 ? "{" : ","}"${key}":', ${fields[key]}`).join(",\n  ")},\n  '}')`;
}

/**
 * The same canonical JSON as canonicalRecord, built by PostgreSQL from the row's own format version, so verification
 * hashes a million records inside the database instead of shipping them to Node (to_json escapes strings exactly as
 * ECMAScript's JSON.stringify does; a test holds the two equal on awkward text, on PGlite and on PostgreSQL). A format
 * version this code does not know gives text that matches no hash.
 */
export const CANONICAL_SQL = sql.raw(`(case a.format_version
  when 1 then ${canonicalSqlOf(FORMAT_1_SQL, FIELD_ORDER[1])}
  when 2 then ${canonicalSqlOf(FORMAT_2_SQL, FIELD_ORDER[2])}
  else '!unknown format version' end)`);

/** The canonical JSON of a format 2 record's body, as canonicalBody writes it: what the service's key signed. */
export const BODY_SQL = sql.raw(canonicalSqlOf(FORMAT_2_SQL, BODY_ORDER));

type FirstBreak = {
  seq: number;
  reference: string;
  prior_seq: number;
  kind: "gap" | "order" | "link" | "altered" | "downgrade" | "leaf-missing" | "leaf";
};

/**
 * Each record in positions [from − 1, to] with its leaf hash and, from position `hashFrom`, its hash, both from its
 * canonical bytes written once.
 */
const checkedRows = (organisationId: string, from: number, to: number, hashFrom: number) => sql`(
  select b.seq, b.reference, b.previous_hash, b.hash, b.format_version,
         case when b.seq >= ${hashFrom} then encode(sha256(b.bytes), 'hex') end as record_hash,
         sha256('\\x00'::bytea || b.bytes) as leaf
  from (
    select a.seq, a.reference, a.previous_hash, a.hash, a.format_version,
           convert_to(${CANONICAL_SQL}, 'UTF8') as bytes
    from attestations a
    where a.organisation_id = ${organisationId} and a.seq >= ${from - 1} and a.seq <= ${to}
    order by a.seq
    -- Keeps the planner from writing the bytes again for each hash, which doubled the cost.
    offset 0
  ) b
  order by b.seq
  offset 0
)`;

/** The window over checked rows that judges each record's position, link and format against the one before it. */
const chainChecks = (from: number, hashFrom: number) => sql`
  h.seq, h.reference, h.leaf,
  coalesce(lag(h.seq) over w, 0) as prior_seq,
  h.seq - coalesce(lag(h.seq) over w, 0) as step,
  h.previous_hash <> coalesce(lag(h.hash) over w, ${GENESIS_HASH}) as bad_link,
  h.format_version < coalesce(lag(h.format_version) over w, 1) as downgrade,
  h.seq >= ${Math.max(from, hashFrom)} and h.record_hash <> h.hash as altered`;

/**
 * The first record in positions [from, to] whose position, link or contents is wrong (the record before `from` is
 * read for the link only), or, up to `treeSize` (the latest checkpoint's), whose leaf in the stored tree is not its
 * leaf hash. A first ordered pass only says whether anything is wrong: it compares the leaves as a whole (a digest of
 * the computed leaves in order against one of the stored leaves), and hashes only the checkpoint's last record and
 * those after it, since a covered record's hash column is checked by the next record's previous hash, part of that
 * record's leaf. Only when it finds something does a second pass hash every record and look up each leaf.
 */
async function firstBreakIn(
  db: Db,
  organisationId: string,
  from: number,
  to: number,
  treeSize: number,
  storedLeaves: Promise<Buffer>,
): Promise<FirstBreak | null> {
  const leavesTo = Math.min(to, treeSize);
  const [pass] = await queryRowsForScan<{ broken: boolean | null; leaf_digest: string | null }>(
    db,
    sql`select bool_or(step <> 1 or bad_link or downgrade or altered) as broken,
               -- In the window's order, by seq: were it ever another, the digests would differ and the leaves be looked up.
               encode(sha256(string_agg(leaf, ''::bytea) filter (where seq <= ${leavesTo})), 'hex') as leaf_digest
        from (
          select ${chainChecks(from, treeSize)}
          from ${checkedRows(organisationId, from, to, treeSize)} h
          window w as (order by h.seq)
        ) checked
        where seq >= ${from}`,
  );
  const stored = (await storedLeaves).subarray((from - 1) * 32, leavesTo * 32);
  const leavesAgree = leavesTo < from || pass.leaf_digest === createHash("sha256").update(stored).digest("hex");
  if (leavesAgree && !pass.broken) return null;
  // Something is wrong: every record is hashed and each leaf looked up, to name the first break as it is.
  const [row] = await queryRowsForScan<FirstBreak>(
    db,
    sql`select seq, reference, prior_seq,
               case when step > 1 then 'gap' when step < 1 then 'order' when bad_link then 'link'
                    when downgrade then 'downgrade' when altered then 'altered'
                    when leaf_missing then 'leaf-missing' else 'leaf' end as kind
        from (
          select ${chainChecks(from, from)},
                 h.seq >= ${from} and h.seq <= ${treeSize} and n.hash is distinct from h.leaf as bad_leaf,
                 h.seq <= ${treeSize} and n.hash is null as leaf_missing
          from ${checkedRows(organisationId, from, to, from)} h
          left join ledger_tree_nodes n
            on n.organisation_id = ${organisationId} and n.level = 0 and n.index = h.seq - 1 and h.seq <= ${treeSize}
          window w as (order by h.seq)
        ) checked
        where seq >= ${from} and (step <> 1 or bad_link or downgrade or altered or bad_leaf)
        order by seq
        limit 1`,
  );
  return row ?? null;
}

/** Splits a long chain in two so both cores hash at once (PGlite, with one connection, simply runs them in turn). */
async function firstBreak(
  db: Db,
  organisationId: string,
  last: number,
  treeSize: number,
  storedLeaves: Promise<Buffer>,
): Promise<FirstBreak | null> {
  if (last === 0) return null;
  const middle = Math.floor(last / 2);
  const parts =
    last < 20_000
      ? [firstBreakIn(db, organisationId, 1, last, treeSize, storedLeaves)]
      : [
          firstBreakIn(db, organisationId, 1, middle, treeSize, storedLeaves),
          firstBreakIn(db, organisationId, middle + 1, last, treeSize, storedLeaves),
        ];
  const found = (await Promise.all(parts)).filter((b): b is FirstBreak => b !== null);
  // A chain whose first record is missing starts above 1: the first range starts at 1, so it reports the gap.
  return found.sort((a, b) => a.seq - b.seq)[0] ?? null;
}

type BadSignature = { seq: number; reference: string; keyId: string | null; check: Exclude<BodyCheck, "valid"> };

const SIGNATURE_BATCH = 5_000;

/**
 * The first record of format 2 or later whose body signature does not hold under a key the ring knows (valid at the
 * record's time). PostgreSQL writes each body (BODY_SQL) and Node checks the Ed25519 signatures, a batch at a time,
 * the next batch read while this one is checked. A record whose contents do not match its hash is firstBreak's to
 * report; here only the signature is judged.
 */
async function firstBadSignature(
  db: Db,
  organisationId: string,
  keys: Pick<KeyRing, "verifiers">,
  after = 0,
): Promise<BadSignature | null> {
  type Row = {
    seq: number;
    reference: string;
    key_id: string | null;
    body_signature: string | null;
    recorded_at: string;
    body: string;
  };
  const batchAfter = (after: number) =>
    queryRowsForScan<Row>(
      db,
      sql`select a.seq, a.reference, a.key_id, a.body_signature, a.recorded_at::text as recorded_at, ${BODY_SQL} as body
          from attestations a
          where a.organisation_id = ${organisationId} and a.seq > ${after} and a.format_version <> 1
          order by a.seq
          limit ${SIGNATURE_BATCH}`,
    );
  let next = batchAfter(after);
  for (;;) {
    const rows = await next;
    if (rows.length === 0) return null;
    if (rows.length === SIGNATURE_BATCH) next = batchAfter(rows[rows.length - 1].seq);
    for (const row of rows) {
      const check = checkBodySignature(
        keys,
        { keyId: row.key_id, bodySignature: row.body_signature, recordedAt: new Date(row.recorded_at) },
        row.body,
      );
      if (check !== "valid") {
        // Let a batch already asked for finish before the caller moves on (one connection on PGlite).
        if (rows.length === SIGNATURE_BATCH) await next.catch(() => []);
        return { seq: row.seq, reference: row.reference, keyId: row.key_id, check };
      }
    }
    if (rows.length < SIGNATURE_BATCH) return null;
  }
}

/** A held checkpoint against the council's log it names (by its slug): null when the log extends it. */
async function heldCheckpointCheck(
  db: Db,
  signed: string,
  trees: Map<string, { organisationId: string; name: string; tree: TreeCheck }>,
  keys: Pick<KeyRing, "verifiers">,
): Promise<LedgerProblem | null> {
  let origin: string;
  try {
    origin = readSignedCheckpoint(signed).origin;
  } catch (error) {
    return {
      organisation: "",
      reference: null,
      seq: null,
      reason: `a held checkpoint cannot be read: ${(error as Error).message}`,
    };
  }
  const council = trees.get(origin.slice(origin.lastIndexOf("/ledger/") + "/ledger/".length));
  if (!origin.includes("/ledger/") || !council)
    return {
      organisation: "",
      reference: null,
      seq: null,
      reason: `a held checkpoint is of the log ${origin}, which no council here keeps`,
    };
  const trusted = keys.verifiers.map((v) => ({ verifier: noteVerifierOf(v), fromSize: null, untilSize: null }));
  const reason = await heldCheckpointProblem(
    db,
    council.organisationId,
    signed,
    { origin: council.tree.origin ?? origin, size: council.tree.checkpointSize },
    trusted,
  );
  return reason === null ? null : { organisation: council.name, reference: null, seq: null, reason };
}

/**
 * Recomputes every chain in order: each record's hash, its link to the record before and its position.
 * The database does the hashing in one pass and returns only the first break, so a million records take
 * seconds. A chain alone cannot show that records were cut from its end: give `expectHeads` (heads kept
 * outside the database) for that.
 */
export async function verifyLedger(
  db: Db,
  options: {
    expectHeads?: ChainHead[];
    /** Signed checkpoints kept elsewhere (a witness's, an evidence pack's): the trees must extend them. */
    heldCheckpoints?: string[];
    organisationId?: string;
    keys?: Pick<KeyRing, "verifiers">;
  } = {},
): Promise<LedgerReport> {
  const keys = options.keys ?? serviceKeys();
  const noteVerifiers = keys.verifiers.map(noteVerifierOf);
  const orgs = await db
    .select({ id: organisations.id, name: organisations.name, slug: organisations.slug })
    .from(organisations)
    .where(options.organisationId ? eq(organisations.id, options.organisationId) : undefined)
    .orderBy(asc(organisations.id));
  const chains: ChainReport[] = [];
  const trees = new Map<string, { organisationId: string; name: string; tree: TreeCheck }>();
  let total = 0;
  let problem: LedgerProblem | null = null;
  for (const org of orgs) {
    const [head] = await db
      .select({ seq: attestations.seq, reference: attestations.reference, hash: attestations.hash })
      .from(attestations)
      .where(eq(attestations.organisationId, org.id))
      .orderBy(desc(attestations.seq))
      .limit(1);
    const opened = await openLatestCheckpoint(db, org, head?.seq ?? 0, noteVerifiers);
    // Records up to the latest signed checkpoint are proven by it (their leaves, checked in firstBreak, give its
    // root): only the body signatures of the records after it need checking (docs/decisions/0024). The tree and the
    // records' hashes in PostgreSQL and the body signatures in Node, at once: both cores work.
    const { checkpoint } = opened;
    // The stored leaves are read once: the records' leaves are compared with them, and the tree is hashed up from them.
    const storedLeaves = checkpoint ? storedLeavesOf(db, org.id, checkpoint.size) : Promise.resolve(Buffer.alloc(0));
    const [treeProblem, broken, unsigned] = await Promise.all([
      opened.problem ?? (checkpoint ? checkTreeOf(db, org.id, checkpoint, storedLeaves) : null),
      firstBreak(db, org.id, head?.seq ?? 0, opened.checkpointSize, storedLeaves),
      head ? firstBadSignature(db, org.id, keys, opened.checkpointSize) : null,
    ]);
    const tree: TreeCheck = { checkpointSize: opened.checkpointSize, origin: opened.origin, problem: treeProblem };
    // An unbroken chain holds exactly the positions 1 to its head's.
    const records = !broken
      ? (head?.seq ?? 0)
      : (
          await db
            .select({ records: sql<number>`count(*)::int` })
            .from(attestations)
            .where(eq(attestations.organisationId, org.id))
        )[0].records;
    total += records;
    chains.push({
      organisationId: org.id,
      organisation: org.name,
      records,
      head: head ? { reference: head.reference, hash: head.hash } : null,
      checkpoint: tree.problem ? null : tree.checkpointSize || null,
    });
    trees.set(org.slug, { organisationId: org.id, name: org.name, tree });
    if (problem) continue;
    if (broken && (!unsigned || broken.seq <= unsigned.seq)) {
      const reasons = {
        gap: `record ${broken.prior_seq + 1} of the chain is missing: it goes from ${broken.prior_seq} to ${broken.seq}`,
        order: `position ${broken.seq} is out of order`,
        link: "its previous hash does not match the record before it: a record was inserted, removed or altered before it",
        downgrade:
          "it is of format version 1 after a record of version 2: the service writes only version 2 now, so it was written without the service",
        altered: "its contents do not match its hash: the record was altered",
        "leaf-missing":
          "its leaf in the Merkle tree the latest signed checkpoint covers is missing: the stored tree was altered",
        leaf: "it is not the record the latest signed checkpoint covers at its place (its leaf in the Merkle tree differs): the history was rewritten",
      };
      problem = { organisation: org.name, reference: broken.reference, seq: broken.seq, reason: reasons[broken.kind] };
    } else if (tree.problem) {
      problem = { organisation: org.name, reference: null, seq: null, reason: tree.problem };
    } else if (unsigned) {
      const reasons = {
        missing:
          "its body signature is missing: a record of format 2 is always signed with the service's key, so this one was written without it",
        "bad-signature": `its body signature does not hold under the service's key ${unsigned.keyId}: the record was written or changed without that key`,
        "unknown-key": `it is signed by ${unsigned.keyId}, a key this service does not know (LEDGER_VERIFIER_KEYS lists retired keys): it was not written by this service`,
        "outside-validity": `it is signed by ${unsigned.keyId} but dated outside that key's validity period (LEDGER_VERIFIER_KEYS)`,
      };
      problem = {
        organisation: org.name,
        reference: unsigned.reference,
        seq: unsigned.seq,
        reason: reasons[unsigned.check],
      };
    }
  }
  for (const signed of options.heldCheckpoints ?? []) {
    if (problem) break;
    problem = await heldCheckpointCheck(db, signed, trees, keys);
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

export type Verification =
  | { found: false }
  | { found: true; kind: "signed"; withdrawal: { on: string; intact: boolean } | null }
  | { found: true; kind: "withdrawn"; withdraws: string | null; on: string };

/**
 * Whether a record with this reference and hash exists, unaltered, in the ledger, and for a signed record whether
 * it was withdrawn and on which day (UK): nothing else about it, neither names nor reasons. A withdrawal whose own
 * row no longer matches its hash is still reported, as altered, since withdrawals cannot be undone.
 */
export async function verifyReference(db: Db, reference: string, hash: string): Promise<Verification> {
  const [row] = await db
    .select()
    .from(attestations)
    .where(and(eq(attestations.reference, reference), eq(attestations.hash, hash)));
  if (!row || !rowIsIntact(row)) return { found: false };
  if (row.kind === "withdrawn")
    return { found: true, kind: "withdrawn", withdraws: row.subjectReference, on: londonDate(row.recordedAt) };
  const withdrawal = await withdrawalOf(db, row);
  return {
    found: true,
    kind: "signed",
    withdrawal: withdrawal ? { on: londonDate(withdrawal.recordedAt), intact: rowIsIntact(withdrawal) } : null,
  };
}

/**
 * The first withdrawal of a signed record, or null; with `upToSeq`, only one within the chain's first records (those a
 * checkpoint covers).
 */
export async function withdrawalOf(
  db: Db,
  record: Pick<AttestationRow, "organisationId" | "reference">,
  options: { upToSeq?: number } = {},
): Promise<AttestationRow | null> {
  const [withdrawal] = await db
    .select()
    .from(attestations)
    .where(
      and(
        eq(attestations.organisationId, record.organisationId),
        eq(attestations.subjectReference, record.reference),
        eq(attestations.kind, "withdrawn"),
        options.upToSeq === undefined ? undefined : lte(attestations.seq, options.upToSeq),
      ),
    )
    .orderBy(asc(attestations.seq))
    .limit(1);
  return withdrawal ?? null;
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
