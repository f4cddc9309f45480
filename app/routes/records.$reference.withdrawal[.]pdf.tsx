import type { LoaderFunctionArgs } from "@remix-run/node";
import { withdrawalForViewer, withdrawalNoticePdf } from "~/attestation/withdrawal-notice.server";
import { notFound, requireUser } from "~/auth/access.server";
import { download } from "~/http/download.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const withdrawn = await withdrawalForViewer(context.db, user, params.reference ?? "");
  if (!withdrawn) throw notFound();
  const { pdf, sha256 } = await withdrawalNoticePdf(context.db, withdrawn);
  return download(pdf, {
    name: `withdrawal-${withdrawn.withdrawal.reference}-of-${withdrawn.record.reference}.pdf`,
    type: "application/pdf",
    headers: { "X-Content-SHA256": sha256 },
  });
}
