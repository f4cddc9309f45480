import type { LoaderFunctionArgs } from "@remix-run/node";
import { certificateFor, recordForViewer } from "~/attestation/records.server";
import { notFound, requireUser } from "~/auth/access.server";
import { serviceUrlOf } from "~/http/request.server";
import { download } from "~/http/download.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const found = await recordForViewer(context.db, user, params.reference ?? "");
  if (!found) throw notFound();
  const { pdf, sha256 } = await certificateFor(context.db, found.record, {
    organisationName: found.organisationName,
    versionLabel: found.version.versionLabel,
    policySha256: found.record.policySha256,
    serviceUrl: serviceUrlOf(context.config, request),
    assistance: found.assistance,
  });
  return download(pdf, {
    name: `certificate-${found.record.reference}.pdf`,
    type: "application/pdf",
    headers: { "X-Content-SHA256": sha256 },
  });
}
