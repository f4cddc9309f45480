import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { startEvidencePack } from "~/reporting/evidence-pack.server";
import { serviceUrlOf } from "~/http/request.server";
import { backToExportsPage, toWebStream } from "~/reporting/export.server";
import { parseReportFilters } from "~/reporting/report.server";
import { download } from "~/http/download.server";

/** Streams the evidence pack (ZIP) for the report's filters: `/hr/evidence-pack?<the report's filters>`. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const params = new URL(request.url).searchParams;
  const filters = parseReportFilters(params, context.now());
  if (!filters.success) throw redirect(backToExportsPage(params, "filters"));
  const started = await startEvidencePack(context.exportDb, {
    organisationId: hr.organisationId,
    filters: filters.data,
    now: context.now(),
    serviceUrl: serviceUrlOf(context.config, request),
    actor: { userId: hr.id, via: "web" },
    request: requestInfo(context),
  });
  if (!started.ok) throw notFound();
  return download(toWebStream(started.chunks), { name: started.filename, type: started.contentType });
}
