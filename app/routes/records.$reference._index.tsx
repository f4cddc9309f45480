import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { recordForViewer } from "~/attestation/records.server";
import { notFound, requireUser } from "~/auth/access.server";
import { Panel } from "~/components/panel";
import { SummaryList } from "~/components/summary-list";
import { WarningText } from "~/components/warning-text";
import { formatDateTime } from "~/lib/dates";
import { assistanceWording, REAUTH_METHOD_LABELS } from "~/reporting/evidence-labels";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Record ${data.reference}` : "Record"} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const found = await recordForViewer(context.db, user, params.reference ?? "");
  if (!found) throw notFound();
  const { record, version, organisationName, withdrawal, intact, receiptReady, assistance } = found;
  return json({
    justSigned: new URL(request.url).searchParams.get("signed") === "1" && record.userId === user.id,
    reference: record.reference,
    hash: record.hash,
    typedName: record.typedName,
    // Format 2 (decision 0015): the account as it was at signing, and how the signer proved who they were.
    signerName: record.formatVersion >= 2 ? record.signerName : null,
    signerEmployeeNumber: record.formatVersion >= 2 ? record.signerEmployeeNumber : null,
    reauthMethod: record.reauthMethod,
    assistance: assistance ? assistanceWording(assistance) : null,
    keyId: record.keyId,
    recordedAt: record.recordedAt.toISOString(),
    declarations: record.declarationText.split("\n"),
    organisationName,
    versionLabel: version.versionLabel,
    policySha256: record.policySha256,
    withdrawal: withdrawal
      ? { at: withdrawal.recordedAt.toISOString(), reason: withdrawal.reason, reference: withdrawal.reference }
      : null,
    intact,
    receiptReady,
  });
}

export default function Record() {
  const r = useLoaderData<typeof loader>();
  return (
    <TwoThirds>
      {r.justSigned ? (
        <Panel title="You have signed the code of conduct">
          Your reference
          <br />
          <strong>{r.reference}</strong>
        </Panel>
      ) : (
        <>
          <span className="govuk-caption-l">Certificate of attestation</span>
          <h1 className="govuk-heading-l">Record {r.reference}</h1>
        </>
      )}
      {r.assistance ? (
        <div className="govuk-inset-text" id="assistance">
          {r.assistance}
        </div>
      ) : null}
      {r.withdrawal ? (
        <WarningText>
          This record was withdrawn on {formatDateTime(r.withdrawal.at)}: {r.withdrawal.reason}
        </WarningText>
      ) : null}
      {r.withdrawal ? (
        <p className="govuk-body">
          It no longer counts as a signature. Its certificate stays as it was first issued and does not show the
          withdrawal:{" "}
          <Link className="govuk-link" to={`/records/${r.reference}/withdrawal`}>
            read the notice of withdrawal {r.withdrawal.reference}
          </Link>{" "}
          with it.
        </p>
      ) : null}
      <SummaryList
        rows={[
          { key: r.signerName ? "Name typed when signing" : "Name", value: r.typedName },
          ...(r.signerName
            ? [
                { key: "Name on the account when signed", value: r.signerName },
                { key: "Employee number when signed", value: r.signerEmployeeNumber ?? "None recorded" },
              ]
            : []),
          ...(r.reauthMethod
            ? [{ key: "Proved who they were by", value: REAUTH_METHOD_LABELS[r.reauthMethod] ?? r.reauthMethod }]
            : []),
          { key: "Council", value: r.organisationName },
          { key: "Code of conduct", value: `Version ${r.versionLabel}` },
          { key: "Signed", value: formatDateTime(r.recordedAt) },
          ...(r.withdrawal
            ? [
                {
                  key: "Withdrawn",
                  value: `${formatDateTime(r.withdrawal.at)}, by record ${r.withdrawal.reference}`,
                },
              ]
            : []),
          { key: "Reference", value: r.reference },
          { key: "Record hash (SHA-256)", value: <span className="app-break-word">{r.hash}</span> },
          { key: "Text hash (SHA-256)", value: <span className="app-break-word">{r.policySha256}</span> },
          {
            key: "Ledger check",
            value: r.intact
              ? r.keyId
                ? `This record matches its hash and carries the service's signature (key ${r.keyId})`
                : "This record matches its hash"
              : "This record does NOT match its hash or its signature: tell HR",
          },
        ]}
      />
      <h2 className="govuk-heading-m">What was declared</h2>
      <ul className="govuk-list govuk-list--bullet">
        {r.declarations.map((d) => (
          <li key={d}>{d}</li>
        ))}
      </ul>
      <ul className="govuk-list">
        <li>
          <a className="govuk-link" href={`/records/${r.reference}/certificate.pdf`} download>
            Download the certificate (PDF){r.withdrawal ? ", as first issued" : ""}
          </a>
        </li>
        {r.withdrawal ? (
          <li>
            <a className="govuk-link" href={`/records/${r.reference}/withdrawal.pdf`} download>
              Download the notice of withdrawal (PDF)
            </a>
          </li>
        ) : null}
        <li>
          <a className="govuk-link" href={`/records/${r.reference}/text`} download>
            Download the exact text that was signed
          </a>
        </li>
        {r.receiptReady ? (
          <li>
            <a className="govuk-link" href={`/records/${r.reference}/receipt.json`} download>
              Download the receipt
            </a>{" "}
            (a file that proves this record is in the council&rsquo;s ledger; check it offline with the{" "}
            <a className="govuk-link" href="/verify-receipt.html">
              receipt checker
            </a>
            )
          </li>
        ) : (
          <li>
            The receipt, a file that proves this record is in the council&rsquo;s ledger, will be ready within a minute:
            come back to this page to download it. You can check a receipt offline with the{" "}
            <a className="govuk-link" href="/verify-receipt.html">
              receipt checker
            </a>
            .
          </li>
        )}
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
    </TwoThirds>
  );
}
