import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { attestations } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aPolicyVersion, databaseError } from "../../test/support/factories";
import { appendVersion1Record } from "../../test/support/ledger-v1";
import { queryRows } from "~db/client.server";
import {
  appendRecord,
  CANONICAL_SQL,
  canonicalJson,
  canonicalRecord,
  GENESIS_HASH,
  hashedFields,
  recordHash,
  sortedIds,
  verifyLedger,
  verifyReference,
  type NewRecord,
} from "./ledger.server";

const database = await freshDatabase({ maxConnections: 20 });
const db = database.db;

async function aChain(length: number) {
  const council = await aCouncil(db);
  const version = await aPolicyVersion(db, council.organisation.id);
  const record = (i: number): NewRecord => ({
    organisationId: council.organisation.id,
    kind: "signed",
    userId: council.staff.id,
    policyVersionId: version.id,
    policySha256: version.sha256,
    declarationText: "I have read it.",
    typedName: `Name ${i}`,
    recordedAt: new Date(Date.UTC(2026, 0, 1, 9, 0, i)),
    ip: "192.0.2.1",
    userAgent: "test",
    qualifyingAttemptIds: [],
    subjectReference: null,
    actorUserId: council.staff.id,
    reason: null,
  });
  const rows = [];
  for (let i = 0; i < length; i++) rows.push((await appendRecord(db, record(i))).record);
  return { council, version, rows, record };
}

/** Changes rows behind the application's back, as an attacker with the table owner's rights could. */
async function withTriggersOff(statement: ReturnType<typeof sql>) {
  await db.transaction(async (tx) => {
    await tx.execute(sql`alter table attestations disable trigger user`);
    await tx.execute(statement);
    await tx.execute(sql`alter table attestations enable trigger user`);
  });
}

describe("the attestation ledger", () => {
  it("hashes the RFC 8785 form of the record: the fast writer agrees with the general one", async () => {
    const { rows } = await aChain(1);
    const row = rows[0];
    const tricky = {
      ...row,
      typedName: 'Zoë "Jo" O\u2019Brien\n\u0007',
      userAgent: null,
      qualifyingAttemptIds: ["b", "a"],
    };
    expect(canonicalRecord(tricky)).toBe(canonicalJson(hashedFields(tricky)));
    expect(recordHash(row)).toBe(row.hash);
  });

  it("builds the same canonical JSON in the database as in Node, awkward text included", async () => {
    const council = await aCouncil(db);
    const version = await aPolicyVersion(db, council.organisation.id);
    const awkward = 'Zoë "Jo" O’Brien \\ / \n\t\r\b\f \u0001\u001f\u007f 😀 中文 <script>';
    const { record } = await appendRecord(db, {
      organisationId: council.organisation.id,
      kind: "withdrawn",
      userId: council.staff.id,
      policyVersionId: version.id,
      policySha256: version.sha256,
      declarationText: awkward,
      typedName: null,
      recordedAt: new Date(Date.UTC(2026, 6, 1, 23, 59, 59, 7)),
      ip: null,
      userAgent: awkward,
      qualifyingAttemptIds: ["ffffffff-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000000"],
      subjectReference: "ATT-0000-0000",
      actorUserId: null,
      reason: awkward,
    });
    const [fromDatabase] = await queryRows<{ canonical: string }>(
      db,
      sql`select ${CANONICAL_SQL} as canonical from attestations a where a.reference = ${record.reference}`,
    );
    expect(fromDatabase.canonical).toBe(canonicalRecord(record));
    // The database computed the stored hash; Node computes the same one from the row.
    expect(record.hash).toBe(recordHash(record));
    expect((await verifyLedger(db, { organisationId: council.organisation.id })).ok).toBe(true);
  });

  it("appends nothing when a statement of the append fails, and the next append links to the real head", async () => {
    const { rows, council, record } = await aChain(2);
    const broken = { ...record(7), policyVersionId: "00000000-0000-4000-8000-000000000000" };
    await expect(appendRecord(db, broken)).rejects.toThrow();
    const { record: next } = await appendRecord(db, record(8));
    expect(next).toMatchObject({ seq: 3, previousHash: rows[1].hash });
    expect(await verifyLedger(db, { organisationId: council.organisation.id })).toMatchObject({ ok: true, records: 3 });
  });

  it("returns the record a guard finds instead of appending, inside the lock", async () => {
    const { rows, council, record } = await aChain(1);
    const guard = db.select().from(attestations).where(eq(attestations.reference, rows[0].reference));
    const results = await Promise.all([1, 2, 3].map((i) => appendRecord(db, record(i), guard)));
    expect(results.map((r) => [r.created, r.record])).toEqual([1, 2, 3].map(() => [false, rows[0]]));
    expect(await verifyLedger(db, { organisationId: council.organisation.id })).toMatchObject({ ok: true, records: 1 });
  });

  it("chains each record to the one before, from the genesis hash", async () => {
    const { rows, council } = await aChain(3);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0].previousHash).toBe(GENESIS_HASH);
    expect(rows[1].previousHash).toBe(rows[0].hash);
    expect(rows[2].previousHash).toBe(rows[1].hash);
    const report = await verifyLedger(db, { organisationId: council.organisation.id });
    expect(report).toMatchObject({ ok: true, records: 3, problem: null });
    expect(report.chains[0].head).toEqual({ reference: rows[2].reference, hash: rows[2].hash });
  });

  it("keeps one unbroken chain under 50 concurrent appends", async () => {
    const { council, record } = await aChain(0);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => appendRecord(db, record(i))));
    expect(results.every((r) => r.created)).toBe(true);
    const rows = await db
      .select()
      .from(attestations)
      .where(eq(attestations.organisationId, council.organisation.id))
      .orderBy(attestations.seq);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.previousHash)).size).toBe(50);
    expect(await verifyLedger(db, { organisationId: council.organisation.id })).toMatchObject({
      ok: true,
      records: 50,
    });
  });

  it("refuses UPDATE, DELETE and TRUNCATE in the database", async () => {
    await aChain(1);
    expect(await databaseError(db.execute(sql`update attestations set typed_name = 'someone else'`))).toMatch(
      /append-only/,
    );
    expect(await databaseError(db.execute(sql`delete from attestations`))).toMatch(/append-only/);
    expect(await databaseError(db.execute(sql`truncate attestations cascade`))).toMatch(/append-only/);
  });

  it("names the first altered record when a row is changed behind the app's back", async () => {
    const { rows, council } = await aChain(4);
    await withTriggersOff(sql`update attestations set typed_name = 'Forged' where reference = ${rows[2].reference}`);
    const report = await verifyLedger(db, { organisationId: council.organisation.id });
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject({ reference: rows[2].reference, seq: 3 });
    expect(report.problem?.reason).toMatch(/altered/);
    expect(await verifyReference(db, rows[2].reference, rows[2].hash)).toEqual({ found: false });
    expect(await verifyReference(db, rows[1].reference, rows[1].hash)).toMatchObject({ found: true });
  });

  it("names the record after a gap when a row is removed", async () => {
    const { rows, council } = await aChain(4);
    await withTriggersOff(sql`delete from attestations where reference = ${rows[1].reference}`);
    const report = await verifyLedger(db, { organisationId: council.organisation.id });
    expect(report.problem).toMatchObject({ reference: rows[2].reference, seq: 3 });
    expect(report.problem?.reason).toMatch(/missing/);
  });

  it("catches a record inserted with a recomputed hash, because its successor no longer links", async () => {
    // Version 1 records, which carry no signature of the service: the link alone shows it (ledger-format-2.test.ts
    // shows that a version 2 record rewritten so is reported at once, by its body signature).
    const { council, record } = await aChain(0);
    const rows = [];
    for (let i = 0; i < 3; i++) rows.push(await appendVersion1Record(db, record(i)));
    // Rewrite record 2 as a forger would: new contents and a correct hash for them.
    const forged = {
      ...record(99),
      seq: 2,
      reference: rows[1].reference,
      previousHash: rows[0].hash,
      formatVersion: 1,
    };
    await withTriggersOff(
      sql`update attestations set typed_name = ${forged.typedName}, recorded_at = ${forged.recordedAt.toISOString()}, hash = ${recordHash(forged)} where reference = ${rows[1].reference}`,
    );
    const report = await verifyLedger(db, { organisationId: council.organisation.id });
    expect(report.problem).toMatchObject({ reference: rows[2].reference, seq: 3 });
    expect(report.problem?.reason).toMatch(/previous hash/);
  });

  describe("the order of qualifyingAttemptIds (one rule for both verifiers: the hash covers them sorted)", () => {
    const ids = [
      "3f0e0b6c-0000-4000-8000-000000000003",
      "00c1a5e2-0000-4000-8000-000000000001",
      "a7d4f1b9-0000-4000-8000-000000000002",
    ];

    async function aRecordWithAttempts() {
      const { council, record } = await aChain(0);
      const { record: row } = await appendRecord(db, { ...record(1), qualifyingAttemptIds: ids });
      return { council, row };
    }

    /** What each verifier says of one record: the whole-chain check in SQL (ledger:verify) and the per-record check in Node (/verify). */
    async function verdicts(council: { organisation: { id: string } }, row: { reference: string; hash: string }) {
      const chain = await verifyLedger(db, { organisationId: council.organisation.id });
      const verified = await verifyReference(db, row.reference, row.hash);
      return { ledgerVerify: chain.ok, verifyPage: verified.found };
    }

    it("stores them sorted, as hashed", async () => {
      const { row } = await aRecordWithAttempts();
      expect(row.qualifyingAttemptIds).toEqual([...ids].sort());
    });

    it("both verifiers accept a record whose stored array was reordered in place: the order says nothing", async () => {
      const { council, row } = await aRecordWithAttempts();
      const reordered = [...ids].sort().reverse();
      await withTriggersOff(
        sql`update attestations set qualifying_attempt_ids = ${JSON.stringify(reordered)}::jsonb where reference = ${row.reference}`,
      );
      const [stored] = await db.select().from(attestations).where(eq(attestations.reference, row.reference));
      expect(stored.qualifyingAttemptIds).toEqual(reordered);
      expect(await verdicts(council, row)).toEqual({ ledgerVerify: true, verifyPage: true });
    });

    it("both verifiers refuse a record whose stored array lost or gained an id", async () => {
      for (const changed of [ids.slice(1), [...ids, "ffffffff-0000-4000-8000-00000000000f"]]) {
        const { council, row } = await aRecordWithAttempts();
        await withTriggersOff(
          sql`update attestations set qualifying_attempt_ids = ${JSON.stringify(changed)}::jsonb where reference = ${row.reference}`,
        );
        expect(await verdicts(council, row)).toEqual({ ledgerVerify: false, verifyPage: false });
      }
    });

    it("builds the same canonical JSON in the database as in Node, whatever the stored order and contents", async () => {
      const awkward = ['a", ', 'b\\"', "\u{1F600}", "\uE000", "\n", "é"];
      for (const stored of [[...ids].reverse(), ids, [...ids, ...awkward], awkward.slice(0, 2), awkward.slice(2, 4)]) {
        const { row } = await aRecordWithAttempts();
        await withTriggersOff(
          sql`update attestations set qualifying_attempt_ids = ${JSON.stringify(stored)}::jsonb where reference = ${row.reference}`,
        );
        const [read] = await db.select().from(attestations).where(eq(attestations.reference, row.reference));
        const [fromDatabase] = await queryRows<{ canonical: string }>(
          db,
          sql`select ${CANONICAL_SQL} as canonical from attestations a where a.reference = ${row.reference}`,
        );
        expect(fromDatabase.canonical).toBe(canonicalRecord(read));
      }
    });

    it('sorts by code point, as PostgreSQL\'s COLLATE "C" does, not by UTF-16 code unit', () => {
      expect(sortedIds(["\u{1F600}", "\uE000", "b", "a"])).toEqual(["a", "b", "\uE000", "\u{1F600}"]);
    });

    it("both verifiers refuse a record whose array holds something other than strings", async () => {
      for (const changed of [[1, 2], [null], [{ id: ids[0] }], ids[0], { 0: ids[0] }]) {
        const { council, row } = await aRecordWithAttempts();
        await withTriggersOff(
          sql`update attestations set qualifying_attempt_ids = ${JSON.stringify(changed)}::jsonb where reference = ${row.reference}`,
        );
        expect(await verdicts(council, row)).toEqual({ ledgerVerify: false, verifyPage: false });
      }
    });
  });

  it("cannot see records cut from the end by itself, but a head kept elsewhere can", async () => {
    const { rows, council } = await aChain(3);
    const head = { reference: rows[2].reference, hash: rows[2].hash };
    await withTriggersOff(sql`delete from attestations where reference = ${rows[2].reference}`);
    expect((await verifyLedger(db, { organisationId: council.organisation.id })).ok).toBe(true);
    const report = await verifyLedger(db, { organisationId: council.organisation.id, expectHeads: [head] });
    expect(report.ok).toBe(false);
    expect(report.problem?.reason).toMatch(/cut from the end/);
  });
});
