import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireRole } from "~/auth/access.server";
import { ErrorSummary } from "~/components/error-summary";
import { EXPORT_FORMATS, exportPage, FORMAT_LABELS, XLSX_MAX_ROWS } from "~/reporting/export.server";
import { STATUS_LABELS, STATUSES } from "~/tracking/status.server";

export const meta: MetaFunction = () => [{ title: "Export the report – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const page = await exportPage(context.db, hr.organisationId, new URL(request.url).searchParams, context.now());
  return { ...page, xlsxMaxRows: XLSX_MAX_ROWS };
}

const FORMAT_HINTS: Record<(typeof EXPORT_FORMATS)[number], string> = {
  csv: "Any number of rows. Opens in Excel and other spreadsheet programs.",
  xlsx: "",
  xapi: "Every attempt, answer and signature of the people selected, one statement per line, for your learning record store.",
};

function ErrorMessage({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p id={`${id}-error`} className="govuk-error-message">
      <span className="govuk-visually-hidden">Error:</span> {message}
    </p>
  );
}

function DateField({ name, label, value, error }: { name: string; label: string; value: string; error?: string }) {
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <label className="govuk-label" htmlFor={name}>
        {label}
      </label>
      <div id={`${name}-hint`} className="govuk-hint">
        For example, 2026-04-01
      </div>
      <ErrorMessage id={name} message={error} />
      <input
        className={`govuk-input govuk-input--width-10${error ? " govuk-input--error" : ""}`}
        id={name}
        name={name}
        type="text"
        inputMode="numeric"
        autoComplete="off"
        spellCheck={false}
        defaultValue={value}
        aria-describedby={`${name}-hint${error ? ` ${name}-error` : ""}`}
      />
    </div>
  );
}

export default function Exports() {
  const { choices, values, errors, xlsxMaxRows } = useLoaderData<typeof loader>();
  const hints = { ...FORMAT_HINTS, xlsx: `Up to ${xlsxMaxRows.toLocaleString("en-GB")} rows.` };
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} fieldIds={{ status: "status", format: "format" }} />
        <h1 className="govuk-heading-l">Export the report</h1>
        <p className="govuk-body">
          Download the report of everyone in your council and where they stand on each requirement, as it is now or as
          it was at the end of a past day. Every download is recorded in the audit log with who made it, what was chosen
          and how many rows it held.
        </p>
        <form method="get" action="/hr/export" noValidate>
          <div className={`govuk-form-group${errors.format ? " govuk-form-group--error" : ""}`}>
            <fieldset className="govuk-fieldset" aria-describedby={errors.format ? "format-error" : undefined}>
              <legend className="govuk-fieldset__legend govuk-fieldset__legend--m">Format</legend>
              <ErrorMessage id="format" message={errors.format} />
              <div className="govuk-radios" data-module="govuk-radios">
                {EXPORT_FORMATS.map((format, index) => {
                  const id = index === 0 ? "format" : `format-${index + 1}`;
                  return (
                    <div className="govuk-radios__item" key={format}>
                      <input
                        className="govuk-radios__input"
                        id={id}
                        name="format"
                        type="radio"
                        value={format}
                        defaultChecked={values.format === format}
                        aria-describedby={`${id}-hint`}
                      />
                      <label className="govuk-label govuk-radios__label" htmlFor={id}>
                        {FORMAT_LABELS[format]}
                      </label>
                      <div id={`${id}-hint`} className="govuk-hint govuk-radios__hint">
                        {hints[format]}
                      </div>
                    </div>
                  );
                })}
              </div>
            </fieldset>
          </div>

          <h2 className="govuk-heading-m">Who and what to include</h2>
          <div className={`govuk-form-group${errors.team ? " govuk-form-group--error" : ""}`}>
            <label className="govuk-label" htmlFor="team">
              Team
            </label>
            <ErrorMessage id="team" message={errors.team} />
            <select className="govuk-select" id="team" name="team" defaultValue={values.team}>
              <option value="">All teams</option>
              {choices.teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>

          <div className={`govuk-form-group${errors.status ? " govuk-form-group--error" : ""}`}>
            <fieldset
              className="govuk-fieldset"
              aria-describedby={`status-hint${errors.status ? " status-error" : ""}`}
            >
              <legend className="govuk-fieldset__legend govuk-fieldset__legend--s">Status</legend>
              <div id="status-hint" className="govuk-hint">
                Leave all unticked to include every status.
              </div>
              <ErrorMessage id="status" message={errors.status} />
              <div className="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                {STATUSES.map((status, index) => (
                  <div className="govuk-checkboxes__item" key={status}>
                    <input
                      className="govuk-checkboxes__input"
                      id={index === 0 ? "status" : `status-${status}`}
                      name="status"
                      type="checkbox"
                      value={status}
                      defaultChecked={values.status.includes(status)}
                    />
                    <label
                      className="govuk-label govuk-checkboxes__label"
                      htmlFor={index === 0 ? "status" : `status-${status}`}
                    >
                      {STATUS_LABELS[status]}
                    </label>
                  </div>
                ))}
              </div>
            </fieldset>
          </div>

          <div className={`govuk-form-group${errors.policyVersion ? " govuk-form-group--error" : ""}`}>
            <label className="govuk-label" htmlFor="policyVersion">
              Version of the code of conduct signed
            </label>
            <ErrorMessage id="policyVersion" message={errors.policyVersion} />
            <select
              className="govuk-select"
              id="policyVersion"
              name="policyVersion"
              defaultValue={values.policyVersion}
            >
              <option value="">Any version</option>
              {choices.policyVersions.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.title}, version {v.label}
                </option>
              ))}
            </select>
          </div>

          <fieldset className="govuk-fieldset govuk-!-margin-bottom-6">
            <legend className="govuk-fieldset__legend govuk-fieldset__legend--s">Completed between</legend>
            <DateField
              name="completedFrom"
              label="First day"
              value={values.completedFrom}
              error={errors.completedFrom}
            />
            <DateField name="completedTo" label="Last day" value={values.completedTo} error={errors.completedTo} />
          </fieldset>

          <DateField
            name="asAt"
            label="As at the end of (leave empty for now)"
            value={values.asAt}
            error={errors.asAt}
          />

          <div className="govuk-button-group">
            <button type="submit" className="govuk-button" data-module="govuk-button">
              Download the report
            </button>
            <button
              type="submit"
              className="govuk-button govuk-button--secondary"
              data-module="govuk-button"
              formAction="/hr/evidence-pack"
            >
              Download an evidence pack (ZIP)
            </button>
          </div>
          <p className="govuk-body">
            An evidence pack holds the report as CSV, the xAPI statements, each selected person&apos;s certificates and
            a manifest with the SHA-256 of every file and the ledger&apos;s chain head, so an auditor can check that
            nothing in it was changed. It ignores the format chosen above.
          </p>
        </form>
      </div>
    </div>
  );
}
