import type { HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation, useSearchParams } from "@remix-run/react";
import { requireRole } from "~/auth/access.server";
import { ErrorSummary } from "~/components/error-summary";
import { Pagination } from "~/components/pagination";
import { StatusTag } from "~/components/status-tag";
import { Table } from "~/components/table";
import { formatDate, formatDateTime } from "~/lib/dates";
import { REPORT_PAGE_SIZE, reportView, type ReportRow, type ReportView } from "~/reporting/report.server";
import { STATUS_LABELS, STATUSES, type Status } from "~/tracking/status.server";

export const meta: MetaFunction = () => [{ title: "Completion report – HR – Social media code of conduct" }];

type LoaderData = ReportView & {
  organisationName: string;
  pageSize: number;
  statuses: { value: Status; label: string }[];
};

// What HR sees about people is not kept in any cache.
export const headers: HeadersFunction = ({ loaderHeaders }) => ({
  "Cache-Control": loaderHeaders.get("Cache-Control") ?? "private, no-store",
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const view = await reportView(context.db, hr.organisationId, new URL(request.url).searchParams, context.now());
  const data: LoaderData = {
    ...view,
    organisationName: hr.organisationName,
    pageSize: REPORT_PAGE_SIZE,
    statuses: STATUSES.map((value) => ({ value, label: STATUS_LABELS[value] })),
  };
  return Response.json(data, { status: view.ok ? 200 : 400, headers: { "Cache-Control": "private, no-store" } });
}

const number = new Intl.NumberFormat("en-GB");

function FieldError({ id, error }: { id: string; error?: string }) {
  if (!error) return null;
  return (
    <p id={`${id}-error`} className="govuk-error-message">
      <span className="govuk-visually-hidden">Error:</span> {error}
    </p>
  );
}

function Select({
  id,
  label,
  error,
  options,
  defaultValue,
  emptyLabel,
}: {
  id: string;
  label: string;
  error?: string;
  options: { value: string; label: string }[];
  defaultValue: string;
  emptyLabel: string;
}) {
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <label className="govuk-label" htmlFor={id}>
        {label}
      </label>
      <FieldError id={id} error={error} />
      <select
        className={`govuk-select${error ? " govuk-select--error" : ""}`}
        id={id}
        name={id}
        defaultValue={defaultValue}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        <option value="">{emptyLabel}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function DateField({
  id,
  label,
  hint,
  error,
  defaultValue,
}: {
  id: string;
  label: string;
  hint: string;
  error?: string;
  defaultValue: string;
}) {
  const describedBy = [`${id}-hint`, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <label className="govuk-label" htmlFor={id}>
        {label}
      </label>
      <div id={`${id}-hint`} className="govuk-hint">
        {hint}
      </div>
      <FieldError id={id} error={error} />
      <input
        className={`govuk-input govuk-input--width-10${error ? " govuk-input--error" : ""}`}
        type="date"
        id={id}
        name={id}
        defaultValue={defaultValue}
        aria-describedby={describedBy}
      />
    </div>
  );
}

function Filters({ data }: { data: LoaderData }) {
  const [params] = useSearchParams();
  const location = useLocation();
  const errors = data.ok ? {} : data.errors;
  const chosen = new Set(params.getAll("status"));
  return (
    // Keyed by the query, so the fields show the filters of the page the browser is on (back button included).
    <Form method="get" action="/hr/report" key={location.search} noValidate className="app-report-filters">
      <h2 className="govuk-heading-m">Filters</h2>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-one-half">
          <Select
            id="team"
            label="Team"
            error={errors.team}
            emptyLabel="All teams"
            defaultValue={params.get("team") ?? ""}
            options={data.options.teams.map((t) => ({ value: t.id, label: t.name }))}
          />
          <Select
            id="policyVersion"
            label="Version of the code of conduct signed"
            error={errors.policyVersion}
            emptyLabel="Any version, or none"
            defaultValue={params.get("policyVersion") ?? ""}
            options={data.options.policyVersions.map((v) => ({
              value: v.id,
              label: `Version ${v.label} (in force from ${formatDate(v.effectiveDate)})`,
            }))}
          />
          <DateField
            id="asAt"
            label="As at"
            hint="Leave blank for today. A past date shows the figures that day would have shown, with people in the teams they were in then."
            error={errors.asAt}
            defaultValue={params.get("asAt") ?? ""}
          />
        </div>
        <div className="govuk-grid-column-one-half">
          <div className={`govuk-form-group${errors.status ? " govuk-form-group--error" : ""}`}>
            <fieldset className="govuk-fieldset" aria-describedby={errors.status ? "status-error" : undefined}>
              <legend className="govuk-fieldset__legend govuk-fieldset__legend--s">Status</legend>
              <FieldError id="status" error={errors.status} />
              <div className="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                {data.statuses.map((s, i) => (
                  <div key={s.value} className="govuk-checkboxes__item">
                    <input
                      className="govuk-checkboxes__input"
                      id={i === 0 ? "status" : `status-${s.value}`}
                      name="status"
                      type="checkbox"
                      value={s.value}
                      defaultChecked={chosen.has(s.value)}
                    />
                    <label
                      className="govuk-label govuk-checkboxes__label"
                      htmlFor={i === 0 ? "status" : `status-${s.value}`}
                    >
                      {s.label}
                    </label>
                  </div>
                ))}
              </div>
            </fieldset>
          </div>
          <DateField
            id="completedFrom"
            label="Completed on or after"
            hint="For example, 2026-04-01"
            error={errors.completedFrom}
            defaultValue={params.get("completedFrom") ?? ""}
          />
          <DateField
            id="completedTo"
            label="Completed on or before"
            hint="For example, 2026-06-30"
            error={errors.completedTo}
            defaultValue={params.get("completedTo") ?? ""}
          />
        </div>
      </div>
      <div className="govuk-button-group">
        <button type="submit" className="govuk-button" data-module="govuk-button">
          Show the report
        </button>
        <Link className="govuk-link" to="/hr/report">
          Clear the filters
        </Link>
      </div>
    </Form>
  );
}

function evidenceOf(row: ReportRow) {
  if (row.attestation_reference) return `Version ${row.policy_version ?? "?"}, record ${row.attestation_reference}`;
  if (row.attempt_id) return "Passed attempt";
  return "None";
}

function Results({ data }: { data: Extract<LoaderData, { ok: true }> }) {
  const { report, query, asAtDay, statuses, pageSize } = data;
  const labels = Object.fromEntries(statuses.map((s) => [s.value, s.label])) as Record<Status, string>;
  const withQuery = (path: string, extra?: string) => `${path}?${[extra, query].filter(Boolean).join("&")}`;
  const first = (report.page - 1) * pageSize + 1;
  const last = first + report.rows.length - 1;
  return (
    <>
      {asAtDay ? (
        <div className="govuk-inset-text" id="as-at">
          <strong>As at the end of {formatDate(asAtDay)}.</strong> These are the figures that day would have shown:
          people who were staff then, in the teams they were in then, with only what had been recorded by then. Later
          joiners, leavers, moves and signatures do not change them.
        </div>
      ) : (
        <p className="govuk-body">As at {formatDateTime(report.asAt)} (UK time).</p>
      )}
      <Table
        caption={`Totals: ${number.format(report.totals.people)} ${report.totals.people === 1 ? "person" : "people"}, ${number.format(report.totals.rows)} ${report.totals.rows === 1 ? "requirement" : "requirements"}`}
        columns={[
          { header: "Status", cell: (s: (typeof statuses)[number]) => s.label, rowHeader: true },
          { header: "Requirements", cell: (s) => number.format(report.totals.byStatus[s.value]), numeric: true },
          {
            header: "Share",
            cell: (s) =>
              report.totals.rows ? `${Math.round((report.totals.byStatus[s.value] / report.totals.rows) * 100)}%` : "–",
            numeric: true,
          },
        ]}
        rows={statuses}
        rowKey={(s) => s.value}
        id="totals"
      />
      <h2 className="govuk-heading-m">Download this selection</h2>
      <ul className="govuk-list">
        <li>
          <a className="govuk-link" href={withQuery("/hr/export", "format=csv")} download>
            Download as CSV
          </a>
        </li>
        <li>
          <a className="govuk-link" href={withQuery("/hr/export", "format=xlsx")} download>
            Download as Excel spreadsheet (XLSX)
          </a>
        </li>
        <li>
          <a className="govuk-link" href={withQuery("/hr/export", "format=xapi")} download>
            Download as xAPI statements (JSON lines)
          </a>
        </li>
        <li>
          <a className="govuk-link" href={withQuery("/hr/evidence-pack")} download>
            Download the evidence pack (ZIP with a SHA-256 manifest)
          </a>
        </li>
      </ul>
      {report.rows.length === 0 ? (
        <p className="govuk-body" id="no-rows">
          {report.totals.rows === 0 ? (
            "Nobody matches these filters."
          ) : (
            <>
              There are no rows on this page.{" "}
              <Link className="govuk-link" to={withQuery("/hr/report")}>
                Go to the first page
              </Link>
              .
            </>
          )}
        </p>
      ) : (
        <Table
          caption={`People and requirements ${number.format(first)} to ${number.format(last)} of ${number.format(report.totals.rows)}`}
          id="report-rows"
          columns={[
            {
              header: "Name",
              rowHeader: true,
              cell: (r: ReportRow) => (
                <>
                  <Link className="govuk-link" to={`/hr/people/${r.user_id}`}>
                    {r.name}
                  </Link>
                  <br />
                  <span className="govuk-body-s">{r.employee_number}</span>
                </>
              ),
            },
            { header: "Team", cell: (r) => r.team ?? "No team" },
            { header: "Requirement", cell: (r) => r.requirement },
            { header: "Status", cell: (r) => <StatusTag status={r.status} label={labels[r.status]} /> },
            { header: "Since", cell: (r) => formatDate(r.since) },
            { header: "Due or renewal", cell: (r) => formatDate(r.due_on) },
            { header: "Completed", cell: (r) => (r.completed_at ? formatDateTime(r.completed_at) : "–") },
            { header: "Evidence", cell: evidenceOf },
          ]}
          rows={report.rows}
          rowKey={(r) => `${r.user_id}-${r.requirement_id}`}
        />
      )}
      <Pagination
        page={report.page}
        pageCount={report.pageCount}
        href={(page) => withQuery("/hr/report", `page=${page}`)}
        label="Pages of the report"
      />
    </>
  );
}

export default function HrReport() {
  const data = useLoaderData<LoaderData>();
  return (
    <>
      <Link className="govuk-back-link" to="/hr">
        HR
      </Link>
      <span className="govuk-caption-l">{data.organisationName}</span>
      <h1 className="govuk-heading-l">Completion report</h1>
      {data.ok ? null : <ErrorSummary errors={data.errors} />}
      <Filters data={data} />
      {data.ok ? <Results data={data} /> : null}
    </>
  );
}
