import type { LoaderFunctionArgs } from "@remix-run/node";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { renderEvidencePdf } from "~/reporting/evidence-pdf.server";
import { openEvidence } from "~/reporting/evidence.server";
import { download } from "~/http/download.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const evidence = await openEvidence(
    context.db,
    hr,
    params.userId ?? "",
    "downloaded",
    requestInfo(context),
    context.now(),
  );
  if (!evidence) throw notFound();
  const pdf = await renderEvidencePdf(evidence);
  const day = evidence.producedAt.slice(0, 10);
  return download(new Uint8Array(pdf), {
    name: `evidence-${evidence.person.employeeNumber}-${day}.pdf`,
    type: "application/pdf",
  });
}
