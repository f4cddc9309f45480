import type { LoaderFunctionArgs } from "@remix-run/node";
import { withdrawalForViewer, withdrawalNoticePdf } from "~/attestation/withdrawal-notice.server";
import { notFound, requireUser } from "~/auth/access.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const withdrawn = await withdrawalForViewer(context.db, user, params.reference ?? "");
  if (!withdrawn) throw notFound();
  const { pdf, sha256 } = await withdrawalNoticePdf(context.db, withdrawn);
  return new Response(pdf, {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="withdrawal-${withdrawn.withdrawal.reference}-of-${withdrawn.record.reference}.pdf"`,
      "X-Content-SHA256": sha256,
      "Cache-Control": "private, no-store",
    },
  });
}
