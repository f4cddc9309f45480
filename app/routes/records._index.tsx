import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { attemptsOf, recordsOf } from "~/attestation/records.server";
import { requireUser } from "~/auth/access.server";
import { AttemptsTable } from "~/components/attempts-table";
import { Table } from "~/components/table";
import { formatDateTime } from "~/lib/dates";

export const meta: MetaFunction = () => [{ title: "Your records – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const [records, attempts] = await Promise.all([recordsOf(context.db, user.id), attemptsOf(context.db, user.id)]);
  return json({ records, attempts });
}

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
        <Table
          columns={[
            {
              header: "Reference",
              cell: (r: (typeof records)[number]) => (
                <Link className="govuk-link" to={`/records/${r.reference}`}>
                  {r.reference}
                </Link>
              ),
            },
            { header: "Version", cell: (r) => r.versionLabel },
            { header: "Signed", cell: (r) => formatDateTime(r.recordedAt) },
            {
              header: "Status",
              cell: (r) =>
                r.withdrawn ? (
                  <>
                    <strong className="govuk-tag govuk-tag--red">Withdrawn</strong> on {formatDateTime(r.withdrawn.at)}:{" "}
                    {r.withdrawn.reason}
                  </>
                ) : (
                  <strong className="govuk-tag govuk-tag--green">Signed</strong>
                ),
            },
          ]}
          rows={records}
          rowKey={(r) => r.reference}
        />
      )}
      <h2 className="govuk-heading-m">Training attempts</h2>
      {attempts.length === 0 ? (
        <p className="govuk-body">You have not started any training yet.</p>
      ) : (
        <AttemptsTable attempts={attempts} />
      )}
    </>
  );
}
