import type { LoaderFunctionArgs } from "@remix-run/node";
import { exportPersonalData } from "~/attestation/records.server";
import { requestInfo, requireUser } from "~/auth/access.server";
import { download } from "~/http/download.server";

/** Subject access: everything held about the person, as JSON. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const body = await exportPersonalData(context.db, user, "json", requestInfo(context));
  return download(body, { name: "my-records.json", type: "application/json; charset=utf-8" });
}
