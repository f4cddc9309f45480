import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { getOptionalUser, requestInfo } from "~/auth/access.server";
import { cookiesFor } from "~/auth/cookies.server";
import { signInSchema } from "~/auth/forms";
import { safeReturnTo, signIn } from "~/auth/sign-in.server";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { useValidatedForm } from "~/components/validated-form";
import { NotificationBanner } from "~/components/notification-banner";

export const meta: MetaFunction<typeof loader, Record<string, unknown>> = ({ data }) => [
  { title: `${data && "hasErrors" in data ? "Error: " : ""}Sign in – Social media code of conduct` },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  if (await getOptionalUser(request, context)) throw redirect(safeReturnTo(url.searchParams.get("returnTo")));
  return {
    returnTo: safeReturnTo(url.searchParams.get("returnTo")),
    timedOut: url.searchParams.get("timedOut") === "1",
  };
}

const INVALID = "Enter a correct email address and password";
const THROTTLED =
  "There have been too many attempts to sign in. Wait 15 minutes and try again, or reset your password.";

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const parsed = signInSchema.safeParse({ email: form.get("email") ?? "", password: form.get("password") ?? "" });
  const email = String(form.get("email") ?? "").slice(0, 320);
  if (!parsed.success) return Response.json({ errors: fieldErrors(parsed.error), email }, { status: 400 });
  const result = await signIn(
    context.db,
    parsed.data,
    { idleMs: context.config.sessionIdleMs, maxMs: context.config.sessionMaxMs },
    { ...requestInfo(context), now: context.now() },
  );
  if (!result.ok) {
    const errors: FieldErrors = { email: result.reason === "throttled" ? THROTTLED : INVALID };
    return Response.json({ errors, email }, { status: result.reason === "throttled" ? 429 : 401 });
  }
  context.log.userId = result.userId;
  const cookie = await cookiesFor(context.config).session.serialize(result.token);
  return redirect(safeReturnTo(form.get("returnTo")), { headers: { "Set-Cookie": cookie } });
}

export default function SignIn() {
  const { returnTo, timedOut } = useLoaderData<typeof loader>();
  const actionData = useActionData<{ errors: FieldErrors; email: string }>();
  const { register, onSubmit, errors } = useValidatedForm(signInSchema, actionData?.errors);
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        {timedOut && !actionData ? (
          <NotificationBanner
            id="timed-out"
            heading="You were signed out because you had not done anything for a while."
          />
        ) : null}
        <ErrorSummary errors={errors} />
        <h1 className="govuk-heading-l">Sign in</h1>
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
          <button type="submit" className="govuk-button" data-module="govuk-button" data-prevent-double-click="true">
            Sign in
          </button>
        </Form>
        <p className="govuk-body">
          <Link className="govuk-link" to="/forgot-password">
            I have forgotten my password or cannot sign in
          </Link>
        </p>
      </div>
    </div>
  );
}
