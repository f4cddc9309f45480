import type { LoaderFunctionArgs } from "@remix-run/node";
import { personalData } from "~/attestation/records.server";
import { requestInfo, requireUser } from "~/auth/access.server";
import { writeAudit } from "~/audit/audit.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const data = await personalData(context.db, user.id);
  await writeAudit(
    context.db,
    {
      action: "records.exported",
      organisationId: user.organisationId,
      actorUserId: user.id,
      subjectType: "user",
      subjectId: user.id,
      details: { format: "json" },
    },
    requestInfo(context),
  );
  return new Response(JSON.stringify(data, null, 2), {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": 'attachment; filename="my-records.json"',
      "Cache-Control": "private, no-store",
    },
  });
}
