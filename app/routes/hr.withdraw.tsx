import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { withdrawSchema } from "~/attestation/forms";
import { withdrawAttestation } from "~/attestation/signing.server";
import { requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { Panel } from "~/components/panel";
import { TextInput } from "~/components/text-input";
import { Textarea } from "~/components/textarea";
import { useValidatedForm } from "~/components/validated-form";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "Withdraw a signed record – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context, ["hr"]);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const parsed = withdrawSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error), withdrawn: null }, { status: 400 });
  const result = await withdrawAttestation(context.db, hr, parsed.data, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!result.ok) return json({ errors: result.errors as FieldErrors, withdrawn: null }, { status: result.status });
  context.scheduleCheckpoint();
  return json({
    errors: {} as FieldErrors,
    withdrawn: {
      reference: result.record.subjectReference ?? "",
      withdrawal: result.record.reference,
      created: result.created,
    },
  });
}

export default function Withdraw() {
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(withdrawSchema, actionData?.errors);
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      {actionData?.withdrawn ? (
        <>
          <Panel title={`Record ${actionData.withdrawn.reference} is withdrawn`} role="status">
            {actionData.withdrawn.created ? "Withdrawal reference" : "It was already withdrawn, by record"}
            <br />
            <strong>{actionData.withdrawn.withdrawal}</strong>
          </Panel>
          <p className="govuk-body">
            <Link className="govuk-link" to={`/records/${actionData.withdrawn.reference}/withdrawal`}>
              Read and download the notice of withdrawal
            </Link>
            . Give it with the certificate, which stays as it was first issued and does not show the withdrawal.
          </p>
        </>
      ) : (
        <h1 className="govuk-heading-l">Withdraw a signed record</h1>
      )}
      <p className="govuk-body">
        Withdrawing adds a new record to the ledger that names the signed record and your reason. The signed record
        itself is never changed or deleted. The person will see the withdrawal on their records page and will need to
        sign again.
      </p>
      <Form method="post" noValidate onSubmit={onSubmit}>
        <CsrfInput />
        <TextInput
          label="Reference of the signed record"
          hint="For example, ATT-7K2M-9QXD"
          spellCheck={false}
          error={errors.reference}
          {...register("reference")}
        />
        <Textarea label="Reason for withdrawing it" error={errors.reason} {...register("reason")} />
        <Button warning once>
          Withdraw the record
        </Button>
      </Form>
    </TwoThirds>
  );
}
