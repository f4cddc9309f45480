import { json, type ActionFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { requestInfo } from "~/auth/access.server";
import { forgotPasswordSchema } from "~/auth/forms";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { useValidatedForm } from "~/components/validated-form";
import { TwoThirds } from "~/components/two-thirds";
import { serviceUrlOf } from "~/http/request.server";
import { enqueuePasswordReset } from "~/mail/mail-queue.server";

export const meta: MetaFunction = () => [{ title: "Reset your password – Social media code of conduct" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const parsed = forgotPasswordSchema.safeParse({ email: form.get("email") ?? "" });
  if (!parsed.success) {
    return json(
      { errors: fieldErrors(parsed.error), email: String(form.get("email") ?? "").slice(0, 320), sent: false },
      { status: 400 },
    );
  }
  // Only a queued job: whether the address has an account must not change how long this answer takes.
  await enqueuePasswordReset(context.db, parsed.data, serviceUrlOf(context.config, request), {
    ...requestInfo(context),
    now: context.now(),
  });
  context.wakeMailQueue();
  return json({ errors: {} as FieldErrors, email: "", sent: true });
}

export default function ForgotPassword() {
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(forgotPasswordSchema, actionData?.errors);
  if (actionData?.sent) {
    return (
      <TwoThirds>
        <h1 className="govuk-heading-l">Check your email</h1>
        <p className="govuk-body">
          If that email address belongs to an account, we have sent it a link to reset your password. The link works
          once, for 1 hour.
        </p>
        <p className="govuk-body">
          If nothing arrives within a few minutes, ask your council’s administrator for this service for a new password
          link.
        </p>
      </TwoThirds>
    );
  }
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <h1 className="govuk-heading-l">Reset your password</h1>
      <p className="govuk-body">
        We will email you a link to choose a new password. This also unlocks an account after too many attempts to sign
        in.
      </p>
      <Form method="post" noValidate onSubmit={onSubmit}>
        <CsrfInput />
        <TextInput
          label="Email address"
          type="email"
          autoComplete="email"
          spellCheck={false}
          defaultValue={actionData?.email}
          error={errors.email}
          {...register("email")}
        />
        <Button once>Send the link</Button>
      </Form>
    </TwoThirds>
  );
}
