import { and, eq } from "drizzle-orm";
import type { CurrentUser } from "~/auth/session.server";
import { inclusionProof } from "~/ledger-proof/merkle";
import { formatReceipt } from "~/ledger-proof/receipt";
import type { Db } from "~db/client.server";
import { attestations } from "~db/schema";
import { latestCheckpoint } from "./checkpoints.server";
import { withStoredTree } from "./ledger-tree.server";
import { canonicalRecord, withdrawalOf, type AttestationRow } from "./ledger.server";

/**
 * A record's receipt (docs/ledger-proofs.md section 5): its canonical JSON, and a C2SP tlog-proof of its leaf in the
 * tree of the organisation's latest checkpoint; when a withdrawal of it is covered by that checkpoint too, the
 * withdrawal with its own proof. Null while no checkpoint covers the record (the checkpointer runs within seconds).
 */
export async function receiptOf(db: Db, record: AttestationRow): Promise<string | null> {
  const checkpoint = await latestCheckpoint(db, record.organisationId);
  if (!checkpoint || checkpoint.treeSize < record.seq) return null;
  const withdrawal = record.kind === "signed" ? await withdrawalOf(db, record, { upToSeq: checkpoint.treeSize }) : null;
  const size = checkpoint.treeSize;
  const [proof, withdrawalProof] = await withStoredTree(db, record.organisationId, (hashOf) =>
    Promise.all([
      inclusionProof(record.seq - 1, size, hashOf),
      withdrawal ? inclusionProof(withdrawal.seq - 1, size, hashOf) : null,
    ]),
  );
  const entry = (row: AttestationRow, nodes: Uint8Array[]) => ({
    record: canonicalRecord(row),
    proof: { index: row.seq - 1, proof: nodes, checkpoint: checkpoint.signedNote },
  });
  return formatReceipt(
    entry(record, proof),
    withdrawal && withdrawalProof ? entry(withdrawal, withdrawalProof) : undefined,
  );
}

/** A record by its reference, whatever its kind, then its receipt; null when there is no such record or no receipt yet. */
export async function receiptFor(db: Db, reference: string): Promise<string | null> {
  const [record] = await db.select().from(attestations).where(eq(attestations.reference, reference));
  return record ? receiptOf(db, record) : null;
}

export type ViewerReceipt = { reference: string; receipt: string | null };

/**
 * The receipt of a signed record, for the people who may see the record (its signer, HR and admins of its council:
 * recordForViewer's rule); null for anyone else or no such record. `receipt` is null until a checkpoint covers it.
 */
export async function receiptForViewer(db: Db, viewer: CurrentUser, reference: string): Promise<ViewerReceipt | null> {
  const [record] = await db
    .select()
    .from(attestations)
    .where(
      and(
        eq(attestations.reference, reference.toUpperCase()),
        eq(attestations.kind, "signed"),
        eq(attestations.organisationId, viewer.organisationId),
      ),
    );
  if (!record) return null;
  if (record.userId !== viewer.id && viewer.role !== "hr" && viewer.role !== "admin") return null;
  return { reference: record.reference, receipt: await receiptOf(db, record) };
}
