import { and, eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import { londonDate } from "~/lib/dates";
import type { Mailer } from "~/mail/mailer.server";
import { queryRows, type Db } from "~db/client.server";
import { ledgerWitnessMails, organisations } from "~db/schema";

/**
 * A council's witness (docs/decisions/0024): an address outside the service (HR, internal audit) to which the daily job
 * e-mails the council's latest signed checkpoint, so that a copy exists outside our control to check the ledger
 * against later (`npm run ledger:verify -- --checkpoint FILE`).
 */

export async function witnessSettings(db: Db, organisationId: string) {
  const [organisation] = await db
    .select({ email: organisations.witnessEmail })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  return { email: organisation?.email ?? null };
}

/** An admin names the address (null: none). The address already set writes nothing. Returns whether it changed. */
export async function changeWitnessEmail(
  db: Db,
  admin: CurrentUser,
  input: { email: string | null },
  request: RequestInfo,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ email: organisations.witnessEmail })
      .from(organisations)
      .where(eq(organisations.id, admin.organisationId))
      .for("update");
    if (!before || before.email === input.email) return false;
    await tx.update(organisations).set({ witnessEmail: input.email }).where(eq(organisations.id, admin.organisationId));
    await writeAudit(
      tx,
      {
        action: "ledger-witness.changed",
        organisationId: admin.organisationId,
        actorUserId: admin.id,
        subjectType: "organisation",
        subjectId: admin.organisationId,
        details: { before: { email: before.email }, after: { email: input.email } },
      },
      request,
    );
    return true;
  });
}

type Due = { organisation_id: string; name: string; email: string; tree_size: string | number; signed_note: string };

/**
 * The daily job's part: each council with a witness address and a checkpoint gets its latest checkpoint e-mailed once
 * a day (London), its failure retried on that day's later runs. Without SMTP nothing is recorded, so the day's mail
 * goes once SMTP is set.
 */
export async function mailCheckpointsToWitnesses(
  db: Db,
  mailer: Mailer | null,
  clock: { now: Date },
): Promise<{ sent: number; failed: number }> {
  if (!mailer) return { sent: 0, failed: 0 };
  const day = londonDate(clock.now);
  const due = await queryRows<Due>(
    db,
    sql`select o.id as organisation_id, o.name, o.witness_email as email, c.tree_size, c.signed_note
        from organisations o
        join lateral (select tree_size, signed_note from ledger_checkpoints c
                      where c.organisation_id = o.id order by tree_size desc limit 1) c on true
        where o.witness_email is not null
          and not exists (select 1 from ledger_witness_mails m
                          where m.organisation_id = o.id and m.day = ${day}::date and m.status = 'sent')`,
  );
  let sent = 0;
  let failed = 0;
  for (const council of due) {
    const treeSize = Number(council.tree_size);
    const [claimed] = await queryRows<{ claimed: boolean }>(
      db,
      sql`insert into ledger_witness_mails (organisation_id, day, tree_size, email, status)
          values (${council.organisation_id}, ${day}::date, ${treeSize}, ${council.email}, 'pending')
          on conflict (organisation_id, day) do update set tree_size = excluded.tree_size, email = excluded.email,
            status = 'pending'
            where ledger_witness_mails.status = 'failed'
          returning true as claimed`,
    );
    if (!claimed) continue;
    let status = "sent";
    try {
      await mailer.send({
        to: council.email,
        subject: `${council.name}: the ledger's signed checkpoint of ${day}`,
        text: [
          `This is the signed checkpoint of ${council.name}'s ledger of signed records on ${day}: ${treeSize} records.`,
          "",
          "Keep this e-mail. With it, the service's operators can prove at any time that no record it covers has since",
          "been removed or rewritten: save the lines between the markers below, exactly, as checkpoint.txt and run",
          "npm run ledger:verify -- --checkpoint checkpoint.txt",
          "",
          "----- begin checkpoint -----",
          council.signed_note.trimEnd(),
          "----- end checkpoint -----",
        ].join("\n"),
      });
      sent++;
    } catch {
      status = "failed";
      failed++;
    }
    await db
      .update(ledgerWitnessMails)
      .set({ status })
      .where(and(eq(ledgerWitnessMails.organisationId, council.organisation_id), eq(ledgerWitnessMails.day, day)));
  }
  return { sent, failed };
}
