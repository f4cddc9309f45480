import { json, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation, useSearchParams } from "@remix-run/react";
import { actionLabel } from "~/audit/action-label";
import {
  auditActions,
  auditLogPage,
  auditLogQueryString,
  parseAuditLogFilter,
  type AuditLogEntry,
} from "~/audit/audit-log.server";
import { requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { DateInput } from "~/components/date-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { Pagination } from "~/components/pagination";
import { Select } from "~/components/select";
import { Table } from "~/components/table";
import { TextInput } from "~/components/text-input";
import { datePartsOf } from "~/lib/date-fields";
import { formatDateTime } from "~/lib/dates";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data && !data.ok ? "Error: " : ""}Audit log – Social media code of conduct` },
];

export const headers: HeadersFunction = () => ({ "Cache-Control": "private, no-store" });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const filter = parseAuditLogFilter(new URL(request.url).searchParams);
  const actions = await auditActions(context.db, admin.organisationId);
  if (!filter.success) return json({ ok: false as const, actions, errors: fieldErrors(filter.error) }, { status: 400 });
  const page = await auditLogPage(context.db, admin.organisationId, filter.data);
  return json({ ok: true as const, actions, query: auditLogQueryString(filter.data), ...page });
}

const number = new Intl.NumberFormat("en-GB");

function Filters({ actions, errors }: { actions: string[]; errors: Record<string, string | undefined> }) {
  const [params] = useSearchParams();
  const location = useLocation();
  const action = params.get("action") ?? "";
  return (
    // Keyed by the query, so the fields show the filters of the page the browser is on (back button included).
    <Form method="get" action="/admin/audit" key={location.search} noValidate>
      <h2 className="govuk-heading-m">Filters</h2>
      <TextInput
        name="who"
        label="Who"
        hint="The name, e-mail address or employee number of the person who did it"
        className="govuk-!-width-two-thirds"
        spellCheck={false}
        defaultValue={params.get("who") ?? ""}
        error={errors.who}
      />
      <Select
        name="action"
        label="What"
        emptyLabel="Anything"
        defaultValue={action}
        error={errors.action}
        options={[...new Set([...actions, ...(action ? [action] : [])])].map((a) => ({
          value: a,
          label: actionLabel(a),
        }))}
      />
      <DateInput
        name="from"
        legend="On or after"
        hint="For example, 1 4 2026"
        error={errors.from}
        values={datePartsOf(params, "from")}
      />
      <DateInput
        name="to"
        legend="On or before"
        hint="For example, 30 6 2026"
        error={errors.to}
        values={datePartsOf(params, "to")}
      />
      <div className="govuk-button-group">
        <Button>Show entries</Button>
        <Link className="govuk-link" to="/admin/audit">
          Clear the filters
        </Link>
      </div>
    </Form>
  );
}

function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join("; ");
}

function Subject({ entry }: { entry: AuditLogEntry }) {
  if (entry.subjectName) return <>{entry.subjectName}</>;
  if (!entry.subjectType) return <>–</>;
  return (
    <span className="app-break-word">
      {actionLabel(entry.subjectType)} {entry.subjectId}
    </span>
  );
}

export default function AuditLog() {
  const data = useLoaderData<typeof loader>();
  const withQuery = (path: string, extra?: string) =>
    `${path}?${[extra, data.ok ? data.query : ""].filter(Boolean).join("&")}`;
  return (
    <>
      {data.ok ? null : <ErrorSummary errors={data.errors} fieldIds={{ page: "who" }} />}
      <h1 className="govuk-heading-l">Audit log</h1>
      <p className="govuk-body">
        Everything people have done in your council that the service records: sign-ins, signatures, changes by admins
        and HR, exports and nudges. Entries are never changed or removed.
      </p>
      <Filters actions={data.actions} errors={data.ok ? {} : data.errors} />
      {data.ok ? (
        <>
          <p className="govuk-body">
            <a className="govuk-link" href={withQuery("/admin/audit/export.csv")} download>
              Download these {number.format(data.total)} {data.total === 1 ? "entry" : "entries"} as CSV
            </a>
          </p>
          {data.entries.length === 0 ? (
            <p className="govuk-body" id="no-entries">
              {data.total === 0 ? "No entries match these filters." : "There are no entries on this page."}
            </p>
          ) : (
            <Table
              caption={`${number.format(data.total)} ${data.total === 1 ? "entry" : "entries"}, newest first${data.pageCount > 1 ? `, page ${data.page} of ${data.pageCount}` : ""}`}
              captionClass="govuk-table__caption--s"
              id="audit-entries"
              rows={data.entries}
              rowKey={(e) => String(e.id)}
              columns={[
                { header: "When", rowHeader: true, cell: (e) => formatDateTime(e.at) },
                {
                  header: "Who",
                  cell: (e) =>
                    e.actor ? (
                      <>
                        {e.actor.name}
                        <br />
                        <span className="govuk-body-s">{e.actor.employeeNumber}</span>
                      </>
                    ) : (
                      "The service"
                    ),
                },
                {
                  header: "What",
                  cell: (e) => (
                    <>
                      {actionLabel(e.action)}
                      {Object.keys(e.details).length > 0 ? (
                        <>
                          <br />
                          <span className="govuk-body-s app-break-word">{detailsText(e.details)}</span>
                        </>
                      ) : null}
                    </>
                  ),
                },
                { header: "About", cell: (e) => <Subject entry={e} /> },
              ]}
            />
          )}
          <Pagination
            page={data.page}
            pageCount={data.pageCount}
            href={(page) => withQuery("/admin/audit", `page=${page}`)}
            label="Pages of the audit log"
          />
        </>
      ) : null}
    </>
  );
}
