import type { LoaderFunctionArgs } from "@remix-run/node";
import { exportPersonalData } from "~/attestation/records.server";
import { requestInfo, requireUser } from "~/auth/access.server";

/** Subject access: everything held about the person, as JSON. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const body = await exportPersonalData(context.db, user, "json", requestInfo(context));
  return new Response(body, {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": 'attachment; filename="my-records.json"',
      "Cache-Control": "private, no-store",
    },
  });
}
