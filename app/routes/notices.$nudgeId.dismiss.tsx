import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { isUuid, notFound, requireUser } from "~/auth/access.server";
import { safeReturnTo } from "~/auth/sign-in.server";
import { dismissNotices } from "~/tracking/nudges.server";

export async function loader() {
  throw notFound();
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  if (!isUuid(params.nudgeId)) throw notFound();
  const form = await request.formData();
  if (!(await dismissNotices(context.db, user.id, params.nudgeId, context.now()))) throw notFound();
  return redirect(safeReturnTo(form.get("returnTo")));
}
