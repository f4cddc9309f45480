import {
  json,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
  type SerializeFrom,
} from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation, useSearchParams } from "@remix-run/react";
import { requireRole } from "~/auth/access.server";
import { BackLink } from "~/components/back-link";
import { Button } from "~/components/button";
import { CompletedBetween } from "~/components/completed-between";
import { DateInput } from "~/components/date-input";
import { StatusCheckboxes } from "~/components/status-checkboxes";
import { ErrorSummary } from "~/components/error-summary";
import { Pagination } from "~/components/pagination";
import { StatusTag } from "~/components/status-tag";
import { Select } from "~/components/select";
import { Table } from "~/components/table";
import { datePartsOf } from "~/lib/date-fields";
import { evidenceWords } from "~/reporting/evidence-labels";
import { formatDate, formatDateTime } from "~/lib/dates";
import { REPORT_PAGE_SIZE, reportView, type ReportRow } from "~/reporting/report.server";
import { STATUS_LABELS, STATUSES, type Status } from "~/tracking/statuses";
import { dueWords, exemptionSummary } from "~/tracking/status-words";

export const meta: MetaFunction = () => [{ title: "Completion report – HR – Social media code of conduct" }];

// What HR sees about people is not kept in any cache.
export const headers: HeadersFunction = ({ loaderHeaders }) => ({
  "Cache-Control": loaderHeaders.get("Cache-Control") ?? "private, no-store",
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const view = await reportView(context.db, hr.organisationId, new URL(request.url).searchParams, context.now());
  return json(
    { ...view, organisationName: hr.organisationName, pageSize: REPORT_PAGE_SIZE },
    { status: view.ok ? 200 : 400, headers: { "Cache-Control": "private, no-store" } },
  );
}

type LoaderData = SerializeFrom<typeof loader>;

const number = new Intl.NumberFormat("en-GB");

function Filters({ data }: { data: LoaderData }) {
  const [params] = useSearchParams();
  const location = useLocation();
  const errors: Record<string, string | undefined> = data.ok ? {} : data.errors;
  return (
    // Keyed by the query, so the fields show the filters of the page the browser is on (back button included).
    <Form method="get" action="/hr/report" key={location.search} noValidate className="app-report-filters">
      <h2 className="govuk-heading-m">Filters</h2>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-one-half">
          <Select
            name="team"
            label="Team"
            error={errors.team}
            emptyLabel="All teams"
            defaultValue={params.get("team") ?? ""}
            options={data.options.teams.map((t) => ({ value: t.id, label: t.name }))}
          />
          <Select
            name="policyVersion"
            label="Version of the code of conduct signed"
            error={errors.policyVersion}
            emptyLabel="Any version, or none"
            defaultValue={params.get("policyVersion") ?? ""}
            options={data.options.policyVersions.map((v) => ({
              value: v.id,
              label: `Version ${v.label} (in force from ${formatDate(v.effectiveDate)})`,
            }))}
          />
          <DateInput
            name="asAt"
            legend="As at"
            hint="Leave blank for today. A past date shows the figures that day would have shown, with people in the teams they were in then. For example, 31 3 2026"
            error={errors.asAt}
            values={datePartsOf(params, "asAt")}
          />
        </div>
        <div className="govuk-grid-column-one-half">
          <StatusCheckboxes error={errors.status} chosen={params.getAll("status")} />
          <CompletedBetween
            errors={errors}
            from={datePartsOf(params, "completedFrom")}
            to={datePartsOf(params, "completedTo")}
          />
        </div>
      </div>
      <div className="govuk-button-group">
        <Button>Show the report</Button>
        <Link className="govuk-link" to="/hr/report">
          Clear the filters
        </Link>
      </div>
    </Form>
  );
}

function Results({ data }: { data: Extract<LoaderData, { ok: true }> }) {
  const { report, query, asAtDay, pageSize } = data;
  const withQuery = (path: string, extra?: string) => `${path}?${[extra, query].filter(Boolean).join("&")}`;
  const first = (report.page - 1) * pageSize + 1;
  const last = first + report.rows.length - 1;
  return (
    <>
      {asAtDay ? (
        <div className="govuk-inset-text" id="as-at">
          <strong>As at the end of {formatDate(asAtDay)}.</strong> These are the figures that day would have shown:
          people who were staff then, in the teams they were in then, under the requirement settings of that day, with
          only what had been recorded by then. Later joiners, leavers, moves and signatures do not change them, nor do
          exemptions or training completed elsewhere recorded later, even when dated earlier.
        </div>
      ) : (
        <p className="govuk-body">As at {formatDateTime(report.asAt)} (UK time).</p>
      )}
      <Table
        caption={`Totals: ${number.format(report.totals.people)} ${report.totals.people === 1 ? "person" : "people"}, ${number.format(report.totals.rows)} ${report.totals.rows === 1 ? "requirement" : "requirements"}`}
        columns={[
          { header: "Status", cell: (s: Status) => STATUS_LABELS[s], rowHeader: true },
          { header: "Requirements", cell: (s) => number.format(report.totals.byStatus[s]), numeric: true },
          {
            header: "Share",
            cell: (s) =>
              report.totals.rows ? `${Math.round((report.totals.byStatus[s] / report.totals.rows) * 100)}%` : "–",
            numeric: true,
          },
        ]}
        rows={[...STATUSES]}
        rowKey={(s) => s}
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
            {
              header: "Status",
              cell: (r) => (
                <StatusTag
                  status={r.status}
                  label={
                    r.status === "exempt"
                      ? exemptionSummary({
                          exemptionReason: r.exemption_reason,
                          exemptionReasonText: r.exemption_reason_text,
                          exemptUntil: r.exempt_until,
                        })
                      : undefined
                  }
                />
              ),
            },
            { header: "Since", cell: (r) => formatDate(r.since) },
            { header: "Due or renewal", cell: (r) => dueWords({ status: r.status, dueOn: r.due_on }) },
            { header: "Completed", cell: (r) => (r.completed_at ? formatDateTime(r.completed_at) : "–") },
            { header: "Evidence", cell: evidenceWords },
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
  const data = useLoaderData<typeof loader>();
  return (
    <>
      <BackLink to="/hr">HR</BackLink>
      <span className="govuk-caption-l">{data.organisationName}</span>
      <h1 className="govuk-heading-l">Completion report</h1>
      {data.ok ? null : <ErrorSummary errors={data.errors} />}
      <Filters data={data} />
      {data.ok ? <Results data={data} /> : null}
    </>
  );
}
