import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { getOptionalUser, requestInfo } from "~/auth/access.server";
import { cookiesFor } from "~/auth/cookies.server";
import { knownDeviceFor, readKnownDevice, rememberDevice } from "~/auth/known-devices.server";
import { signInSchema } from "~/auth/forms";
import { isPrintableAscii, safeReturnTo, signIn } from "~/auth/sign-in.server";
import { providerBySlug } from "~/auth/sso-settings.server";
import { Button } from "~/components/button";
import { badRequest } from "~/http/request.server";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { useValidatedForm } from "~/components/validated-form";
import { NotificationBanner } from "~/components/notification-banner";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction<typeof loader, Record<string, unknown>> = ({ data }) => [
  { title: `${data && "hasErrors" in data ? "Error: " : ""}Sign in – Social media code of conduct` },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const returnTo = url.searchParams.get("returnTo");
  if (returnTo !== null && !isPrintableAscii(returnTo)) throw badRequest();
  if (await getOptionalUser(request, context)) throw redirect(safeReturnTo(returnTo));
  const council = url.searchParams.get("council");
  const found = council ? await providerBySlug(context.db, council) : null;
  return json({
    returnTo: safeReturnTo(returnTo),
    timedOut: url.searchParams.get("timedOut") === "1",
    passwordSet: url.searchParams.get("passwordSet") === "1",
    provider: found
      ? {
          slug: found.slug,
          name: found.provider.displayName,
          organisationName: found.organisationName,
          passwordSignIn: found.provider.passwordSignIn,
        }
      : null,
    noProvider: url.searchParams.get("noProvider") === "1",
    email: (url.searchParams.get("email") ?? "").slice(0, 320),
  });
}

const NO_PROVIDER = "Your council does not sign in through its own account here: sign in with your password below";
const INVALID = "Enter a correct email address and password";
const THROTTLED =
  "There have been too many attempts to sign in. Wait 15 minutes and try again, or reset your password.";

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const parsed = signInSchema.safeParse({ email: form.get("email") ?? "", password: form.get("password") ?? "" });
  const email = String(form.get("email") ?? "").slice(0, 320);
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error), email }, { status: 400 });
  const device = await readKnownDevice(context.config, request);
  const result = await signIn(
    context.db,
    parsed.data,
    { idleMs: context.config.sessionIdleMs, maxMs: context.config.sessionMaxMs },
    { ...requestInfo(context), now: context.now(), device: knownDeviceFor(device, parsed.data.email) },
  );
  if (!result.ok) {
    const errors: FieldErrors = {
      email:
        result.reason === "throttled"
          ? THROTTLED
          : result.reason === "provider-only"
            ? `Your council signs in through ${result.providerName}: use "Sign in with your council account" above`
            : INVALID,
    };
    return json(
      { errors, email },
      { status: result.reason === "throttled" ? 429 : result.reason === "provider-only" ? 403 : 401 },
    );
  }
  context.log.userId = result.userId;
  const headers = new Headers();
  headers.append("Set-Cookie", await cookiesFor(context.config).session.serialize(result.token));
  headers.append("Set-Cookie", await rememberDevice(context.config, device, parsed.data.email));
  return redirect(safeReturnTo(form.get("returnTo")), { headers });
}

function StartArrow() {
  return (
    <svg
      className="govuk-button__start-icon"
      xmlns="http://www.w3.org/2000/svg"
      width="17.5"
      height="19"
      viewBox="0 0 33 40"
      aria-hidden="true"
      focusable="false"
    >
      <path fill="currentColor" d="M0 0h13l20 20-20 20H0l20-20z" />
    </svg>
  );
}

export default function SignIn() {
  const { returnTo, timedOut, passwordSet, provider, noProvider, email } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(signInSchema, actionData?.errors);
  return (
    <TwoThirds>
      {timedOut && !actionData ? (
        <NotificationBanner
          id="timed-out"
          heading="You were signed out because you had not done anything for a while."
        />
      ) : null}
      {passwordSet && !actionData ? (
        <NotificationBanner
          id="password-set"
          success
          heading="Your password has been set. Sign in with your email address and your new password."
        />
      ) : null}
      <ErrorSummary errors={noProvider && !actionData ? { ssoEmail: NO_PROVIDER } : errors} />
      <h1 className="govuk-heading-l">Sign in</h1>
      {provider ? (
        <>
          <a
            href={`/sso/start?council=${encodeURIComponent(provider.slug)}&returnTo=${encodeURIComponent(returnTo)}${email ? `&email=${encodeURIComponent(email)}` : ""}`}
            role="button"
            draggable="false"
            className="govuk-button govuk-button--start"
            data-module="govuk-button"
          >
            Sign in with {provider.name}
            <StartArrow />
          </a>
          <p className="govuk-body">
            {provider.organisationName} staff sign in with their {provider.name} work account.
          </p>
        </>
      ) : (
        <form method="get" action="/sso/start" noValidate>
          <h2 className="govuk-heading-m">Sign in with your council account</h2>
          <input type="hidden" name="returnTo" value={returnTo} />
          <TextInput
            id="ssoEmail"
            name="email"
            label="Your work email"
            hint="If your council signs you in with Microsoft or Google, we send you there."
            type="email"
            autoComplete="username"
            spellCheck={false}
            error={noProvider && !actionData ? NO_PROVIDER : undefined}
          />
          <Button secondary>Continue to your council&rsquo;s sign-in</Button>
        </form>
      )}
      <h2 className="govuk-heading-m">Sign in with a password</h2>
      <p className="govuk-body">Sign in with the email address and password for your council account.</p>
      <Form method="post" noValidate onSubmit={onSubmit}>
        <CsrfInput />
        <input type="hidden" name="returnTo" value={returnTo} />
        <TextInput
          label="Email address"
          type="email"
          autoComplete="username"
          spellCheck={false}
          defaultValue={actionData?.email}
          error={errors.email}
          {...register("email")}
        />
        <TextInput
          label="Password"
          type="password"
          autoComplete="current-password"
          error={errors.password}
          {...register("password")}
        />
        <Button once>Sign in</Button>
      </Form>
      <p className="govuk-body">
        <Link className="govuk-link" to="/forgot-password">
          I have forgotten my password or cannot sign in
        </Link>
      </p>
    </TwoThirds>
  );
}
