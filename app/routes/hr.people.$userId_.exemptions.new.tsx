import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { BackLink } from "~/components/back-link";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { DateInput } from "~/components/date-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { Radios } from "~/components/radios";
import { TextInput } from "~/components/text-input";
import { Textarea } from "~/components/textarea";
import { TwoThirds } from "~/components/two-thirds";
import type { DateParts } from "~/lib/date-fields";
import { exemptionForm, recordExemption } from "~/tracking/exemptions.server";
import { ALL_REQUIREMENTS, exemptionSchema, formWithDates } from "~/tracking/forms";
import { EXEMPTION_REASON_LABELS, EXEMPTION_REASONS } from "~/tracking/statuses";

export const meta: MetaFunction = () => [{ title: "Record an exemption – HR – Social media code of conduct" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const replaces = new URL(request.url).searchParams.get("replaces");
  if (!isUuid(params.userId) || (replaces !== null && !isUuid(replaces))) throw notFound();
  const form = await exemptionForm(context.db, hr, params.userId, replaces);
  if (!form) throw notFound();
  return json(form);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  if (!isUuid(params.userId)) throw notFound();
  const values = formWithDates(await request.formData(), ["startsOn", "endsOn"]);
  const parsed = exemptionSchema.safeParse(values);
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error), values }, { status: 400 });
  const result = await recordExemption(context.db, hr, params.userId, parsed.data, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!result.ok) {
    if (result.status === 404) throw notFound();
    return json({ errors: result.errors as FieldErrors, values }, { status: result.status });
  }
  return redirect(`/hr/people/${params.userId}?saved=exemption#exemptions`);
}

const noDate: DateParts = { day: "", month: "", year: "" };
const partsOf = (value: unknown, fallback: string | null): DateParts => {
  if (value && typeof value === "object") return value as DateParts;
  const iso = typeof value === "string" ? value : fallback;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? "");
  return match ? { day: String(Number(match[3])), month: String(Number(match[2])), year: match[1] } : noDate;
};

export default function RecordExemption() {
  const { person, requirements, replaces } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors ?? {};
  const values = (actionData?.values ?? {}) as Record<string, unknown>;
  const text = (name: string, fallback = "") =>
    typeof values[name] === "string" ? (values[name] as string) : fallback;
  const title = replaces ? "Correct an exemption" : "Record an exemption";
  return (
    <TwoThirds>
      <BackLink to={`/hr/people/${person.id}`}>{person.name}</BackLink>
      <ErrorSummary errors={errors} fieldIds={{ requirementId: "requirementId", reason: "reason" }} />
      <span className="govuk-caption-l">{person.name}</span>
      <h1 className="govuk-heading-l">{title}</h1>
      <p className="govuk-body">
        {replaces
          ? "The correction is kept as a new record that replaces the one it corrects. Both stay in the history."
          : "While exempt, a requirement is not outstanding and nobody is reminded about it. When the exemption ends, the person has the usual number of days to do it from the day after."}
      </p>
      <Form method="post" noValidate>
        <CsrfInput />
        {replaces ? <input type="hidden" name="replacesId" value={replaces.id} /> : null}
        <Radios
          name="requirementId"
          legend="Exempt from"
          error={errors.requirementId}
          defaultValue={text("requirementId", replaces?.requirementId ?? ALL_REQUIREMENTS)}
          options={[
            { value: ALL_REQUIREMENTS, label: "Everything required of them" },
            ...requirements.map((r) => ({
              value: r.id,
              label: r.kind === "policy" ? `Signing the ${r.title.toLowerCase()}` : r.title,
            })),
          ]}
        />
        <Radios
          name="reason"
          legend="Reason"
          error={errors.reason}
          defaultValue={text("reason", replaces?.reason ?? "")}
          options={EXEMPTION_REASONS.map((reason) => ({ value: reason, label: EXEMPTION_REASON_LABELS[reason] }))}
        />
        <Textarea
          name="reasonText"
          label="Details of the reason"
          hint="Needed when the reason is Other"
          rows={3}
          error={errors.reasonText}
          defaultValue={text("reasonText", replaces?.reasonText ?? "")}
        />
        <DateInput
          name="startsOn"
          legend="First day of the exemption"
          hint="For example, 27 3 2027"
          error={errors.startsOn}
          values={partsOf(values.startsOn, replaces?.startsOn ?? null)}
        />
        <DateInput
          name="endsOn"
          legend="Last day of the exemption (optional)"
          hint="Leave empty if it has no end date yet. You can end it later."
          error={errors.endsOn}
          values={partsOf(values.endsOn, replaces?.endsOn ?? null)}
        />
        <TextInput
          name="approvedBy"
          label="Approved by"
          hint="The name and role of the manager who approved it"
          error={errors.approvedBy}
          defaultValue={text("approvedBy", replaces?.approvedBy ?? "")}
        />
        <Button once>{replaces ? "Record the correction" : "Record the exemption"}</Button>
      </Form>
    </TwoThirds>
  );
}
