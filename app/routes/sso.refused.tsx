import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { isUuid } from "~/auth/access.server";
import { MESSAGES, SSO_REFUSALS, type SsoRefusal } from "~/auth/sso-forms";
import { providerOf } from "~/auth/sso-settings.server";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "You have not been signed in – Social media code of conduct" }];

/** Where a refused callback sends the browser: what went wrong, in words, and the way back. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const asked = url.searchParams.get("reason") ?? "";
  const reason: SsoRefusal = (SSO_REFUSALS as readonly string[]).includes(asked) ? (asked as SsoRefusal) : "refused";
  const organisation = url.searchParams.get("organisation") ?? undefined;
  const provider = isUuid(organisation) ? await providerOf(context.db, organisation) : null;
  return json({
    reason,
    passwordSignIn: provider ? provider.passwordSignIn : true,
    reauth: url.searchParams.get("reauth") === "1",
  });
}

export default function SsoRefused() {
  const { reason, passwordSignIn, reauth } = useLoaderData<typeof loader>();
  return (
    <TwoThirds>
      <h1 className="govuk-heading-l">
        {reauth ? "You have not confirmed who you are" : "You have not been signed in"}
      </h1>
      <p className="govuk-body" id="refusal">
        {MESSAGES[reason]}
      </p>
      <p className="govuk-body">
        {reauth ? (
          <Link className="govuk-link" to="/code-of-conduct">
            Go back to the code of conduct
          </Link>
        ) : (
          <Link className="govuk-link" to="/sign-in">
            {passwordSignIn ? "Go to the sign-in page" : "Start again"}
          </Link>
        )}
      </p>
    </TwoThirds>
  );
}
