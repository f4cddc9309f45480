import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { getSession, requestInfo } from "~/auth/access.server";
import { finishAssistedSession } from "~/auth/assisted.server";
import { cookiesFor } from "~/auth/cookies.server";
import { signOut } from "~/auth/sign-in.server";

export async function loader(_args: LoaderFunctionArgs) {
  return redirect("/");
}

/** Revokes the session on the server, not only in the browser, then forgets the cookie. */
export async function action({ request, context }: ActionFunctionArgs) {
  const session = await getSession(request, context);
  const cookie = await cookiesFor(context.config).session.serialize("", { maxAge: 0 });
  // Signing out of an assisted session is its Finish: the shared device goes back to the sign-in page.
  if (session?.assisted) {
    await finishAssistedSession(context.db, session, { ...requestInfo(context), now: context.now() });
    return redirect("/sign-in", { headers: { "Set-Cookie": cookie } });
  }
  if (session) await signOut(context.db, session, { ...requestInfo(context), now: context.now() });
  // Signed in through the council's provider: the signed-out page offers the provider's own sign-out.
  const from = session?.method === "provider" ? `?council=${encodeURIComponent(session.user.organisationSlug)}` : "";
  return redirect(`/signed-out${from}`, { headers: { "Set-Cookie": cookie } });
}
