import type { LoaderFunctionArgs } from "@remix-run/node";
import { AUDIT_CSV_HEADER, auditCsvRow, auditLogEntries, parseAuditLogFilter } from "~/audit/audit-log.server";
import { writeAudit } from "~/audit/audit.server";
import { requestInfo, requireRole } from "~/auth/access.server";
import { csvLine } from "~/lib/csv";
import { londonDate } from "~/lib/dates";
import { toWebStream } from "~/reporting/export.server";
import { download } from "~/http/download.server";

/** The audit log entries the page's filter picks, all of them, as CSV (the formula guard on every cell). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const parsed = parseAuditLogFilter(new URL(request.url).searchParams);
  if (!parsed.success)
    return new Response("Those filters are not valid: correct them on the audit log page.", {
      status: 400,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  const { who, action, from, to } = parsed.data;
  const filter = { who, action, from, to };
  await writeAudit(
    context.db,
    {
      action: "audit-log.exported",
      organisationId: admin.organisationId,
      actorUserId: admin.id,
      subjectType: "organisation",
      subjectId: admin.organisationId,
      details: { filter },
    },
    requestInfo(context),
  );
  const encoder = new TextEncoder();
  async function* chunks() {
    yield encoder.encode(`\uFEFF${csvLine(AUDIT_CSV_HEADER)}`);
    for await (const batch of auditLogEntries(context.db, admin.organisationId, filter))
      yield encoder.encode(batch.map((entry) => csvLine(auditCsvRow(entry))).join(""));
  }
  return download(toWebStream(chunks()), {
    name: `audit-log-${londonDate(context.now())}.csv`,
    type: "text/csv; charset=utf-8",
  });
}
