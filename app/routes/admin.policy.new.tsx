import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { requestInfo, requireRole } from "~/auth/access.server";
import { policyVersionDraft, publishPolicyVersionOnce } from "~/attestation/policies.server";
import { readPolicyForm, type PolicyFormValues } from "~/attestation/policy-form.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { DateInput } from "~/components/date-input";
import { ErrorSummary } from "~/components/error-summary";
import { FileUpload } from "~/components/file-upload";
import type { FieldErrors } from "~/components/form-errors";
import { NotificationBanner } from "~/components/notification-banner";
import { PolicyDiff } from "~/components/policy-diff";
import { PolicyDocument } from "~/components/policy-document";
import { Radios } from "~/components/radios";
import { SummaryList } from "~/components/summary-list";
import { TextInput } from "~/components/text-input";
import { Textarea } from "~/components/textarea";
import { TwoThirds } from "~/components/two-thirds";
import { WarningText } from "~/components/warning-text";
import { formatDate, londonDate } from "~/lib/dates";

export const meta: MetaFunction = () => [
  { title: "Publish a new version of the code of conduct – Social media code of conduct" },
];

const EMPTY: PolicyFormValues = {
  body: "",
  versionLabel: "",
  effectiveDate: { day: "", month: "", year: "" },
  requiresReattestation: "",
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  return json({ organisationName: admin.organisationName });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const form = await request.formData();
  const intent = form.get("intent");
  const read = await readPolicyForm(form);
  if (!read.ok) return json({ stage: "form" as const, errors: read.errors, values: read.values }, { status: 400 });
  if (intent === "change") return json({ stage: "form" as const, errors: {} as FieldErrors, values: read.values });
  const now = context.now();
  const draft = await policyVersionDraft(context.db, admin.organisationId, read.input, londonDate(now));
  if (intent === "publish") {
    if (form.get("sha256") !== draft.sha256)
      return json(
        {
          stage: "form" as const,
          errors: { body: "The text is not the text you checked. Check it again before publishing" } as FieldErrors,
          values: read.values,
        },
        { status: 409 },
      );
    const published = await publishPolicyVersionOnce(context.db, admin.organisationId, read.input, {
      userId: admin.id,
      request: requestInfo(context),
      now,
    });
    if (!published.ok)
      return json(
        { stage: "form" as const, errors: { versionLabel: published.error } as FieldErrors, values: read.values },
        { status: 400 },
      );
    return redirect(`/admin/policy?published=${encodeURIComponent(published.version.versionLabel)}`);
  }
  if (draft.labelTaken)
    return json(
      {
        stage: "form" as const,
        errors: {
          versionLabel: `Version ${read.input.versionLabel} already exists: give this version another label`,
        } as FieldErrors,
        values: read.values,
      },
      { status: 400 },
    );
  return json({ stage: "check" as const, input: read.input, draft });
}

const FIELD_IDS = { effectiveDate: "effectiveDate", requiresReattestation: "requiresReattestation" };

function PublishForm({ values, errors }: { values: PolicyFormValues; errors: FieldErrors }) {
  return (
    <Form method="post" encType="multipart/form-data" noValidate>
      <CsrfInput />
      <Textarea
        name="body"
        label="Paste the text of the new version"
        labelClass="govuk-label--m"
        hint="Headings on lines of their own, a blank line between paragraphs. What you paste is exactly what staff read and sign."
        rows={12}
        defaultValue={values.body}
        error={errors.body}
        spellCheck={false}
      />
      <FileUpload
        name="file"
        label="Or upload it as a text file"
        labelClass="govuk-label--s"
        hint="A .txt file saved as UTF-8. Leave the box above empty if you upload a file."
        accept=".txt,text/plain"
        error={errors.file}
      />
      <TextInput
        name="versionLabel"
        label="Version label"
        hint="Letters and numbers, like 2 or 2.1. Each version needs its own label."
        className="govuk-input--width-10"
        defaultValue={values.versionLabel}
        error={errors.versionLabel}
        spellCheck={false}
      />
      <DateInput
        name="effectiveDate"
        legend="The date it takes effect"
        legendSize="m"
        hint="For example, 31 1 2027. Staff sign the version in force; a date in the future publishes it now for that day."
        values={values.effectiveDate}
        error={errors.effectiveDate}
      />
      <Radios
        name="requiresReattestation"
        legend="Must everyone sign this version again?"
        hint="Choose no only for a correction that changes no rule: signatures of earlier versions then still count."
        defaultValue={values.requiresReattestation}
        error={errors.requiresReattestation}
        options={[
          { value: "yes", label: "Yes, everyone signs it again", hint: "From the day it takes effect" },
          { value: "no", label: "No, earlier signatures still count" },
        ]}
      />
      <Button name="intent" value="check" once>
        Check the new version
      </Button>
    </Form>
  );
}

export default function PublishPolicy() {
  const { organisationName } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  if (data?.stage === "check") {
    const { input, draft } = data;
    return (
      <>
        <TwoThirds>
          <span className="govuk-caption-l">{organisationName}</span>
          <h1 className="govuk-heading-l">Check version {input.versionLabel} before you publish it</h1>
          <SummaryList
            rows={[
              { key: "Version", value: input.versionLabel },
              { key: "Takes effect", value: formatDate(input.effectiveDate) },
              {
                key: "Everyone signs again",
                value: input.requiresReattestation ? "Yes" : "No, earlier signatures still count",
              },
              { key: "SHA-256 of the text", value: <code>{draft.sha256}</code> },
            ]}
          />
          <h2 className="govuk-heading-m">
            {draft.inForce ? `What changed from version ${draft.inForce.versionLabel}` : "What changed"}
          </h2>
          {draft.inForce ? (
            draft.inForce.unchanged ? (
              <WarningText>
                The text is the same as version {draft.inForce.versionLabel}, in force since{" "}
                {formatDate(draft.inForce.effectiveDate)}.
              </WarningText>
            ) : (
              <>
                <p className="govuk-body">
                  Compared with version {draft.inForce.versionLabel}, in force since{" "}
                  {formatDate(draft.inForce.effectiveDate)}. Added words are underlined, removed words struck through.
                </p>
                <PolicyDiff rows={draft.inForce.diff} />
              </>
            )
          ) : (
            <p className="govuk-body">No version is in force yet: this will be the first.</p>
          )}
          <h2 className="govuk-heading-m">The text as staff will read it</h2>
        </TwoThirds>
        <div className="govuk-grid-row">
          <div className="govuk-grid-column-two-thirds">
            <PolicyDocument blocks={draft.blocks} headingOffset={1} />
            <Form method="post" noValidate className="govuk-!-margin-top-6">
              <CsrfInput />
              <input type="hidden" name="body" value={draft.body} />
              <input type="hidden" name="versionLabel" value={input.versionLabel} />
              <input type="hidden" name="effectiveDate" value={input.effectiveDate} />
              <input type="hidden" name="requiresReattestation" value={input.requiresReattestation ? "yes" : "no"} />
              <input type="hidden" name="sha256" value={draft.sha256} />
              <WarningText>A published version cannot be changed or removed.</WarningText>
              <div className="govuk-button-group">
                <Button name="intent" value="publish" once>
                  Publish version {input.versionLabel}
                </Button>
                <Button name="intent" value="change" secondary>
                  Change it
                </Button>
              </div>
            </Form>
          </div>
        </div>
      </>
    );
  }
  const values = data?.values ?? EMPTY;
  const errors = data?.errors ?? {};
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} fieldIds={FIELD_IDS} />
      {data && data.stage === "form" && Object.keys(errors).length === 0 ? (
        <NotificationBanner
          id="changing"
          heading="Nothing is published yet. Change what you need, then check it again."
        />
      ) : null}
      <span className="govuk-caption-l">{organisationName}</span>
      <h1 className="govuk-heading-l">Publish a new version of the code of conduct</h1>
      <p className="govuk-body">
        You will see the new version, and what changed from the version in force, before anything is published.
      </p>
      <PublishForm values={values} errors={errors} />
      <p className="govuk-body">
        <Link className="govuk-link" to="/admin/policy">
          Back to the code of conduct versions
        </Link>
      </p>
    </TwoThirds>
  );
}
