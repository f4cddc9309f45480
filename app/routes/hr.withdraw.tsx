import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { withdrawSchema } from "~/attestation/forms";
import { withdrawAttestation } from "~/attestation/signing.server";
import { requestInfo, requireRole } from "~/auth/access.server";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { useValidatedForm } from "~/components/validated-form";

export const meta: MetaFunction = () => [{ title: "Withdraw a signed record – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context, ["hr"]);
  return null;
}

type ActionData = { errors?: FieldErrors; withdrawn?: { reference: string; withdrawal: string; created: boolean } };

export async function action({ request, context }: ActionFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const parsed = withdrawSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return Response.json({ errors: fieldErrors(parsed.error) } satisfies ActionData, { status: 400 });
  const result = await withdrawAttestation(context.db, hr, parsed.data, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!result.ok) return Response.json({ errors: result.errors } satisfies ActionData, { status: result.status });
  return Response.json({
    withdrawn: {
      reference: result.record.subjectReference ?? "",
      withdrawal: result.record.reference,
      created: result.created,
    },
  } satisfies ActionData);
}

export default function Withdraw() {
  const actionData = useActionData<ActionData>();
  const { register, onSubmit, errors } = useValidatedForm(withdrawSchema, actionData?.errors);
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        {actionData?.withdrawn ? (
          <div className="govuk-panel govuk-panel--confirmation" role="status">
            <h1 className="govuk-panel__title">Record {actionData.withdrawn.reference} is withdrawn</h1>
            <div className="govuk-panel__body">
              {actionData.withdrawn.created ? "Withdrawal reference" : "It was already withdrawn, by record"}
              <br />
              <strong>{actionData.withdrawn.withdrawal}</strong>
            </div>
          </div>
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
          <div className={`govuk-form-group${errors.reason ? " govuk-form-group--error" : ""}`}>
            <label className="govuk-label" htmlFor="reason">
              Reason for withdrawing it
            </label>
            {errors.reason ? (
              <p id="reason-error" className="govuk-error-message">
                <span className="govuk-visually-hidden">Error:</span> {errors.reason}
              </p>
            ) : null}
            <textarea
              className={`govuk-textarea${errors.reason ? " govuk-textarea--error" : ""}`}
              id="reason"
              rows={4}
              aria-describedby={errors.reason ? "reason-error" : undefined}
              {...register("reason")}
            />
          </div>
          <button
            type="submit"
            className="govuk-button govuk-button--warning"
            data-module="govuk-button"
            data-prevent-double-click="true"
          >
            Withdraw the record
          </button>
        </Form>
      </div>
    </div>
  );
}
