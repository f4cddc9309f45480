import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireSession } from "~/auth/access.server";
import { assistablePerson, startAssistedSession } from "~/auth/assisted.server";
import { cookiesFor } from "~/auth/cookies.server";
import { assistedCodeSchema } from "~/auth/forms";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { TwoThirds } from "~/components/two-thirds";
import { useValidatedForm } from "~/components/validated-form";
import { WarningText } from "~/components/warning-text";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `Assisted signing${data ? ` for ${data.person.name}` : ""} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  if (!isUuid(params.userId)) throw notFound();
  const person = await assistablePerson(context.db, session.user, params.userId);
  if (!person) throw notFound();
  return json({ person: { name: person.name, employeeNumber: person.employeeNumber, teamName: person.teamName } });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const session = await requireSession(request, context);
  if (!isUuid(params.userId)) throw notFound();
  const form = await request.formData();
  const parsed = assistedCodeSchema.safeParse({ code: form.get("code") ?? "" });
  if (!parsed.success) {
    if (!(await assistablePerson(context.db, session.user, params.userId))) throw notFound();
    return json({ errors: fieldErrors(parsed.error) as FieldErrors }, { status: 400 });
  }
  const started = await startAssistedSession(context.db, session.user, session.id, params.userId, parsed.data.code, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!started) throw notFound();
  if (!started.ok) return json({ errors: started.errors }, { status: started.status });
  context.log.userId = started.person.id;
  const cookie = await cookiesFor(context.config).session.serialize(started.token);
  return redirect("/assisted", { headers: { "Set-Cookie": cookie } });
}

export default function StartAssistedSession() {
  const { person } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(assistedCodeSchema, actionData?.errors);
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">
        Employee number {person.employeeNumber}
        {person.teamName ? `, ${person.teamName}` : ""}
      </span>
      <h1 className="govuk-heading-l">Assisted signing for {person.name}</h1>
      <p className="govuk-body">
        On this device, {person.name} takes their training and signs the code of conduct themselves, with you as their
        witness. HR gives them a one-time code beforehand; someone other than you must have issued it.
      </p>
      <WarningText>
        You will be signed out. Until the session finishes, this device reaches only {person.name}&rsquo;s training and
        signing.
      </WarningText>
      <Form method="post" noValidate onSubmit={onSubmit}>
        <CsrfInput />
        <TextInput
          label={`${person.name}: type your one-time code`}
          hint="Eight letters and numbers, like K7QM-3XTA"
          className="govuk-input--width-10"
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          error={errors.code}
          {...register("code")}
        />
        <Button once>Start the assisted session</Button>
      </Form>
    </TwoThirds>
  );
}
