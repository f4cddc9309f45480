import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CompletedBetween } from "~/components/completed-between";
import { DateInput } from "~/components/date-input";
import { StatusCheckboxes } from "~/components/status-checkboxes";
import { ErrorSummary } from "~/components/error-summary";
import { Radios } from "~/components/radios";
import { Select } from "~/components/select";
import { EXPORT_FORMATS, FORMAT_LABELS, type ExportFormat } from "~/reporting/export-formats";
import { exportPage, XLSX_MAX_ROWS } from "~/reporting/export.server";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "Export the report – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const page = await exportPage(context.db, hr.organisationId, new URL(request.url).searchParams, context.now());
  return json({ ...page, xlsxMaxRows: XLSX_MAX_ROWS });
}

const FORMAT_HINTS: Record<ExportFormat, string> = {
  csv: "Any number of rows. Opens in Excel and other spreadsheet programs.",
  xlsx: "",
  xapi: "Every attempt, answer and signature of the people selected, one statement per line, for your learning record store.",
};

export default function Exports() {
  const { choices, values, errors, xlsxMaxRows } = useLoaderData<typeof loader>();
  const hints = { ...FORMAT_HINTS, xlsx: `Up to ${xlsxMaxRows.toLocaleString("en-GB")} rows.` };
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <h1 className="govuk-heading-l">Export the report</h1>
      <p className="govuk-body">
        Download the report of everyone in your council and where they stand on each requirement, as it is now or as it
        was at the end of a past day. Every download is recorded in the audit log with who made it, what was chosen and
        how many rows it held.
      </p>
      <form method="get" action="/hr/export" noValidate>
        <Radios
          name="format"
          legend="Format"
          error={errors.format}
          defaultValue={values.format}
          options={EXPORT_FORMATS.map((format) => ({
            value: format,
            label: FORMAT_LABELS[format],
            hint: hints[format],
          }))}
        />

        <h2 className="govuk-heading-m">Who and what to include</h2>
        <Select
          name="team"
          label="Team"
          error={errors.team}
          emptyLabel="All teams"
          defaultValue={values.team}
          options={choices.teams.map((t) => ({ value: t.id, label: t.name }))}
        />
        <StatusCheckboxes
          hint="Leave all unticked to include every status."
          error={errors.status}
          chosen={values.status}
        />
        <Select
          name="policyVersion"
          label="Version of the code of conduct signed"
          error={errors.policyVersion}
          emptyLabel="Any version"
          defaultValue={values.policyVersion}
          options={choices.policyVersions.map((v) => ({ value: v.id, label: `${v.title}, version ${v.label}` }))}
        />
        <CompletedBetween errors={errors} from={values.completedFrom} to={values.completedTo} />
        <DateInput
          name="asAt"
          legend="As at the end of"
          hint="Leave empty for now. For example, 31 3 2026"
          error={errors.asAt}
          values={values.asAt}
        />

        <div className="govuk-button-group">
          <Button>Download the report</Button>
          <Button secondary formAction="/hr/evidence-pack">
            Download an evidence pack (ZIP)
          </Button>
        </div>
        <p className="govuk-body">
          An evidence pack holds the report as CSV, the xAPI statements, each selected person&apos;s certificates (with
          the notice of any withdrawal), the exact text of each code of conduct version they signed, and a manifest with
          the SHA-256 of every file, the teams, each certificate&apos;s person and the ledger&apos;s chain head, so an
          auditor can check that nothing in it was changed. It ignores the format chosen above.
        </p>
      </form>
    </TwoThirds>
  );
}
