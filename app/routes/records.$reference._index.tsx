import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { recordForViewer } from "~/attestation/records.server";
import { notFound, requireUser } from "~/auth/access.server";
import { formatDateTime } from "~/lib/dates";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Record ${data.reference}` : "Record"} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const found = await recordForViewer(context.db, user, params.reference ?? "");
  if (!found) throw notFound();
  const { record, version, organisationName, withdrawal, intact } = found;
  return {
    justSigned: new URL(request.url).searchParams.get("signed") === "1" && record.userId === user.id,
    reference: record.reference,
    hash: record.hash,
    typedName: record.typedName,
    recordedAt: record.recordedAt.toISOString(),
    declarations: record.declarationText.split("\n"),
    organisationName,
    versionLabel: version.versionLabel,
    policySha256: record.policySha256,
    withdrawal: withdrawal ? { at: withdrawal.recordedAt.toISOString(), reason: withdrawal.reason } : null,
    intact,
  };
}

export default function Record() {
  const r = useLoaderData<typeof loader>();
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        {r.justSigned ? (
          <div className="govuk-panel govuk-panel--confirmation">
            <h1 className="govuk-panel__title">You have signed the code of conduct</h1>
            <div className="govuk-panel__body">
              Your reference
              <br />
              <strong>{r.reference}</strong>
            </div>
          </div>
        ) : (
          <>
            <span className="govuk-caption-l">Certificate of attestation</span>
            <h1 className="govuk-heading-l">Record {r.reference}</h1>
          </>
        )}
        {r.withdrawal ? (
          <div className="govuk-warning-text">
            <span className="govuk-warning-text__icon" aria-hidden="true">
              !
            </span>
            <strong className="govuk-warning-text__text">
              <span className="govuk-visually-hidden">Warning</span>
              This record was withdrawn on {formatDateTime(r.withdrawal.at)}: {r.withdrawal.reason}
            </strong>
          </div>
        ) : null}
        <dl className="govuk-summary-list">
          {[
            ["Name", r.typedName],
            ["Council", r.organisationName],
            ["Code of conduct", `Version ${r.versionLabel}`],
            ["Signed", formatDateTime(r.recordedAt)],
            ["Reference", r.reference],
            ["Record hash (SHA-256)", r.hash],
            ["Text hash (SHA-256)", r.policySha256],
            [
              "Ledger check",
              r.intact ? "This record matches its hash" : "This record does NOT match its hash: tell HR",
            ],
          ].map(([key, value]) => (
            <div className="govuk-summary-list__row" key={key}>
              <dt className="govuk-summary-list__key">{key}</dt>
              <dd className="govuk-summary-list__value app-break-word">{value}</dd>
            </div>
          ))}
        </dl>
        <h2 className="govuk-heading-m">What was declared</h2>
        <ul className="govuk-list govuk-list--bullet">
          {r.declarations.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
        <ul className="govuk-list">
          <li>
            <a className="govuk-link" href={`/records/${r.reference}/certificate.pdf`} download>
              Download the certificate (PDF)
            </a>
          </li>
          <li>
            <a className="govuk-link" href={`/records/${r.reference}/text`} download>
              Download the exact text that was signed
            </a>
          </li>
          <li>
            <Link className="govuk-link" to={`/verify?reference=${r.reference}&hash=${r.hash}`}>
              Check this record on the verification page
            </Link>
          </li>
          <li>
            <Link className="govuk-link" to="/records">
              All your records
            </Link>
          </li>
        </ul>
      </div>
    </div>
  );
}
