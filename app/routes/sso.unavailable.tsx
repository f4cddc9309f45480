import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { providerBySlug } from "~/auth/sso-settings.server";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [
  { title: "Your council's sign-in is not answering – Social media code of conduct" },
];

/** Where /sso/start sends the browser when the council's provider does not answer. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const found = await providerBySlug(context.db, url.searchParams.get("council") ?? "");
  return json({
    providerName: found?.provider.displayName ?? null,
    council: found?.slug ?? null,
    passwordSignIn: found ? found.provider.passwordSignIn : true,
    reauth: url.searchParams.get("purpose") === "reauth",
  });
}

export default function ProviderUnavailable() {
  const { providerName, council, passwordSignIn, reauth } = useLoaderData<typeof loader>();
  const name = providerName ? `${providerName} sign-in` : "Your council's sign-in";
  return (
    <TwoThirds>
      <h1 className="govuk-heading-l">{name} is not answering</h1>
      <p className="govuk-body">
        We could not reach your council&rsquo;s sign-in just now. Nothing has been changed. Try again in a few minutes.
      </p>
      {!reauth && passwordSignIn ? (
        <p className="govuk-body">
          You can also{" "}
          <Link className="govuk-link" to="/sign-in">
            sign in with your email address and password
          </Link>{" "}
          if you have one.
        </p>
      ) : null}
      <p className="govuk-body">
        <Link
          className="govuk-link"
          to={reauth ? "/code-of-conduct" : council ? `/sign-in?council=${encodeURIComponent(council)}` : "/sign-in"}
        >
          Try again
        </Link>
      </p>
    </TwoThirds>
  );
}
