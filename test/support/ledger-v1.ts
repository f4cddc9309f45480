import { desc, eq, sql } from "drizzle-orm";
import { GENESIS_HASH, newReference, recordHash, sortedIds, type NewRecord } from "~/attestation/ledger.server";
import type { Db } from "~db/client.server";
import { attestations } from "~db/schema";

/**
 * Appends a record of format version 1 as the service wrote them before format 2 (docs/decisions/0015): the same
 * lock, the same head, the hash of the version 1 canonical form, no signature. For tests only: the service itself
 * now writes version 2, and verification must keep accepting these.
 */
export async function appendVersion1Record(db: Db, record: NewRecord) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7201, hashtext(${record.organisationId}))`);
    const [head] = await tx
      .select({ seq: attestations.seq, hash: attestations.hash })
      .from(attestations)
      .where(eq(attestations.organisationId, record.organisationId))
      .orderBy(desc(attestations.seq))
      .limit(1);
    const placed = {
      ...record,
      qualifyingAttemptIds: sortedIds(record.qualifyingAttemptIds),
      seq: (head?.seq ?? 0) + 1,
      reference: newReference(),
      previousHash: head?.hash ?? GENESIS_HASH,
      formatVersion: 1,
    };
    const [row] = await tx
      .insert(attestations)
      .values({
        organisationId: placed.organisationId,
        seq: placed.seq,
        reference: placed.reference,
        kind: placed.kind,
        userId: placed.userId,
        policyVersionId: placed.policyVersionId,
        policySha256: placed.policySha256,
        declarationText: placed.declarationText,
        typedName: placed.typedName,
        recordedAt: placed.recordedAt,
        ip: placed.ip,
        userAgent: placed.userAgent,
        qualifyingAttemptIds: placed.qualifyingAttemptIds,
        subjectReference: placed.subjectReference,
        actorUserId: placed.actorUserId,
        reason: placed.reason,
        previousHash: placed.previousHash,
        hash: recordHash(placed),
      })
      .returning();
    return row;
  });
}
