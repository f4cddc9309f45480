import type { LoaderFunctionArgs } from "@remix-run/node";
import { serviceUrlOf } from "~/http/request.server";
import { redirect } from "@remix-run/node";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import {
  backToExportsPage,
  EXPORT_FORMATS,
  startExport,
  toWebStream,
  type ExportFormat,
} from "~/reporting/export.server";
import { parseReportFilters } from "~/reporting/report.server";
import { download } from "~/http/download.server";

/** Streams the report as CSV, XLSX or xAPI statements: `/hr/export?format=csv&<the report's filters>`. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const params = new URL(request.url).searchParams;
  const format = params.get("format") ?? "";
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw redirect(backToExportsPage(params, "format"));
  const filters = parseReportFilters(params, context.now());
  if (!filters.success) throw redirect(backToExportsPage(params, "filters"));
  const started = await startExport(context.exportDb, format as ExportFormat, {
    organisationId: hr.organisationId,
    filters: filters.data,
    now: context.now(),
    serviceUrl: serviceUrlOf(context.config, request),
    actor: { userId: hr.id, via: "web" },
    request: requestInfo(context),
  });
  if (!started.ok && started.reason === "not-found") throw notFound();
  if (!started.ok) throw redirect(backToExportsPage(params, "xlsx-too-large"));
  return download(toWebStream(started.chunks), { name: started.filename, type: started.contentType });
}
