import type { LoaderFunctionArgs } from "@remix-run/node";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { downloadEvidenceFile } from "~/tracking/earlier-training.server";
import { download } from "~/http/download.server";

/** HR downloads an evidence file of a person of their own council (audited); anything else is 404. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  if (!isUuid(params.userId) || !isUuid(params.fileId)) throw notFound();
  const file = await downloadEvidenceFile(context.db, hr, params.userId, params.fileId, requestInfo(context));
  if (!file) throw notFound();
  return download(new Uint8Array(file.content), { name: file.fileName, type: file.mediaType });
}
