import { json, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { notFound, requireSession } from "~/auth/access.server";
import { touchSession } from "~/auth/session.server";

export async function loader(_args: LoaderFunctionArgs) {
  throw notFound();
}

/** "Stay signed in" from the timeout warning. */
export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(request, context);
  await touchSession(context.db, session.id, context.now());
  return json({ ok: true });
}
