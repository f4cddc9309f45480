import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requestInfo, requireRole } from "~/auth/access.server";
import { CsrfInput } from "~/components/csrf-input";
import { Button } from "~/components/button";
import { ErrorSummary } from "~/components/error-summary";
import { FileUpload } from "~/components/file-upload";
import type { FieldErrors } from "~/components/form-errors";
import { Table } from "~/components/table";
import { formatDateTime } from "~/lib/dates";
import { ROSTER_MAX_MEGABYTES } from "~/people/roster-file.server";
import { recentRosterUploads, uploadRoster } from "~/people/roster-plan.server";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "Import the staff roster – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  return json({
    uploads: await recentRosterUploads(context.db, hr),
    organisationName: hr.organisationName,
    maxMegabytes: ROSTER_MAX_MEGABYTES,
  });
}

const uploadSchema = z.object({
  file: z.custom<File>(
    (v) => typeof v === "object" && v !== null && "arrayBuffer" in v && (v as File).name !== "",
    "Select a CSV file",
  ),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const parsed = uploadSchema.safeParse({ file: (await request.formData()).get("file") });
  if (!parsed.success)
    return json({ errors: { file: "Select a CSV file" } as FieldErrors, howToSave: false }, { status: 400 });
  const { file } = parsed.data;
  const result = await uploadRoster(
    context.db,
    hr,
    { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) },
    { ...requestInfo(context), now: context.now() },
  );
  if (!result.ok)
    return json(
      { errors: { file: result.error } as FieldErrors, howToSave: result.howToSave ?? false },
      { status: 400 },
    );
  return redirect(`/hr/roster/${result.uploadId}`);
}

const ROSTER_COLUMNS = [
  ["Employee number", "The person’s employee number. People are matched on it."],
  ["Name", "Their full name."],
  ["Email", "Their work email address. They sign in with it."],
  ["Team", "The name of their team. A team that does not exist yet is created."],
  ["Start date", "The day they started, like 2026-04-01 or 01/04/2026."],
  ["Leaving date (optional)", "The day they leave, in the same format. Leave it empty for people who are staying."],
];

const STATUS_TEXT: Record<string, string> = {
  invalid: "Has problems",
  ready: "Checked, not applied",
  applied: "Applied",
};

export default function RosterUpload() {
  const { uploads, organisationName, maxMegabytes } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors ?? {};
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">{organisationName}</span>
      <h1 className="govuk-heading-l">Import the staff roster</h1>
      <p className="govuk-body">
        Upload a CSV file of your staff. You will see what it would change, and every problem with its line and column,
        before anything is changed.
      </p>
      <Table
        caption="Columns the file must have"
        columns={[
          { header: "Column", cell: ([column]: string[]) => column, rowHeader: true },
          { header: "What to put in it", cell: ([, what]) => what },
        ]}
        rows={ROSTER_COLUMNS}
        rowKey={([column]) => column}
      />
      <ul className="govuk-list govuk-list--bullet">
        <li>The first line names the columns, in any order. Every line after it is one person.</li>
        <li>
          People in the file are added, or updated when something about them has changed. People not in the file are
          left as they are.
        </li>
        <li>
          Only a leaving date that is today or earlier deactivates someone. Their records and signatures are kept.
        </li>
        <li>An import never gives or takes away the HR or administrator role.</li>
        <li>If any line has a problem, nothing is changed.</li>
      </ul>
      <details className="govuk-details" open={actionData?.howToSave ?? false}>
        <summary className="govuk-details__summary">
          <span className="govuk-details__summary-text">How to save a spreadsheet as CSV UTF-8</span>
        </summary>
        <div className="govuk-details__text">
          <p className="govuk-body">
            The file must be saved as “CSV UTF-8” so that names with accents and other characters arrive as written.
          </p>
          <ul className="govuk-list govuk-list--bullet">
            <li>Excel: choose File, Save a Copy (or Save As), then “CSV UTF-8 (Comma delimited) (*.csv)”.</li>
            <li>
              LibreOffice Calc: choose File, Save As, “Text CSV (.csv)”, tick “Edit filter settings”, then choose
              “Unicode (UTF-8)”.
            </li>
            <li>Google Sheets: choose File, Download, “Comma-separated values (.csv)”.</li>
          </ul>
        </div>
      </details>
      <Form method="post" encType="multipart/form-data" noValidate>
        <CsrfInput />
        <FileUpload
          name="file"
          label="Upload a CSV file"
          labelClass="govuk-label--m"
          hint={`A .csv file saved as CSV UTF-8, up to ${maxMegabytes} MB`}
          error={errors.file}
          accept=".csv,text/csv"
        />
        <Button once>Upload and check the file</Button>
      </Form>
      {uploads.length > 0 ? (
        <Table
          caption="Your recent uploads"
          columns={[
            {
              header: "File",
              cell: (u: (typeof uploads)[number]) => (
                <Link className="govuk-link" to={`/hr/roster/${u.id}`}>
                  {u.fileName}
                </Link>
              ),
            },
            { header: "Uploaded", cell: (u) => formatDateTime(u.createdAt) },
            { header: "Status", cell: (u) => STATUS_TEXT[u.status] ?? u.status },
          ]}
          rows={uploads}
          rowKey={(u) => u.id}
        />
      ) : null}
    </TwoThirds>
  );
}
