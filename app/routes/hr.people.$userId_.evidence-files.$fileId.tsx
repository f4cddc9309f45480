import type { LoaderFunctionArgs } from "@remix-run/node";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { downloadEvidenceFile } from "~/tracking/earlier-training.server";

/** HR downloads an evidence file of a person of their own council (audited); anything else is 404. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  if (!isUuid(params.userId) || !isUuid(params.fileId)) throw notFound();
  const file = await downloadEvidenceFile(context.db, hr, params.userId, params.fileId, requestInfo(context));
  if (!file) throw notFound();
  return new Response(new Uint8Array(file.content), {
    headers: {
      "Content-Type": file.mediaType,
      "Content-Disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
