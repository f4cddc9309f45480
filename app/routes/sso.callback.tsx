import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { getSession, requestInfo } from "~/auth/access.server";
import { cookiesFor } from "~/auth/cookies.server";
import { safeReturnTo } from "~/auth/sign-in.server";
import { finishSso, type SsoTransaction } from "~/auth/sso.server";
import { providerOf } from "~/auth/sso-settings.server";
import { serviceUrlOf } from "~/http/request.server";

/** The provider's redirect back (response_mode=query, so a GET: the central CSRF check never sees a cross-site post). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const cookies = cookiesFor(context.config);
  const stored = (await cookies.sso.parse(request.headers.get("Cookie"))) as SsoTransaction | null;
  const transaction = stored && typeof stored === "object" && typeof stored.state === "string" ? stored : null;
  const provider = transaction ? await providerOf(context.db, transaction.organisationId) : null;
  const session = transaction?.purpose === "reauth" ? await getSession(request, context) : null;
  const result = await finishSso(
    context.db,
    context.config,
    provider,
    transaction,
    {
      callbackQuery: new URL(request.url).search,
      baseUrl: serviceUrlOf(context.config, request),
      currentSessionId: session?.id ?? null,
    },
    { idleMs: context.config.sessionIdleMs, maxMs: context.config.sessionMaxMs },
    { ...requestInfo(context), now: context.now() },
  );
  const headers = new Headers();
  // The transaction is used once, whatever happened.
  headers.append("Set-Cookie", await cookies.sso.serialize("", { maxAge: 0 }));
  if (result.ok) {
    context.log.userId = result.userId;
    if (result.kind === "signed-in") headers.append("Set-Cookie", await cookies.session.serialize(result.token));
    return redirect(safeReturnTo(result.returnTo), { headers });
  }
  const council = provider ? `&organisation=${provider.organisationId}` : "";
  const reauth = transaction?.purpose === "reauth" ? "&reauth=1" : "";
  return redirect(`/sso/refused?reason=${result.reason}${council}${reauth}`, { headers });
}
