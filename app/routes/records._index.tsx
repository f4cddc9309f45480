import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { attemptsOf, recordsOf } from "~/attestation/records.server";
import { requireUser } from "~/auth/access.server";
import { formatDateTime } from "~/lib/dates";

export const meta: MetaFunction = () => [{ title: "Your records – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const [records, attempts] = await Promise.all([recordsOf(context.db, user.id), attemptsOf(context.db, user.id)]);
  return { records, attempts };
}

const STATUS = { in_progress: "In progress", passed: "Passed", failed: "Not passed" } as const;

export default function Records() {
  const { records, attempts } = useLoaderData<typeof loader>();
  return (
    <>
      <h1 className="govuk-heading-l">Your records</h1>
      <p className="govuk-body">
        Everything this service holds about your training and signatures. You can download all of it as{" "}
        <a className="govuk-link" href="/records/export.json" download>
          JSON
        </a>{" "}
        or{" "}
        <a className="govuk-link" href="/records/export.csv" download>
          CSV (spreadsheet)
        </a>
        .
      </p>
      <h2 className="govuk-heading-m">Code of conduct signatures</h2>
      {records.length === 0 ? (
        <p className="govuk-body">
          You have not signed the code of conduct yet.{" "}
          <Link className="govuk-link" to="/code-of-conduct">
            Read and sign it
          </Link>
        </p>
      ) : (
        <table className="govuk-table">
          <thead className="govuk-table__head">
            <tr className="govuk-table__row">
              <th scope="col" className="govuk-table__header">
                Reference
              </th>
              <th scope="col" className="govuk-table__header">
                Version
              </th>
              <th scope="col" className="govuk-table__header">
                Signed
              </th>
              <th scope="col" className="govuk-table__header">
                Status
              </th>
            </tr>
          </thead>
          <tbody className="govuk-table__body">
            {records.map((r) => (
              <tr key={r.reference} className="govuk-table__row">
                <td className="govuk-table__cell">
                  <Link className="govuk-link" to={`/records/${r.reference}`}>
                    {r.reference}
                  </Link>
                </td>
                <td className="govuk-table__cell">{r.versionLabel}</td>
                <td className="govuk-table__cell">{formatDateTime(r.recordedAt)}</td>
                <td className="govuk-table__cell">
                  {r.withdrawn ? (
                    <>
                      <strong className="govuk-tag govuk-tag--red">Withdrawn</strong> on{" "}
                      {formatDateTime(r.withdrawn.at)}: {r.withdrawn.reason}
                    </>
                  ) : (
                    <strong className="govuk-tag govuk-tag--green">Signed</strong>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2 className="govuk-heading-m">Training attempts</h2>
      {attempts.length === 0 ? (
        <p className="govuk-body">You have not started any training yet.</p>
      ) : (
        <table className="govuk-table">
          <thead className="govuk-table__head">
            <tr className="govuk-table__row">
              <th scope="col" className="govuk-table__header">
                Module
              </th>
              <th scope="col" className="govuk-table__header">
                Started
              </th>
              <th scope="col" className="govuk-table__header">
                Result
              </th>
              <th scope="col" className="govuk-table__header govuk-table__header--numeric">
                Score
              </th>
            </tr>
          </thead>
          <tbody className="govuk-table__body">
            {attempts.map((a) => (
              <tr key={a.id} className="govuk-table__row">
                <td className="govuk-table__cell">{a.title}</td>
                <td className="govuk-table__cell">{formatDateTime(a.startedAt)}</td>
                <td className="govuk-table__cell">
                  {a.status === "in_progress" ? (
                    STATUS[a.status]
                  ) : (
                    <Link className="govuk-link" to={`/training/${a.moduleSlug}/attempts/${a.id}/result`}>
                      {STATUS[a.status]}
                    </Link>
                  )}
                </td>
                <td className="govuk-table__cell govuk-table__cell--numeric">
                  {a.answered ? `${Math.round((a.score / a.answered) * 100)}%` : "–"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
