import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { requestInfo } from "~/auth/access.server";
import { MIN_PASSWORD_LENGTH, setPasswordSchema } from "~/auth/forms";
import { findUsableLink, setPasswordWithLink } from "~/auth/password-links.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { useValidatedForm } from "~/components/validated-form";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "Choose a password – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  const link = await findUsableLink(context.db, token, context.now());
  return json({ token: link ? token : null, email: link?.email ?? null });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const parsed = setPasswordSchema.safeParse({
    token: form.get("token") ?? "",
    password: form.get("password") ?? "",
    confirmPassword: form.get("confirmPassword") ?? "",
  });
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error) }, { status: 400 });
  const result = await setPasswordWithLink(context.db, parsed.data, { ...requestInfo(context), now: context.now() });
  if (!result.ok)
    return json(
      { errors: { form: "This link has expired or has already been used. Ask for a new one." } as FieldErrors },
      { status: 410 },
    );
  return redirect("/sign-in?passwordSet=1");
}

export default function SetPassword() {
  const { token, email } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(setPasswordSchema, actionData?.errors);
  if (!token) {
    return (
      <TwoThirds>
        <h1 className="govuk-heading-l">This link has expired or has already been used</h1>
        <p className="govuk-body">
          <Link className="govuk-link" to="/forgot-password">
            Ask for a new link
          </Link>{" "}
          or ask your council’s administrator for this service.
        </p>
      </TwoThirds>
    );
  }
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <h1 className="govuk-heading-l">Choose a password</h1>
      <p className="govuk-body">
        For {email}. Use {MIN_PASSWORD_LENGTH} characters or more: three random words is a good way to make a strong
        password.
      </p>
      <Form method="post" noValidate onSubmit={onSubmit}>
        <CsrfInput />
        <input type="hidden" value={token} {...register("token")} />
        <input type="text" name="username" autoComplete="username" value={email ?? ""} readOnly hidden />
        <TextInput
          label="New password"
          type="password"
          autoComplete="new-password"
          error={errors.password}
          {...register("password")}
        />
        <TextInput
          label="Confirm new password"
          type="password"
          autoComplete="new-password"
          error={errors.confirmPassword}
          {...register("confirmPassword")}
        />
        <Button once>Save password</Button>
      </Form>
    </TwoThirds>
  );
}
