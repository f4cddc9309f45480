import { createHash, randomBytes } from "node:crypto";
import { and, asc, desc, eq, gt, sql } from "drizzle-orm";
import { canonicalJson } from "~/lib/canonical-json";
import type { Db } from "~db/client.server";
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

const FIELD_ORDER = Object.keys(hashedFields({ recordedAt: new Date(0), qualifyingAttemptIds: [] } as unknown as Hashable)).sort();

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

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Appends one record to its organisation's chain. The per-organisation advisory lock is taken before
 * the head is read, under READ COMMITTED, so concurrent appends queue and the chain never forks
 * (under REPEATABLE READ the snapshot would predate the lock: see docs/decisions). `guard` runs inside
 * the lock and may return an existing record instead, which makes "sign once" race-free.
 */
export async function appendRecord(
  db: Db,
  record: NewRecord,
  guard?: (tx: Tx) => Promise<AttestationRow | null>,
): Promise<{ record: AttestationRow; created: boolean }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7201, hashtext(${record.organisationId}))`);
    // Both reads go down the one connection together (postgres.js pipelines them): the lock is held for fewer round trips.
    const [existing, [head]] = await Promise.all([
      guard ? guard(tx) : null,
      tx
        .select({ seq: attestations.seq, hash: attestations.hash })
        .from(attestations)
        .where(eq(attestations.organisationId, record.organisationId))
        .orderBy(desc(attestations.seq))
        .limit(1),
    ]);
    if (existing) return { record: existing, created: false };
    const hashable: Hashable = { ...record, seq: (head?.seq ?? 0) + 1, reference: newReference(), previousHash: head?.hash ?? GENESIS_HASH };
    const [row] = await tx
      .insert(attestations)
      .values({ ...hashable, hash: recordHash(hashable) })
      .returning();
    return { record: row, created: true };
  });
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

const BATCH = 10_000;

/**
 * Recomputes every chain in order, in batches (memory stays flat). The first record whose contents,
 * predecessor or position do not match is reported. A chain alone cannot show that records were cut from
 * its end: give `expectHeads` (heads kept outside the database) to catch that too.
 */
export async function verifyLedger(db: Db, options: { expectHeads?: ChainHead[]; organisationId?: string } = {}): Promise<LedgerReport> {
  const orgs = await db
    .select({ id: organisations.id, name: organisations.name })
    .from(organisations)
    .where(options.organisationId ? eq(organisations.id, options.organisationId) : undefined)
    .orderBy(asc(organisations.id));
  const chains: ChainReport[] = [];
  let total = 0;
  let problem: LedgerProblem | null = null;
  const seen = new Map<string, string>();
  for (const org of orgs) {
    let expectedSeq = 1;
    let previousHash = GENESIS_HASH;
    let head: ChainHead | null = null;
    let lastSeq = 0;
    let count = 0;
    for (;;) {
      const rows = await db
        .select()
        .from(attestations)
        .where(and(eq(attestations.organisationId, org.id), gt(attestations.seq, lastSeq)))
        .orderBy(asc(attestations.seq))
        .limit(BATCH);
      for (const row of rows) {
        if (!problem) {
          const at = { organisation: org.name, reference: row.reference, seq: row.seq };
          if (row.seq !== expectedSeq) {
            problem = { ...at, reason: row.seq > expectedSeq ? `record ${expectedSeq} of the chain is missing: it goes from ${expectedSeq - 1} to ${row.seq}` : `position ${row.seq} is out of order` };
          } else if (row.previousHash !== previousHash) {
            problem = { ...at, reason: "its previous hash does not match the record before it: a record was inserted, removed or altered before it" };
          } else if (!rowIsIntact(row)) {
            problem = { ...at, reason: "its contents do not match its hash: the record was altered" };
          }
        }
        seen.set(row.reference, row.hash);
        expectedSeq = row.seq + 1;
        previousHash = row.hash;
        head = { reference: row.reference, hash: row.hash };
        count++;
      }
      if (rows.length < BATCH) break;
      lastSeq = rows[rows.length - 1].seq;
    }
    total += count;
    chains.push({ organisationId: org.id, organisation: org.name, records: count, head });
  }
  for (const expected of options.expectHeads ?? []) {
    if (problem) break;
    const stored = seen.get(expected.reference);
    if (stored === undefined) {
      problem = { organisation: "", reference: expected.reference, seq: null, reason: `the expected head ${expected.reference} is gone: records were cut from the end of the chain` };
    } else if (stored !== expected.hash) {
      problem = { organisation: "", reference: expected.reference, seq: null, reason: `the expected head ${expected.reference} has a different hash: the record was changed or replaced` };
    }
  }
  return { ok: problem === null, records: total, chains, problem };
}

/** Whether a record with this reference and hash exists, unaltered, in the ledger (and nothing else about it). */
export async function verifyReference(db: Db, reference: string, hash: string): Promise<boolean> {
  const [row] = await db.select().from(attestations).where(and(eq(attestations.reference, reference), eq(attestations.hash, hash)));
  return Boolean(row && rowIsIntact(row));
}

