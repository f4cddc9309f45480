import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { CsrfInput } from "~/components/csrf-input";
import { Button } from "~/components/button";
import { ErrorSummary } from "~/components/error-summary";
import { NotificationBanner } from "~/components/notification-banner";
import { Pagination } from "~/components/pagination";
import { Panel } from "~/components/panel";
import { SummaryList } from "~/components/summary-list";
import { Table } from "~/components/table";
import { WarningText } from "~/components/warning-text";
import { formatDate, formatDateTime } from "~/lib/dates";
import { applyRoster } from "~/people/roster-links.server";
import { findRosterUpload, type PreviewRow, type RosterSummary } from "~/people/roster-plan.server";
import { serviceUrlOf } from "~/http/request.server";

export const meta: MetaFunction = () => [{ title: "Staff roster import – Social media code of conduct" }];

const PROBLEMS_PER_PAGE = 100;
const pageSchema = z.object({ page: z.coerce.number().int().min(1).max(1000).catch(1) });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const upload = await findRosterUpload(context.db, hr, params.uploadId);
  if (!upload) throw notFound();
  const { page } = pageSchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const { problems, ...summary } = upload.summary;
  const pageCount = Math.max(1, Math.ceil(problems.length / PROBLEMS_PER_PAGE));
  const shownPage = Math.min(page, pageCount);
  return json({
    upload: { ...upload, summary },
    problems: problems.slice((shownPage - 1) * PROBLEMS_PER_PAGE, shownPage * PROBLEMS_PER_PAGE),
    storedProblems: problems.length,
    page: shownPage,
    pageCount,
    emailConfigured: context.mailer !== null,
  });
}

const applySchema = z.object({ intent: z.literal("apply"), planDigest: z.string().regex(/^[0-9a-f]{64}$/) });

export async function action({ request, params, context }: ActionFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const parsed = applySchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success || !params.uploadId) throw notFound();
  const baseUrl = serviceUrlOf(context.config, request);
  const result = await applyRoster(context.db, context.mailer, hr, params.uploadId, parsed.data, baseUrl, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (result.outcome === "not-found") throw notFound();
  // Applied, already applied, or checked again: the upload's page says which, and a refresh repeats nothing.
  return redirect(`/hr/roster/${params.uploadId}`);
}

const number = (n: number) => n.toLocaleString("en-GB");
const people = (n: number) => `${number(n)} ${n === 1 ? "person" : "people"}`;
const dateOrNone = (d: string | null) => (d ? formatDate(d) : "None");

function CountsTable({ summary, caption }: { summary: Omit<RosterSummary, "problems">; caption: string }) {
  const { counts } = summary;
  const rows: [string, number][] = [
    ["Added", counts.added],
    ["Changed", counts.changed],
    ["Deactivated (leaving date today or earlier)", counts.deactivated],
    ["Unchanged", counts.unchanged],
    ["Already left, left as they are", counts.alreadyLeft],
    ["Not added, because their leaving date has passed", counts.notAdded],
    ["New teams", counts.newTeams],
    ["Email address changes for an administrator to confirm", counts.emailChanges ?? 0],
  ];
  return (
    <Table
      caption={caption}
      columns={[
        { header: "What", cell: ([label]: [string, number]) => label, rowHeader: true },
        { header: "Number", cell: ([, n]) => number(n), numeric: true },
      ]}
      rows={rows}
      rowKey={([label]) => label}
    />
  );
}

function changeText(change: NonNullable<PreviewRow["changes"]>[number]) {
  const shown = (value: string | null) => (change.field.endsWith("date") ? dateOrNone(value) : (value ?? "None"));
  return `${change.field}: ${shown(change.from)} to ${shown(change.to)}`;
}

function PeopleTable({
  caption,
  rows,
  total,
  withChanges,
}: {
  caption: string;
  rows: PreviewRow[];
  total: number;
  withChanges?: boolean;
}) {
  if (total === 0) return null;
  return (
    <Table
      caption={`${caption}${total > rows.length ? ` (the first ${rows.length} of ${number(total)})` : ""}`}
      captionClass="govuk-table__caption--s"
      columns={[
        { header: "Line", cell: (row: PreviewRow) => row.line },
        {
          header: "Person",
          cell: (row) => (
            <>
              {row.name}
              <br />
              <span className="govuk-hint govuk-!-font-size-16 govuk-!-margin-bottom-0">
                Employee number {row.employeeNumber}
              </span>
            </>
          ),
        },
        {
          header: withChanges ? "What changes" : "Team and dates",
          cell: (row) =>
            withChanges && row.changes ? (
              <ul className="govuk-list govuk-!-margin-bottom-0">
                {row.changes.map((c) => (
                  <li key={c.field}>{changeText(c)}</li>
                ))}
              </ul>
            ) : (
              `${row.team}, from ${formatDate(row.startDate)}${row.leavingDate ? `, leaving ${formatDate(row.leavingDate)}` : ""}`
            ),
        },
      ]}
      rows={rows}
      rowKey={(row) => String(row.line)}
    />
  );
}

function Details({
  upload,
}: {
  upload: { fileName: string; byteSize: number; createdAt: string | Date; sha256: string; deletedAt: string | null };
}) {
  return (
    <SummaryList
      rows={[
        { key: "File", value: `${upload.fileName} (${number(Math.ceil(upload.byteSize / 1024))} KB)` },
        { key: "Uploaded", value: formatDateTime(upload.createdAt) },
        { key: "SHA-256", value: <code className="app-break-word">{upload.sha256}</code> },
        ...(upload.deletedAt
          ? [
              {
                key: "Deleted",
                value: `${formatDateTime(upload.deletedAt)}, under your council's retention setting: the file and the names it held are gone, its SHA-256 is kept`,
              },
            ]
          : []),
      ]}
    />
  );
}

function Problems() {
  const { upload, problems, storedProblems, page, pageCount } = useLoaderData<typeof loader>();
  const { summary } = upload;
  const first = (page - 1) * PROBLEMS_PER_PAGE + 1;
  return (
    <>
      <ErrorSummary
        errors={{
          problems: `${upload.fileName} has ${number(summary.problemCount)} ${summary.problemCount === 1 ? "problem" : "problems"} in ${number(summary.problemRows)} ${summary.problemRows === 1 ? "row" : "rows"}. Nothing has been changed.`,
        }}
      />
      <h1 className="govuk-heading-l">Fix the problems in the file</h1>
      {summary.rechecked ? (
        <p className="govuk-body">
          People’s records changed after you uploaded this file, and it was checked again when you applied it.
        </p>
      ) : null}
      <p className="govuk-body">
        Nothing has been changed. Fix each problem in your spreadsheet, save it as CSV UTF-8 again and upload it.
      </p>
      <Details upload={upload} />
      <h2 className="govuk-heading-m">Problems by column</h2>
      <ul className="govuk-list govuk-list--bullet">
        {Object.entries(summary.problemsByColumn).map(([column, n]) => (
          <li key={column}>
            {column}: {number(n)}
          </li>
        ))}
      </ul>
      {summary.problemCount > storedProblems ? (
        <div className="govuk-inset-text">
          The table shows the first {number(storedProblems)} of {number(summary.problemCount)} problems. Fix these and
          upload the file again to see the rest.
        </div>
      ) : null}
      <Table
        id="problems"
        focusable
        caption={`Problems ${number(first)} to ${number(first + problems.length - 1)} of ${number(Math.min(storedProblems, summary.problemCount))}`}
        columns={[
          { header: "Line", cell: (p: (typeof problems)[number]) => p.line, numeric: true },
          { header: "Column", cell: (p) => p.column },
          { header: "Problem", cell: (p) => p.message },
        ]}
        rows={problems}
        rowKey={(p, i) => `${p.line}-${p.column}-${i}`}
      />
      <Pagination page={page} pageCount={pageCount} href={(n) => `?page=${n}#problems`} label="Pages of problems" />
      <p className="govuk-body">
        <Link className="govuk-link" to="/hr/roster">
          Upload a corrected file
        </Link>
      </p>
    </>
  );
}

function ChangeTables({ summary, applied = false }: { summary: Omit<RosterSummary, "problems">; applied?: boolean }) {
  const verb = (done: string) => (applied ? `People ${done}` : `People to be ${done}`);
  return (
    <>
      <PeopleTable caption={verb("added")} rows={summary.first.added} total={summary.counts.added} />
      <PeopleTable caption={verb("changed")} rows={summary.first.changed} total={summary.counts.changed} withChanges />
      <PeopleTable
        caption={verb("deactivated")}
        rows={summary.first.deactivated}
        total={summary.counts.deactivated}
        withChanges
      />
      <PeopleTable
        caption={
          applied
            ? "Email address changes waiting for an administrator to confirm"
            : "Email address changes an administrator must confirm"
        }
        rows={summary.first.emailChanges ?? []}
        total={summary.counts.emailChanges ?? 0}
        withChanges
      />
      <PeopleTable
        caption="People who have already left (left as they are)"
        rows={summary.first.alreadyLeft}
        total={summary.counts.alreadyLeft}
      />
      <PeopleTable
        caption="People not added, because their leaving date has passed"
        rows={summary.first.notAdded}
        total={summary.counts.notAdded}
      />
      {summary.newTeams.length > 0 ? (
        <>
          <h2 className="govuk-heading-s">{applied ? "Teams created" : "New teams"}</h2>
          <ul className="govuk-list govuk-list--bullet">
            {summary.newTeams.map((t) => (
              <li key={t}>{t}</li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}

function Preview() {
  const { upload, emailConfigured } = useLoaderData<typeof loader>();
  const { summary } = upload;
  return (
    <>
      {summary.rechecked ? (
        <NotificationBanner
          id="rechecked"
          heading="People’s records changed after you uploaded this file, so nothing was applied. These are the changes it would make now."
        />
      ) : null}
      <h1 className="govuk-heading-l">Check the changes before you apply them</h1>
      <Details upload={upload} />
      <p className="govuk-body">Nothing has been changed yet. People not in the file are left as they are.</p>
      <CountsTable summary={summary} caption={`What the file would change (${number(summary.counts.rows)} rows)`} />
      <ChangeTables summary={summary} />
      {summary.counts.added > 0 ? (
        <p className="govuk-body">
          {emailConfigured
            ? "Each new person will be emailed a link to set their password."
            : "Email is not set up for this service: after you apply, an administrator can give each new person a link to set their password from the People page."}
        </p>
      ) : null}
      {(summary.counts.emailChanges ?? 0) > 0 ? (
        <div className="govuk-inset-text">
          An administrator must confirm each new email address for someone already here before it is used: whoever reads
          the new address could reset their password. Applying records these changes for an administrator; the person
          keeps their old address until one confirms, and the old address is told when they do.
        </div>
      ) : null}
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="planDigest" value={summary.planDigest} />
        <div className="govuk-button-group">
          <Button name="intent" value="apply" once>
            Apply these changes
          </Button>
          <Link className="govuk-link" to="/hr/roster">
            Upload a different file
          </Link>
        </div>
      </Form>
    </>
  );
}

function Applied() {
  const { upload } = useLoaderData<typeof loader>();
  const { summary } = upload;
  const counts = summary.applied?.counts ?? summary.counts;
  const links = summary.links;
  return (
    <>
      <Panel title="Staff roster imported" role="status">
        {people(counts.added)} added, {people(counts.changed)} changed, {people(counts.deactivated)} deactivated
      </Panel>
      <Details upload={upload} />
      {upload.appliedAt ? <p className="govuk-body">Applied {formatDateTime(upload.appliedAt)}.</p> : null}
      {links?.mode === "email" ? (
        <>
          <p className="govuk-body">
            {people(links.sent)} {links.sent === 1 ? "was" : "were"} emailed a link to set their password.
          </p>
          {links.failed.length > 0 ? (
            <>
              <WarningText>
                The email to {people(links.failed.length)} could not be sent. They were still imported: an administrator
                can give them a link from the People page.
              </WarningText>
              <Table
                caption="Emails that could not be sent"
                captionClass="govuk-table__caption--s"
                columns={[
                  { header: "Employee number", cell: (f: (typeof links.failed)[number]) => f.employeeNumber },
                  { header: "Name", cell: (f) => f.name },
                  { header: "Email", cell: (f) => f.email },
                ]}
                rows={links.failed}
                rowKey={(f) => f.employeeNumber}
              />
            </>
          ) : null}
        </>
      ) : links?.mode === "admin" ? (
        <div className="govuk-inset-text">
          Email is not set up for this service, so no links were sent. {people(links.people)}{" "}
          {links.people === 1 ? "needs" : "need"} a one-time link to set their password: an administrator can give each
          of them one from the People page.
        </div>
      ) : null}
      <CountsTable summary={{ ...summary, counts }} caption="What the import changed" />
      <ChangeTables summary={summary} applied />
      <p className="govuk-body">
        <Link className="govuk-link" to="/hr/roster">
          Import another file
        </Link>
      </p>
    </>
  );
}

/** A file the retention rule deleted before it was applied: nothing of it is left to preview or apply. */
function Deleted() {
  const { upload } = useLoaderData<typeof loader>();
  return (
    <>
      <h1 className="govuk-heading-l">This file was deleted</h1>
      <Details upload={upload} />
      <p className="govuk-body">
        It was not applied. To import it, upload it again.{" "}
        <Link className="govuk-link" to="/hr/roster">
          Import a staff roster
        </Link>
      </p>
    </>
  );
}

export default function RosterUploadPage() {
  const { upload } = useLoaderData<typeof loader>();
  const status = upload.appliedAt ? "applied" : upload.summary.status;
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-full">
        <span className="govuk-caption-l">Staff roster import</span>
        {status === "applied" ? (
          <Applied />
        ) : upload.deletedAt ? (
          <Deleted />
        ) : status === "invalid" ? (
          <Problems />
        ) : (
          <Preview />
        )}
      </div>
    </div>
  );
}
