import type { LoaderFunctionArgs } from "@remix-run/node";
import { receiptForViewer } from "~/attestation/receipts.server";
import { notFound, requireUser } from "~/auth/access.server";
import { download } from "~/http/download.server";

/** A record's receipt (docs/ledger-proofs.md), for the people who may see the record; 404 until a checkpoint covers it. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const found = await receiptForViewer(context.db, user, params.reference ?? "");
  if (!found?.receipt) throw notFound();
  return download(found.receipt, { name: `receipt-${found.reference}.json`, type: "application/json; charset=utf-8" });
}
