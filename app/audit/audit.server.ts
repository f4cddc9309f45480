import { sql } from "drizzle-orm";
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
