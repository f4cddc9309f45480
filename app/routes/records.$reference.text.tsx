import type { LoaderFunctionArgs } from "@remix-run/node";
import { recordForViewer } from "~/attestation/records.server";
import { notFound, requireUser } from "~/auth/access.server";
import { download } from "~/http/download.server";

/** The exact bytes of the version that was signed (their sha256 is the one in the record). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const found = await recordForViewer(context.db, user, params.reference ?? "");
  if (!found) throw notFound();
  return download(Buffer.from(found.version.body, "utf8"), {
    name: `code-of-conduct-version-${found.version.versionLabel}.txt`,
    type: "text/plain; charset=utf-8",
  });
}
