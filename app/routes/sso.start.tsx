import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { getSession, notFound, requireSession } from "~/auth/access.server";
import { cookiesFor } from "~/auth/cookies.server";
import { isPrintableAscii, safeReturnTo } from "~/auth/sign-in.server";
import { startSso } from "~/auth/sso.server";
import { providerBySlug, providerForEmail, providerOf } from "~/auth/sso-settings.server";
import { badRequest, serviceUrlOf } from "~/http/request.server";

/**
 * Sends the browser to the council's provider: `?council=<slug>` to sign in, `?purpose=reauth` (signed in) to
 * authenticate again before signing. A GET, so it works from a link with or without JavaScript.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const returnTo = url.searchParams.get("returnTo");
  if (returnTo !== null && !isPrintableAscii(returnTo)) throw badRequest();
  const purpose = url.searchParams.get("purpose") === "reauth" ? "reauth" : "sign-in";
  let provider;
  let sessionId: string | null = null;
  let council: string;
  if (purpose === "reauth") {
    const session = await requireSession(request, context);
    provider = await providerOf(context.db, session.user.organisationId);
    sessionId = session.id;
    council = session.user.organisationSlug;
  } else {
    if (await getSession(request, context)) throw redirect(safeReturnTo(returnTo));
    const email = url.searchParams.get("email")?.slice(0, 320) ?? "";
    const slug = url.searchParams.get("council");
    // An address at a council's domain goes straight to that council's provider.
    const found = slug !== null ? await providerBySlug(context.db, slug) : await providerForEmail(context.db, email);
    if (!found && slug === null) {
      throw redirect(`/sign-in?noProvider=1&returnTo=${encodeURIComponent(safeReturnTo(returnTo))}`);
    }
    // Found by the address typed in the sign-in page's form: the page's Content-Security-Policy (form-action 'self')
    // rightly stops a form's navigation from being redirected to another site, so the sign-in page offers the
    // council's button, a link, which then comes here with the council named.
    if (found && slug === null) {
      throw redirect(
        `/sign-in?council=${encodeURIComponent(found.slug)}&email=${encodeURIComponent(email)}&returnTo=${encodeURIComponent(safeReturnTo(returnTo))}`,
      );
    }
    provider = found?.provider;
    council = found?.slug ?? "";
  }
  if (!provider) throw notFound();
  const hint = url.searchParams.get("email");
  const started = await startSso(provider, context.config, {
    purpose,
    returnTo: safeReturnTo(returnTo),
    loginHint: hint && hint.length <= 320 ? hint : undefined,
    sessionId,
    baseUrl: serviceUrlOf(context.config, request),
  });
  if (!started.ok) throw redirect(`/sso/unavailable?council=${encodeURIComponent(council)}&purpose=${purpose}`);
  const cookie = await cookiesFor(context.config).sso.serialize(started.transaction);
  return redirect(started.url, { headers: { "Set-Cookie": cookie } });
}
