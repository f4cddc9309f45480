import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { requestInfo } from "~/auth/access.server";
import { forgotPasswordSchema } from "~/auth/forms";
import { requestPasswordReset } from "~/auth/password-links.server";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { useValidatedForm } from "~/components/validated-form";

export const meta: MetaFunction = () => [{ title: "Reset your password – Social media code of conduct" }];

type ActionData = { errors?: FieldErrors; email?: string; sent?: boolean };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const parsed = forgotPasswordSchema.safeParse({ email: form.get("email") ?? "" });
  if (!parsed.success) {
    return Response.json(
      { errors: fieldErrors(parsed.error), email: String(form.get("email") ?? "").slice(0, 320) } satisfies ActionData,
      { status: 400 },
    );
  }
  const baseUrl = context.config.serviceUrl ?? new URL(request.url).origin;
  await requestPasswordReset(context.db, context.mailer, parsed.data, baseUrl, {
    ...requestInfo(context),
    now: context.now(),
  });
  return Response.json({ sent: true } satisfies ActionData);
}

export default function ForgotPassword() {
  const actionData = useActionData<ActionData>();
  const { register, onSubmit, errors } = useValidatedForm(forgotPasswordSchema, actionData?.errors);
  if (actionData?.sent) {
    return (
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <h1 className="govuk-heading-l">Check your email</h1>
          <p className="govuk-body">
            If that email address belongs to an account, we have sent it a link to reset your password. The link works
            once, for 1 hour.
          </p>
          <p className="govuk-body">
            If nothing arrives within a few minutes, ask your council’s administrator for this service for a new
            password link.
          </p>
        </div>
      </div>
    );
  }
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        <h1 className="govuk-heading-l">Reset your password</h1>
        <p className="govuk-body">
          We will email you a link to choose a new password. This also unlocks an account after too many attempts to
          sign in.
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
          <button type="submit" className="govuk-button" data-module="govuk-button" data-prevent-double-click="true">
            Send the link
          </button>
        </Form>
      </div>
    </div>
  );
}
