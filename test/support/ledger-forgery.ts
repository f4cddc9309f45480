import { desc, eq, sql, type SQL } from "drizzle-orm";
import { newReference, recordHash, type AttestationRow } from "~/attestation/ledger.server";
import type { Db } from "~db/client.server";
import { attestations } from "~db/schema";

const LEDGER_TABLES = ["attestations", "ledger_tree_nodes", "ledger_checkpoints"];

/**
 * Runs statements on the ledger, its tree and its checkpoints with their triggers off, as their owner or a superuser
 * (never the app's role) could.
 */
export async function withLedgerTriggersOff(db: Db, ...statements: SQL[]) {
  await db.transaction(async (tx) => {
    for (const table of LEDGER_TABLES) await tx.execute(sql.raw(`alter table ${table} disable trigger user`));
    for (const statement of statements) await tx.execute(statement);
    for (const table of LEDGER_TABLES) await tx.execute(sql.raw(`alter table ${table} enable trigger user`));
  });
}

/** Removes every trace of an organisation's tree and checkpoints, as someone covering a cut or a rewrite would. */
export function eraseTree(organisationId: string): SQL[] {
  return [
    sql`delete from ledger_tree_nodes where organisation_id = ${organisationId}`,
    sql`delete from ledger_checkpoints where organisation_id = ${organisationId}`,
  ];
}

/** The statement that inserts a row exactly as given (its hash included). */
export function insertRow(row: AttestationRow): SQL {
  return sql`insert into attestations (organisation_id, seq, reference, kind, user_id, policy_version_id, policy_sha256,
        declaration_text, typed_name, recorded_at, ip, user_agent, qualifying_attempt_ids, subject_reference, actor_user_id,
        reason, previous_hash, hash, format_version, signer_name, signer_employee_number, reauth_method, witness_user_id,
        witness_reauth_method, code_issuer_user_id, earlier_training_ids, key_id, body_signature)
      values (${row.organisationId}, ${row.seq}, ${row.reference}, ${row.kind}, ${row.userId}, ${row.policyVersionId},
        ${row.policySha256}, ${row.declarationText}, ${row.typedName}, ${row.recordedAt.toISOString()}, ${row.ip},
        ${row.userAgent}, ${JSON.stringify(row.qualifyingAttemptIds)}::jsonb, ${row.subjectReference}, ${row.actorUserId},
        ${row.reason}, ${row.previousHash}, ${row.hash}, ${row.formatVersion}, ${row.signerName}, ${row.signerEmployeeNumber},
        ${row.reauthMethod}, ${row.witnessUserId}, ${row.witnessReauthMethod}, ${row.codeIssuerUserId},
        ${JSON.stringify(row.earlierTrainingIds)}::jsonb, ${row.keyId}, ${row.bodySignature})`;
}

/**
 * A database-only forger's append at the head of an organisation's chain: a copy of its last record under a new
 * reference and name, linked to it, with a correctly computed hash, but with the signature fields given (by default
 * the copied record's signature, which does not hold over the changed body).
 */
export async function forgedAppend(
  db: Db,
  organisationId: string,
  signature: (draft: AttestationRow) => Partial<Pick<AttestationRow, "keyId" | "bodySignature">> = () => ({}),
): Promise<AttestationRow> {
  const [head] = await db
    .select()
    .from(attestations)
    .where(eq(attestations.organisationId, organisationId))
    .orderBy(desc(attestations.seq))
    .limit(1);
  const draft: AttestationRow = {
    ...head,
    seq: head.seq + 1,
    reference: newReference(),
    previousHash: head.hash,
    typedName: "Somebody Else",
    recordedAt: new Date(head.recordedAt.getTime() + 60_000),
  };
  const forged = { ...draft, ...signature(draft) };
  forged.hash = recordHash(forged);
  await withLedgerTriggersOff(db, insertRow(forged));
  return forged;
}
