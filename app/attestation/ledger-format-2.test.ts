import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "~db/client.server";
import { attestations } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aPolicyVersion } from "../../test/support/factories";
import { appendVersion1Record } from "../../test/support/ledger-v1";
import {
  appendRecord,
  BODY_SQL,
  CANONICAL_SQL,
  canonicalBody,
  canonicalJson,
  canonicalRecord,
  bodyFields,
  hashedFields,
  newReference,
  recordHash,
  rowCheck,
  verifyLedger,
  verifyReference,
  type AttestationRow,
  type NewRecord,
} from "./ledger.server";
import {
  generateSigningKey,
  parseSigningKey,
  parseVerifierKeys,
  serviceKeys,
  signBody,
  type KeyRing,
} from "./service-key.server";

const database = await freshDatabase();
const db = database.db;

async function aCouncilWithVersion() {
  const council = await aCouncil(db);
  const version = await aPolicyVersion(db, council.organisation.id);
  const record = (i: number, extra: Partial<NewRecord> = {}): NewRecord => ({
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
    ...extra,
  });
  return { council, version, record, organisationId: council.organisation.id };
}

/** Changes rows behind the application's back, as someone with the table owner's rights (and no service key) could. */
async function withTriggersOff(statement: ReturnType<typeof sql>) {
  await db.transaction(async (tx) => {
    await tx.execute(sql`alter table attestations disable trigger user`);
    await tx.execute(statement);
    await tx.execute(sql`alter table attestations enable trigger user`);
  });
}

/** What both verifiers say of one record: the whole chain in SQL and Node (ledger:verify), the one record in Node (/verify). */
async function verdicts(organisationId: string, row: { reference: string; hash: string }, keys?: KeyRing) {
  const chain = await verifyLedger(db, { organisationId, keys });
  const verified = await verifyReference(db, row.reference, row.hash);
  return { ledgerVerify: chain.ok, verifyPage: verified.found, problem: chain.problem };
}

/** A forger's append at the head: a format 2 record whose hash is right for whatever signature fields it carries. */
async function forgedAppend(
  organisationId: string,
  template: AttestationRow,
  sign: (row: AttestationRow) => { keyId: string | null; bodySignature: string | null },
) {
  const [head] = await db
    .select()
    .from(attestations)
    .where(eq(attestations.organisationId, organisationId))
    .orderBy(sql`seq desc`)
    .limit(1);
  const draft: AttestationRow = {
    ...template,
    seq: head.seq + 1,
    reference: newReference(),
    previousHash: head.hash,
    typedName: "Somebody Else",
    recordedAt: new Date(template.recordedAt.getTime() + 60_000),
  };
  const forged = { ...draft, ...sign(draft) };
  forged.hash = recordHash(forged);
  await withTriggersOff(
    sql`insert into attestations (organisation_id, seq, reference, kind, user_id, policy_version_id, policy_sha256, declaration_text,
          typed_name, recorded_at, ip, user_agent, qualifying_attempt_ids, subject_reference, actor_user_id, reason, previous_hash, hash,
          format_version, signer_name, signer_employee_number, reauth_method, key_id, body_signature)
        values (${forged.organisationId}, ${forged.seq}, ${forged.reference}, ${forged.kind}, ${forged.userId}, ${forged.policyVersionId},
          ${forged.policySha256}, ${forged.declarationText}, ${forged.typedName}, ${forged.recordedAt.toISOString()}, ${forged.ip},
          ${forged.userAgent}, ${JSON.stringify(forged.qualifyingAttemptIds)}::jsonb, ${forged.subjectReference}, ${forged.actorUserId},
          ${forged.reason}, ${forged.previousHash}, ${forged.hash}, 2, ${forged.signerName}, ${forged.signerEmployeeNumber},
          ${forged.reauthMethod}, ${forged.keyId}, ${forged.bodySignature})`,
  );
  return forged;
}

describe("format version 2 of the signed record", () => {
  it("writes version 2: the new fields, the key id and a body signature, all covered by the hash", async () => {
    const { record, organisationId } = await aCouncilWithVersion();
    const { record: row } = await appendRecord(
      db,
      record(1, { signerName: "Sam Staff", signerEmployeeNumber: "E123", reauthMethod: "password" }),
    );
    expect(row).toMatchObject({
      formatVersion: 2,
      signerName: "Sam Staff",
      signerEmployeeNumber: "E123",
      reauthMethod: "password",
      witnessUserId: null,
      witnessReauthMethod: null,
      codeIssuerUserId: null,
      earlierTrainingIds: [],
      keyId: serviceKeys().signer.keyId,
    });
    expect(row.keyId).toMatch(/^ledger-test-key\.invalid\+[0-9a-f]{8}$/);
    expect(Buffer.from(row.bodySignature!, "base64")).toHaveLength(64);
    // The database computed the stored hash from the version 2 canonical form; Node agrees.
    expect(hashedFields(row)).toMatchObject({ v: 2, keyId: row.keyId, bodySignature: row.bodySignature });
    expect(canonicalRecord(row)).toBe(canonicalJson(hashedFields(row)));
    expect(recordHash(row)).toBe(row.hash);
    // The body is the record without its place in the chain and without the signature, and the signature holds.
    expect(Object.keys(bodyFields(row))).not.toEqual(expect.arrayContaining(["seq"]));
    expect(canonicalBody(row)).toBe(canonicalJson(bodyFields(row)));
    expect(JSON.parse(canonicalBody(row))).not.toHaveProperty("previousHash");
    expect(JSON.parse(canonicalBody(row))).not.toHaveProperty("bodySignature");
    expect(signBody(serviceKeys().signer, canonicalBody(row))).toBe(row.bodySignature);
    expect(rowCheck(row)).toBe("intact");
    expect(await verdicts(organisationId, row)).toMatchObject({ ledgerVerify: true, verifyPage: true });
  });

  it("builds the same canonical JSON and body in the database as in Node, awkward text and ids included", async () => {
    const { council, record } = await aCouncilWithVersion();
    const awkward = 'Zoë "Jo" O’Brien \\ / \n\t\r\b\f \u0001\u001f\u007f 😀 中文 <script>';
    const { record: row } = await appendRecord(
      db,
      record(2, {
        typedName: awkward,
        signerName: awkward,
        signerEmployeeNumber: awkward,
        reauthMethod: "one-time-code",
        witnessUserId: council.hr.id,
        witnessReauthMethod: "passphrase",
        codeIssuerUserId: council.admin.id,
        earlierTrainingIds: ["ffffffff-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000000"],
        qualifyingAttemptIds: ["b0000000-0000-4000-8000-000000000000"],
      }),
    );
    expect(row.earlierTrainingIds).toEqual([
      "00000000-0000-4000-8000-000000000000",
      "ffffffff-0000-4000-8000-000000000000",
    ]);
    const [fromDatabase] = await queryRows<{ canonical: string; body: string }>(
      db,
      sql`select ${CANONICAL_SQL} as canonical, ${BODY_SQL} as body from attestations a where a.reference = ${row.reference}`,
    );
    expect(fromDatabase.canonical).toBe(canonicalRecord(row));
    expect(fromDatabase.body).toBe(canonicalBody(row));
    expect(recordHash(row)).toBe(row.hash);
    expect(rowCheck(row)).toBe("intact");
  });

  it("keeps version 1 records, written as the old code wrote them, verifying beside version 2 records in one chain", async () => {
    const { record, organisationId } = await aCouncilWithVersion();
    const v1a = await appendVersion1Record(db, record(1, { qualifyingAttemptIds: ["b", "a"] }));
    const v1b = await appendVersion1Record(db, { ...record(2), kind: "withdrawn", subjectReference: v1a.reference });
    const { record: v2a } = await appendRecord(db, record(3, { signerName: "Name 3", reauthMethod: "password" }));
    const { record: v2b } = await appendRecord(db, record(4));
    expect([v1a, v1b, v2a, v2b].map((r) => [r.seq, r.formatVersion])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
    ]);
    expect(v2a.previousHash).toBe(v1b.hash);
    // A version 1 hash is over exactly the version 1 fields: nothing of format 2 is in it.
    expect(Object.keys(hashedFields(v1a))).not.toContain("keyId");
    expect(JSON.parse(canonicalRecord(v1a))).toMatchObject({ v: 1 });
    const report = await verifyLedger(db, { organisationId });
    expect(report).toMatchObject({ ok: true, records: 4, problem: null });
    for (const row of [v1a, v1b, v2a, v2b])
      expect(await verifyReference(db, row.reference, row.hash)).toMatchObject({ found: true });
    // An altered version 1 record is still caught.
    await withTriggersOff(sql`update attestations set typed_name = 'Forged' where reference = ${v1a.reference}`);
    expect(await verdicts(organisationId, v1a)).toMatchObject({
      ledgerVerify: false,
      verifyPage: false,
      problem: { seq: 1, reason: expect.stringMatching(/do not match its hash/) },
    });
  });

  it("reports a version 1 record appended after a version 2 one: only the service writes, and it writes version 2", async () => {
    const { record, organisationId } = await aCouncilWithVersion();
    await appendRecord(db, record(1));
    const late = await appendVersion1Record(db, record(2));
    const report = await verifyLedger(db, { organisationId });
    expect(report.problem).toMatchObject({ seq: 2, reference: late.reference });
    expect(report.problem?.reason).toMatch(/format version 1 after a record of version 2/);
  });

  describe("a database-only forger (triggers disabled, no service key) who computes the hash correctly", () => {
    it("is reported when the body signature is not the service key's", async () => {
      const { record, organisationId } = await aCouncilWithVersion();
      const { record: genuine } = await appendRecord(db, record(1, { signerName: "Name 1", reauthMethod: "password" }));
      const otherKey = parseSigningKey(generateSigningKey("ledger-test-key.invalid"));
      // Claims the service's key id but signs with a key of the forger's own.
      const forged = await forgedAppend(organisationId, genuine, (draft) => ({
        keyId: genuine.keyId,
        bodySignature: signBody(otherKey, canonicalBody(draft)),
      }));
      expect(recordHash(forged)).toBe(forged.hash);
      const verdict = await verdicts(organisationId, forged);
      expect(verdict).toMatchObject({
        ledgerVerify: false,
        verifyPage: false,
        problem: { seq: 2, reference: forged.reference },
      });
      expect(verdict.problem?.reason).toMatch(/body signature does not hold under the service's key/);
      // The genuine record before it still verifies on its own.
      expect(await verifyReference(db, genuine.reference, genuine.hash)).toMatchObject({ found: true });
    });

    it("is reported when the forger signs with a key of their own under its own key id", async () => {
      const { record, organisationId } = await aCouncilWithVersion();
      const { record: genuine } = await appendRecord(db, record(1));
      const otherKey = parseSigningKey(generateSigningKey("forger.example"));
      const forged = await forgedAppend(organisationId, genuine, (draft) => ({
        keyId: otherKey.keyId,
        bodySignature: signBody(otherKey, canonicalBody({ ...draft, keyId: otherKey.keyId })),
      }));
      const verdict = await verdicts(organisationId, forged);
      expect(verdict).toMatchObject({ ledgerVerify: false, verifyPage: false, problem: { seq: 2 } });
      expect(verdict.problem?.reason).toMatch(/a key this service does not know/);
    });

    it("is reported when a genuine signature is moved onto other contents", async () => {
      const { record, organisationId } = await aCouncilWithVersion();
      const { record: genuine } = await appendRecord(db, record(1));
      const forged = await forgedAppend(organisationId, genuine, () => ({
        keyId: genuine.keyId,
        bodySignature: genuine.bodySignature,
      }));
      expect(await verdicts(organisationId, forged)).toMatchObject({
        ledgerVerify: false,
        verifyPage: false,
        problem: { seq: 2, reason: expect.stringMatching(/body signature does not hold/) },
      });
    });

    it("is reported when the body signature is missing (the forger dropped the check constraint too)", async () => {
      const { record, organisationId } = await aCouncilWithVersion();
      const { record: genuine } = await appendRecord(db, record(1));
      await db.execute(sql`alter table attestations drop constraint attestations_format_check`);
      try {
        const forged = await forgedAppend(organisationId, genuine, () => ({ keyId: null, bodySignature: null }));
        expect(await verdicts(organisationId, forged)).toMatchObject({
          ledgerVerify: false,
          verifyPage: false,
          problem: { seq: 2, reason: expect.stringMatching(/body signature is missing/) },
        });
        // Removed again so that the rest of this file's database is as the migrations left it.
        await withTriggersOff(sql`delete from attestations where reference = ${forged.reference}`);
      } finally {
        await db.execute(sql`alter table attestations add constraint attestations_format_check check (
          (format_version = 1 and key_id is null and body_signature is null and signer_name is null
            and signer_employee_number is null and reauth_method is null and witness_user_id is null
            and witness_reauth_method is null and code_issuer_user_id is null and earlier_training_ids = '[]'::jsonb)
          or (format_version = 2 and key_id is not null and body_signature is not null))`);
      }
    });

    it("is refused by the database itself when it writes version 2 without a signature and leaves the constraint", async () => {
      const { record, organisationId } = await aCouncilWithVersion();
      const { record: genuine } = await appendRecord(db, record(1));
      await expect(
        forgedAppend(organisationId, genuine, () => ({ keyId: null, bodySignature: null })),
      ).rejects.toThrow();
    });

    it("is reported when a record rewritten in place has a recomputed hash: its signature no longer holds", async () => {
      const { record, organisationId } = await aCouncilWithVersion();
      const rows = [];
      for (let i = 0; i < 3; i++) rows.push((await appendRecord(db, record(i))).record);
      const rewritten = { ...rows[1], typedName: "Forged" };
      await withTriggersOff(
        sql`update attestations set typed_name = 'Forged', hash = ${recordHash(rewritten)} where reference = ${rows[1].reference}`,
      );
      const report = await verifyLedger(db, { organisationId });
      expect(report.problem).toMatchObject({ seq: 2, reference: rows[1].reference });
      expect(report.problem?.reason).toMatch(/body signature does not hold/);
    });
  });

  describe("keys and rotation", () => {
    it("keeps records signed by a retired key verifying, within its validity period, once the new key signs", async () => {
      const { record, organisationId } = await aCouncilWithVersion();
      const oldKey = parseSigningKey(generateSigningKey("conduct.example.gov.uk"));
      const newKey = parseSigningKey(generateSigningKey("conduct.example.gov.uk"));
      const { record: before } = await appendRecord(db, record(1), undefined, undefined, { key: oldKey });
      const { record: after } = await appendRecord(db, record(30), undefined, undefined, { key: newKey });
      expect(before.keyId).not.toBe(after.keyId);
      const rotatedAt = new Date(Date.UTC(2026, 0, 1, 9, 0, 10)).toISOString();
      const ring: KeyRing = {
        signer: newKey,
        verifiers: [
          ...parseVerifierKeys(`# retired\n${oldKey.verifierKey}@/${rotatedAt}`),
          ...parseVerifierKeys(newKey.verifierKey),
        ],
      };
      expect(await verifyLedger(db, { organisationId, keys: ring })).toMatchObject({ ok: true, records: 2 });
      expect(rowCheck(before, ring)).toBe("intact");
      expect(rowCheck(after, ring)).toBe("intact");
      // Without the retired key, its records cannot be checked: reported, never passed.
      const forgetful = { verifiers: parseVerifierKeys(newKey.verifierKey) };
      expect(rowCheck(before, forgetful)).toBe("unknown-key");
      expect((await verifyLedger(db, { organisationId, keys: forgetful })).problem).toMatchObject({ seq: 1 });
      // A record the retired key signed but dated after its retirement is reported.
      const { record: late } = await appendRecord(db, record(40), undefined, undefined, { key: oldKey });
      expect(rowCheck(late, ring)).toBe("outside-validity");
      const report = await verifyLedger(db, { organisationId, keys: ring });
      expect(report.problem).toMatchObject({
        seq: 3,
        reason: expect.stringMatching(/outside that key's validity period/),
      });
    });
  });
});
