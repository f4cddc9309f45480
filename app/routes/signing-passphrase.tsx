import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { requestInfo, requireSession } from "~/auth/access.server";
import { mayChangePassphrase, setSigningPassphrase } from "~/auth/signing-passphrase.server";
import { signingPassphraseSchema } from "~/auth/sso-forms";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { TwoThirds } from "~/components/two-thirds";
import { useValidatedForm } from "~/components/validated-form";

export const meta: MetaFunction = () => [{ title: "Set your signing passphrase – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  return json({ mayChange: mayChangePassphrase(session, context.now()) });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(request, context);
  const form = await request.formData();
  const parsed = signingPassphraseSchema.safeParse({
    passphrase: form.get("passphrase") ?? "",
    confirmPassphrase: form.get("confirmPassphrase") ?? "",
  });
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error) }, { status: 400 });
  const result = await setSigningPassphrase(context.db, session, parsed.data.passphrase, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!result.ok) return json({ errors: result.errors as FieldErrors }, { status: result.status });
  return redirect("/code-of-conduct");
}

export default function SigningPassphrase() {
  const { mayChange } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(signingPassphraseSchema, actionData?.errors);
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <h1 className="govuk-heading-l">Set your signing passphrase</h1>
      <p className="govuk-body">
        Your council&rsquo;s sign-in cannot confirm who you are at the moment you sign, so you sign the code of conduct
        with a passphrase that only you know. It is used only for signing here, not to sign in.
      </p>
      {mayChange ? (
        <Form method="post" noValidate onSubmit={onSubmit}>
          <CsrfInput />
          <TextInput
            label="Signing passphrase"
            hint="12 characters or more. A few words you will remember works well."
            type="password"
            autoComplete="new-password"
            error={errors.passphrase}
            {...register("passphrase")}
          />
          <TextInput
            label="Your signing passphrase again"
            type="password"
            autoComplete="new-password"
            error={errors.confirmPassphrase}
            {...register("confirmPassphrase")}
          />
          <Button once>Set signing passphrase</Button>
        </Form>
      ) : (
        <p className="govuk-body">
          For your security, you can set it only within 15 minutes of signing in. Sign out, sign in again, then come
          back here.
        </p>
      )}
    </TwoThirds>
  );
}
