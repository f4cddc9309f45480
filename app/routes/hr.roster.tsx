import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requestInfo, requireRole } from "~/auth/access.server";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import type { FieldErrors } from "~/components/form-errors";
import { formatDateTime } from "~/lib/dates";
import { ROSTER_MAX_MEGABYTES } from "~/reporting/roster-file.server";
import { recentRosterUploads, uploadRoster } from "~/reporting/roster-import.server";

export const meta: MetaFunction = () => [{ title: "Import the staff roster – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  return {
    uploads: await recentRosterUploads(context.db, hr),
    organisationName: hr.organisationName,
    maxMegabytes: ROSTER_MAX_MEGABYTES,
  };
}

const uploadSchema = z.object({
  file: z.custom<File>(
    (v) => typeof v === "object" && v !== null && "arrayBuffer" in v && (v as File).name !== "",
    "Select a CSV file",
  ),
});

type ActionData = { errors: FieldErrors; howToSave?: boolean };

export async function action({ request, context }: ActionFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const parsed = uploadSchema.safeParse({ file: (await request.formData()).get("file") });
  if (!parsed.success)
    return Response.json({ errors: { file: "Select a CSV file" } } satisfies ActionData, { status: 400 });
  const { file } = parsed.data;
  const result = await uploadRoster(
    context.db,
    hr,
    { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) },
    { ...requestInfo(context), now: context.now() },
  );
  if (!result.ok)
    return Response.json({ errors: { file: result.error }, howToSave: result.howToSave } satisfies ActionData, {
      status: 400,
    });
  return redirect(`/hr/roster/${result.uploadId}`);
}

const STATUS_TEXT: Record<string, string> = {
  invalid: "Has problems",
  ready: "Checked, not applied",
  applied: "Applied",
};

export default function RosterUpload() {
  const { uploads, organisationName, maxMegabytes } = useLoaderData<typeof loader>();
  const actionData = useActionData<ActionData>();
  const errors = actionData?.errors ?? {};
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        <span className="govuk-caption-l">{organisationName}</span>
        <h1 className="govuk-heading-l">Import the staff roster</h1>
        <p className="govuk-body">
          Upload a CSV file of your staff. You will see what it would change, and every problem with its line and
          column, before anything is changed.
        </p>
        <table className="govuk-table">
          <caption className="govuk-table__caption govuk-table__caption--m">Columns the file must have</caption>
          <thead className="govuk-table__head">
            <tr className="govuk-table__row">
              <th scope="col" className="govuk-table__header">
                Column
              </th>
              <th scope="col" className="govuk-table__header">
                What to put in it
              </th>
            </tr>
          </thead>
          <tbody className="govuk-table__body">
            {[
              ["Employee number", "The person’s employee number. People are matched on it."],
              ["Name", "Their full name."],
              ["Email", "Their work email address. They sign in with it."],
              ["Team", "The name of their team. A team that does not exist yet is created."],
              ["Start date", "The day they started, like 2026-04-01 or 01/04/2026."],
              [
                "Leaving date (optional)",
                "The day they leave, in the same format. Leave it empty for people who are staying.",
              ],
            ].map(([column, what]) => (
              <tr key={column} className="govuk-table__row">
                <th scope="row" className="govuk-table__header">
                  {column}
                </th>
                <td className="govuk-table__cell">{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
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
          <div className={`govuk-form-group${errors.file ? " govuk-form-group--error" : ""}`}>
            <label className="govuk-label govuk-label--m" htmlFor="file">
              Upload a CSV file
            </label>
            <div id="file-hint" className="govuk-hint">
              A .csv file saved as CSV UTF-8, up to {maxMegabytes} MB
            </div>
            {errors.file ? (
              <p id="file-error" className="govuk-error-message">
                <span className="govuk-visually-hidden">Error:</span> {errors.file}
              </p>
            ) : null}
            <input
              className={`govuk-file-upload${errors.file ? " govuk-file-upload--error" : ""}`}
              id="file"
              name="file"
              type="file"
              accept=".csv,text/csv"
              aria-describedby={errors.file ? "file-hint file-error" : "file-hint"}
            />
          </div>
          <button type="submit" className="govuk-button" data-module="govuk-button" data-prevent-double-click="true">
            Upload and check the file
          </button>
        </Form>
        {uploads.length > 0 ? (
          <table className="govuk-table">
            <caption className="govuk-table__caption govuk-table__caption--m">Your recent uploads</caption>
            <thead className="govuk-table__head">
              <tr className="govuk-table__row">
                <th scope="col" className="govuk-table__header">
                  File
                </th>
                <th scope="col" className="govuk-table__header">
                  Uploaded
                </th>
                <th scope="col" className="govuk-table__header">
                  Status
                </th>
              </tr>
            </thead>
            <tbody className="govuk-table__body">
              {uploads.map((u) => (
                <tr key={u.id} className="govuk-table__row">
                  <td className="govuk-table__cell">
                    <Link className="govuk-link" to={`/hr/roster/${u.id}`}>
                      {u.fileName}
                    </Link>
                  </td>
                  <td className="govuk-table__cell">{formatDateTime(u.createdAt)}</td>
                  <td className="govuk-table__cell">{STATUS_TEXT[u.status] ?? u.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
    </div>
  );
}
