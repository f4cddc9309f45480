import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { NotificationBanner } from "~/components/notification-banner";
import { Radios } from "~/components/radios";
import { TextInput } from "~/components/text-input";
import { TwoThirds } from "~/components/two-thirds";
import { formatDateTime } from "~/lib/dates";
import { RETENTION_MONTHS_MAX, RETENTION_MONTHS_MIN, retentionSchema } from "~/organisations/forms";
import { changeRetention, retentionSettings } from "~/organisations/retention.server";

export const meta: MetaFunction = () => [{ title: "Retention – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  return json(await retentionSettings(context.db, admin.organisationId));
}

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const parsed = retentionSchema.safeParse(form);
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error), values: form }, { status: 400 });
  // Saving the value already set changes nothing and writes nothing, so a second submit is harmless.
  await changeRetention(context.db, admin, parsed.data, requestInfo(context));
  return redirect("/admin/retention?saved=1");
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString("en-GB")} ${n === 1 ? one : many}`;

export default function Retention() {
  const { months, lastDeletion } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const saved = new URLSearchParams(useLocation().search).has("saved");
  const errors = actionData?.errors ?? {};
  const choice = actionData ? (actionData.values.retention ?? "") : months === null ? "keep" : "delete";
  const monthsValue = actionData ? (actionData.values.months ?? "") : (months ?? "");
  return (
    <TwoThirds>
      {actionData ? <ErrorSummary errors={errors} fieldIds={{ retention: "retention", months: "months" }} /> : null}
      {saved ? <NotificationBanner id="saved" success heading="Your change has been saved." /> : null}
      <h1 className="govuk-heading-l">Evidence of people who have left</h1>
      <p className="govuk-body">
        The service stores files about people: certificates of training they completed elsewhere, and the staff rosters
        HR imports. You can have these deleted a number of months after someone leaves.
      </p>
      <ul className="govuk-list govuk-list--bullet">
        <li>A certificate is deleted that many months after its person&apos;s leaving date.</li>
        <li>
          A roster file is deleted once it names anyone who left that many months ago, since it is one file. A file not
          yet imported is kept until it is that many months old.
        </li>
      </ul>
      <p className="govuk-body">
        What was recorded stays: each file&apos;s name, size and fingerprint (SHA-256), the training and import records
        that cite it, and every signed record. Each deletion is written to the audit log. Files are deleted when the
        service next sends its daily reminders.
      </p>
      <p className="govuk-body" data-testid="last-deletion">
        {lastDeletion
          ? `Files were last deleted on ${formatDateTime(lastDeletion.at)}: ${plural(lastDeletion.evidenceFiles, "certificate", "certificates")} and ${plural(lastDeletion.rosterUploads, "roster file", "roster files")}.`
          : "No files have been deleted yet."}
      </p>
      <Form method="post">
        <CsrfInput />
        <Radios
          name="retention"
          legend="How long to keep these files after someone leaves"
          defaultValue={choice}
          error={errors.retention}
          options={[
            { value: "keep", label: "Keep them" },
            {
              value: "delete",
              label: "Delete them a number of months after someone leaves",
              conditional: (
                <TextInput
                  name="months"
                  label="Months after the leaving date"
                  hint={`A whole number from ${RETENTION_MONTHS_MIN} to ${RETENTION_MONTHS_MAX}`}
                  suffix="months"
                  className="govuk-input--width-3"
                  type="text"
                  inputMode="numeric"
                  spellCheck={false}
                  defaultValue={monthsValue}
                  error={errors.months}
                />
              ),
            },
          ]}
        />
        <Button once>Save</Button>
      </Form>
    </TwoThirds>
  );
}
