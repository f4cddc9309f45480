import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { formatDate, formatDateTime } from "~/lib/dates";
import { applyRoster, findRosterUpload, type PreviewRow, type RosterSummary } from "~/reporting/roster-import.server";
import { NotificationBanner } from "~/components/notification-banner";

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
  return {
    upload: { ...upload, summary },
    problems: problems.slice((shownPage - 1) * PROBLEMS_PER_PAGE, shownPage * PROBLEMS_PER_PAGE),
    storedProblems: problems.length,
    page: shownPage,
    pageCount,
    emailConfigured: context.mailer !== null,
  };
}

const applySchema = z.object({ intent: z.literal("apply"), planDigest: z.string().regex(/^[0-9a-f]{64}$/) });

export async function action({ request, params, context }: ActionFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const parsed = applySchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success || !params.uploadId) throw notFound();
  const baseUrl = context.config.serviceUrl ?? new URL(request.url).origin;
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
  ];
  return (
    <table className="govuk-table">
      <caption className="govuk-table__caption govuk-table__caption--m">{caption}</caption>
      <thead className="govuk-table__head">
        <tr className="govuk-table__row">
          <th scope="col" className="govuk-table__header">
            What
          </th>
          <th scope="col" className="govuk-table__header govuk-table__header--numeric">
            Number
          </th>
        </tr>
      </thead>
      <tbody className="govuk-table__body">
        {rows.map(([label, n]) => (
          <tr key={label} className="govuk-table__row">
            <th scope="row" className="govuk-table__header">
              {label}
            </th>
            <td className="govuk-table__cell govuk-table__cell--numeric">{number(n)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
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
    <table className="govuk-table">
      <caption className="govuk-table__caption govuk-table__caption--s">
        {caption}
        {total > rows.length ? ` (the first ${rows.length} of ${number(total)})` : ""}
      </caption>
      <thead className="govuk-table__head">
        <tr className="govuk-table__row">
          <th scope="col" className="govuk-table__header">
            Line
          </th>
          <th scope="col" className="govuk-table__header">
            Person
          </th>
          <th scope="col" className="govuk-table__header">
            {withChanges ? "What changes" : "Team and dates"}
          </th>
        </tr>
      </thead>
      <tbody className="govuk-table__body">
        {rows.map((row) => (
          <tr key={row.line} className="govuk-table__row">
            <td className="govuk-table__cell">{row.line}</td>
            <td className="govuk-table__cell">
              {row.name}
              <br />
              <span className="govuk-hint govuk-!-font-size-16 govuk-!-margin-bottom-0">
                Employee number {row.employeeNumber}
              </span>
            </td>
            <td className="govuk-table__cell">
              {withChanges && row.changes ? (
                <ul className="govuk-list govuk-!-margin-bottom-0">
                  {row.changes.map((c) => (
                    <li key={c.field}>
                      {c.field}: {c.field.endsWith("date") ? dateOrNone(c.from) : (c.from ?? "None")} to{" "}
                      {c.field.endsWith("date") ? dateOrNone(c.to) : (c.to ?? "None")}
                    </li>
                  ))}
                </ul>
              ) : (
                <>
                  {row.team}, from {formatDate(row.startDate)}
                  {row.leavingDate ? `, leaving ${formatDate(row.leavingDate)}` : ""}
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Details({
  upload,
}: {
  upload: { fileName: string; byteSize: number; createdAt: string | Date; sha256: string };
}) {
  return (
    <dl className="govuk-summary-list">
      <div className="govuk-summary-list__row">
        <dt className="govuk-summary-list__key">File</dt>
        <dd className="govuk-summary-list__value">
          {upload.fileName} ({number(Math.ceil(upload.byteSize / 1024))} KB)
        </dd>
      </div>
      <div className="govuk-summary-list__row">
        <dt className="govuk-summary-list__key">Uploaded</dt>
        <dd className="govuk-summary-list__value">{formatDateTime(upload.createdAt)}</dd>
      </div>
      <div className="govuk-summary-list__row">
        <dt className="govuk-summary-list__key">SHA-256</dt>
        <dd className="govuk-summary-list__value govuk-!-text-break-word">
          <code>{upload.sha256}</code>
        </dd>
      </div>
    </dl>
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
      <table className="govuk-table" id="problems" tabIndex={-1}>
        <caption className="govuk-table__caption govuk-table__caption--m">
          Problems {number(first)} to {number(first + problems.length - 1)} of{" "}
          {number(Math.min(storedProblems, summary.problemCount))}
        </caption>
        <thead className="govuk-table__head">
          <tr className="govuk-table__row">
            <th scope="col" className="govuk-table__header govuk-table__header--numeric">
              Line
            </th>
            <th scope="col" className="govuk-table__header">
              Column
            </th>
            <th scope="col" className="govuk-table__header">
              Problem
            </th>
          </tr>
        </thead>
        <tbody className="govuk-table__body">
          {problems.map((p, i) => (
            <tr key={`${p.line}-${p.column}-${i}`} className="govuk-table__row">
              <td className="govuk-table__cell govuk-table__cell--numeric">{p.line}</td>
              <td className="govuk-table__cell">{p.column}</td>
              <td className="govuk-table__cell">{p.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pageCount > 1 ? (
        <nav className="govuk-pagination" aria-label="Pages of problems">
          {page > 1 ? (
            <div className="govuk-pagination__prev">
              <Link className="govuk-link govuk-pagination__link" to={`?page=${page - 1}#problems`} rel="prev">
                <span className="govuk-pagination__link-title">
                  Previous<span className="govuk-visually-hidden"> page of problems</span>
                </span>
              </Link>
            </div>
          ) : null}
          <p className="govuk-body govuk-!-margin-bottom-0 govuk-!-margin-top-2">
            Page {page} of {pageCount}
          </p>
          {page < pageCount ? (
            <div className="govuk-pagination__next">
              <Link className="govuk-link govuk-pagination__link" to={`?page=${page + 1}#problems`} rel="next">
                <span className="govuk-pagination__link-title">
                  Next<span className="govuk-visually-hidden"> page of problems</span>
                </span>
              </Link>
            </div>
          ) : null}
        </nav>
      ) : null}
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
      {summary.relinked > 0 ? (
        <p className="govuk-body">
          {people(summary.relinked)} whose email address changes {summary.relinked === 1 ? "has" : "have"} not set a
          password yet: any link sent to the old address will stop working, and{" "}
          {emailConfigured
            ? "a new one will be emailed to the new address."
            : "an administrator can give them a new one."}
        </p>
      ) : null}
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="planDigest" value={summary.planDigest} />
        <div className="govuk-button-group">
          <button
            type="submit"
            name="intent"
            value="apply"
            className="govuk-button"
            data-module="govuk-button"
            data-prevent-double-click="true"
          >
            Apply these changes
          </button>
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
      <div className="govuk-panel govuk-panel--confirmation" role="status">
        <h1 className="govuk-panel__title">Staff roster imported</h1>
        <div className="govuk-panel__body">
          {people(counts.added)} added, {people(counts.changed)} changed, {people(counts.deactivated)} deactivated
        </div>
      </div>
      <Details upload={upload} />
      {upload.appliedAt ? <p className="govuk-body">Applied {formatDateTime(upload.appliedAt)}.</p> : null}
      {links?.mode === "email" ? (
        <>
          <p className="govuk-body">
            {people(links.sent)} {links.sent === 1 ? "was" : "were"} emailed a link to set their password.
          </p>
          {links.failed.length > 0 ? (
            <>
              <div className="govuk-warning-text">
                <span className="govuk-warning-text__icon" aria-hidden="true">
                  !
                </span>
                <strong className="govuk-warning-text__text">
                  <span className="govuk-visually-hidden">Warning</span>
                  The email to {people(links.failed.length)} could not be sent. They were still imported: an
                  administrator can give them a link from the People page.
                </strong>
              </div>
              <table className="govuk-table">
                <caption className="govuk-table__caption govuk-table__caption--s">
                  Emails that could not be sent
                </caption>
                <thead className="govuk-table__head">
                  <tr className="govuk-table__row">
                    <th scope="col" className="govuk-table__header">
                      Employee number
                    </th>
                    <th scope="col" className="govuk-table__header">
                      Name
                    </th>
                    <th scope="col" className="govuk-table__header">
                      Email
                    </th>
                  </tr>
                </thead>
                <tbody className="govuk-table__body">
                  {links.failed.map((f) => (
                    <tr key={f.employeeNumber} className="govuk-table__row">
                      <td className="govuk-table__cell">{f.employeeNumber}</td>
                      <td className="govuk-table__cell">{f.name}</td>
                      <td className="govuk-table__cell">{f.email}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
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

export default function RosterUploadPage() {
  const { upload } = useLoaderData<typeof loader>();
  const status = upload.appliedAt ? "applied" : upload.summary.status;
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-full">
        <span className="govuk-caption-l">Staff roster import</span>
        {status === "applied" ? <Applied /> : status === "invalid" ? <Problems /> : <Preview />}
      </div>
    </div>
  );
}
