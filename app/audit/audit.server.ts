import { sql, type SQL } from "drizzle-orm";
import { preparedPerDatabase } from "~/lib/prepared.server";
import type { Db } from "~db/client.server";
import { auditLog } from "~db/schema";

export type RequestInfo = { ip: string | null; requestId: string | null; userAgent?: string | null };

export type AuditEntry = {
  action: string;
  organisationId?: string | null;
  actorUserId?: string | null;
  subjectType?: string | null;
  subjectId?: string | null;
  details?: Record<string, unknown>;
};

const insertAudit = preparedPerDatabase((db) =>
  db
    .insert(auditLog)
    .values({
      action: sql.placeholder("action"),
      organisationId: sql.placeholder("organisationId"),
      actorUserId: sql.placeholder("actorUserId"),
      subjectType: sql.placeholder("subjectType"),
      subjectId: sql.placeholder("subjectId"),
      details: sql.placeholder("details"),
      ip: sql.placeholder("ip"),
      requestId: sql.placeholder("requestId"),
    })
    .prepare("insert_audit"),
);

/** The one audit writer: every import, export, publish, nudge, role change and sign-in goes through it. */
export async function writeAudit(db: Db, entry: AuditEntry, request: RequestInfo): Promise<void> {
  await insertAudit(db).execute({
    action: entry.action,
    organisationId: entry.organisationId ?? null,
    actorUserId: entry.actorUserId ?? null,
    subjectType: entry.subjectType ?? null,
    subjectId: entry.subjectId ?? null,
    details: entry.details ?? {},
    ip: request.ip,
    requestId: request.requestId,
  });
}

/**
 * The entry writeAudit would write, as a statement to run inside another transaction (the ledger's), written
 * only when `onlyIf` holds there: so the record and its audit entry are stored together or not at all.
 */
export function auditStatement(entry: AuditEntry, request: RequestInfo, onlyIf: SQL): SQL {
  return sql`insert into ${auditLog} (action, organisation_id, actor_user_id, subject_type, subject_id, details, ip, request_id)
    select ${entry.action}, ${entry.organisationId ?? null}::uuid, ${entry.actorUserId ?? null}::uuid, ${entry.subjectType ?? null}::text,
           ${entry.subjectId ?? null}::text, ${JSON.stringify(entry.details ?? {})}::jsonb, ${request.ip}::inet, ${request.requestId}::text
    where ${onlyIf}`;
}
