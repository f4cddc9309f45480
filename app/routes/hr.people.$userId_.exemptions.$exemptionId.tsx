import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { BackLink } from "~/components/back-link";
import { Button } from "~/components/button";
import { IntentForm } from "~/components/csrf-input";
import { DateInput } from "~/components/date-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { SummaryList } from "~/components/summary-list";
import { TwoThirds } from "~/components/two-thirds";
import { formatDate } from "~/lib/dates";
import type { DateParts } from "~/lib/date-fields";
import { cancelExemption, endExemption, exemptionForm } from "~/tracking/exemptions.server";
import { endExemptionSchema, formWithDates } from "~/tracking/forms";
import { EXEMPTION_REASON_LABELS } from "~/tracking/statuses";

export const meta: MetaFunction = () => [{ title: "End or cancel an exemption – HR – Social media code of conduct" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  if (!isUuid(params.userId) || !isUuid(params.exemptionId)) throw notFound();
  const form = await exemptionForm(context.db, hr, params.userId, params.exemptionId);
  if (!form?.replaces) throw notFound();
  return json({ person: form.person, exemption: form.replaces });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  if (!isUuid(params.userId) || !isUuid(params.exemptionId)) throw notFound();
  const formData = await request.formData();
  const info = { ...requestInfo(context), now: context.now() };
  const values = formWithDates(formData, ["endsOn"]);
  let result;
  if (formData.get("intent") === "cancel") {
    result = await cancelExemption(context.db, hr, params.userId, params.exemptionId, info);
  } else {
    const parsed = endExemptionSchema.safeParse({ ...values, exemptionId: params.exemptionId });
    if (!parsed.success) return json({ errors: fieldErrors(parsed.error), values }, { status: 400 });
    if (!parsed.data.endsOn)
      return json(
        { errors: { endsOn: "Enter the last day of the exemption" } as FieldErrors, values },
        { status: 400 },
      );
    result = await endExemption(
      context.db,
      hr,
      params.userId,
      { exemptionId: params.exemptionId, endsOn: parsed.data.endsOn },
      info,
    );
  }
  if (!result.ok) {
    if (result.status === 404) throw notFound();
    return json({ errors: result.errors as FieldErrors, values }, { status: result.status });
  }
  return redirect(`/hr/people/${params.userId}?saved=exemption#exemptions`);
}

export default function EndExemption() {
  const { person, exemption } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors ?? {};
  const typed = actionData?.values?.endsOn;
  return (
    <TwoThirds>
      <BackLink to={`/hr/people/${person.id}`}>{person.name}</BackLink>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">{person.name}</span>
      <h1 className="govuk-heading-l">End or cancel an exemption</h1>
      <SummaryList
        rows={[
          { key: "Exempt from", value: exemption.requirementTitle ?? "Everything required of them" },
          {
            key: "Reason",
            value: `${EXEMPTION_REASON_LABELS[exemption.reason]}${exemption.reasonText ? `: ${exemption.reasonText}` : ""}`,
          },
          { key: "First day", value: formatDate(exemption.startsOn) },
          { key: "Last day", value: exemption.endsOn ? formatDate(exemption.endsOn) : "No end date" },
          { key: "Approved by", value: exemption.approvedBy },
        ]}
      />
      <h2 className="govuk-heading-m">End it</h2>
      <p className="govuk-body">
        Ending it adds a record with its last day. The person then has the usual number of days from the day after.
      </p>
      <IntentForm intent="end" noValidate>
        <DateInput
          name="endsOn"
          legend="Last day of the exemption"
          hint="For example, 27 3 2027"
          error={errors.endsOn ?? errors.form}
          values={typed && typeof typed === "object" ? (typed as DateParts) : { day: "", month: "", year: "" }}
        />
        <Button once>End the exemption</Button>
      </IntentForm>
      <h2 className="govuk-heading-m">Correct it</h2>
      <p className="govuk-body">
        <Link className="govuk-link" to={`/hr/people/${person.id}/exemptions/new?replaces=${exemption.id}`}>
          Correct the reason, dates or approver
        </Link>
      </p>
      <h2 className="govuk-heading-m">Cancel it</h2>
      <p className="govuk-body">
        Only if it was recorded in error: from now on it never applied. Reports as at earlier days still show it, as it
        was recorded then.
      </p>
      <IntentForm intent="cancel">
        <Button warning once>
          Cancel the exemption
        </Button>
      </IntentForm>
    </TwoThirds>
  );
}
