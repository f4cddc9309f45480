import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { providerSignOutUrl } from "~/auth/sso.server";
import { providerBySlug } from "~/auth/sso-settings.server";
import { TwoThirds } from "~/components/two-thirds";
import { serviceUrlOf } from "~/http/request.server";

export const meta: MetaFunction = () => [{ title: "You have signed out – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const council = new URL(request.url).searchParams.get("council");
  const found = council ? await providerBySlug(context.db, council) : null;
  const url = found
    ? await providerSignOutUrl(found.provider, context.config, serviceUrlOf(context.config, request))
    : null;
  return json({ provider: found && url ? { name: found.provider.displayName, url } : null });
}

export default function SignedOut() {
  const { provider } = useLoaderData<typeof loader>();
  return (
    <TwoThirds>
      <h1 className="govuk-heading-l">You have signed out</h1>
      {provider ? (
        <p className="govuk-body">
          You are still signed in to {provider.name} on this device.{" "}
          <a className="govuk-link" href={provider.url}>
            Sign out of {provider.name} too
          </a>{" "}
          if this is a shared computer.
        </p>
      ) : null}
      <p className="govuk-body">
        <Link className="govuk-link" to="/sign-in">
          Sign in again
        </Link>
      </p>
    </TwoThirds>
  );
}
