import type { LoaderFunctionArgs } from "@remix-run/node";
import { exportPersonalData } from "~/attestation/records.server";
import { requestInfo, requireUser } from "~/auth/access.server";
import { download } from "~/http/download.server";

/** Subject access as a spreadsheet: one row per answer given and per ledger record. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const body = await exportPersonalData(context.db, user, "csv", requestInfo(context));
  return download(body, { name: "my-records.csv", type: "text/csv; charset=utf-8" });
}
