import type { LoaderFunctionArgs } from "@remix-run/node";
import { recordForViewer } from "~/attestation/records.server";
import { notFound, requireUser } from "~/auth/access.server";

/** The exact bytes of the version that was signed (their sha256 is the one in the record). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const found = await recordForViewer(context.db, user, params.reference ?? "");
  if (!found) throw notFound();
  return new Response(Buffer.from(found.version.body, "utf8"), {
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Disposition": `attachment; filename="code-of-conduct-version-${found.version.versionLabel}.txt"`,
      "Cache-Control": "private, no-store",
    },
  });
}
