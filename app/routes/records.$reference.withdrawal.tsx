import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { noticeText, withdrawalForViewer, withdrawalNotice } from "~/attestation/withdrawal-notice.server";
import { notFound, requireUser } from "~/auth/access.server";
import { SummaryList } from "~/components/summary-list";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: `${data ? `Notice of withdrawal of record ${data.notice.record.reference}` : "Notice of withdrawal"} – Social media code of conduct`,
  },
];

/** The withdrawal notice of a signed record, for whoever may see the record; 404 if it was never withdrawn. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const withdrawn = await withdrawalForViewer(context.db, user, params.reference ?? "");
  if (!withdrawn) throw notFound();
  const notice = withdrawalNotice(withdrawn);
  return { notice, text: noticeText(notice) };
}

export default function WithdrawalNoticePage() {
  const { notice, text } = useLoaderData<typeof loader>();
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <span className="govuk-caption-l">{notice.organisationName}</span>
        <h1 className="govuk-heading-l">{text.title}</h1>
        <p className="govuk-body-l">{text.withdrawn}</p>
        <p className="govuk-body">{text.signed}</p>
        <p className="govuk-body">{text.reason}</p>
        <p className="govuk-body">{text.meaning}</p>
        <h2 className="govuk-heading-m">{text.checkHeading}</h2>
        <SummaryList
          rows={text.checks.map(([key, value]) => ({ key, value: <span className="app-break-word">{value}</span> }))}
        />
        <p className="govuk-body">{text.howToCheck}</p>
        <ul className="govuk-list">
          <li>
            <a className="govuk-link" href={`/records/${notice.record.reference}/withdrawal.pdf`} download>
              Download this notice (PDF)
            </a>
          </li>
          <li>
            <Link
              className="govuk-link"
              to={`/verify?reference=${notice.withdrawal.reference}&hash=${notice.withdrawal.hash}`}
            >
              Check this notice on the verification page
            </Link>
          </li>
          <li>
            <Link className="govuk-link" to={`/records/${notice.record.reference}`}>
              Record {notice.record.reference}
            </Link>
          </li>
        </ul>
      </div>
    </div>
  );
}
