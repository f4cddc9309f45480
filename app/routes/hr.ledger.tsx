import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { ledgerCheckpointForHr } from "~/attestation/checkpoints.server";
import { requireRole } from "~/auth/access.server";
import { SummaryList } from "~/components/summary-list";
import { TwoThirds } from "~/components/two-thirds";
import { formatDateTime } from "~/lib/dates";

export const meta: MetaFunction = () => [{ title: "The ledger's checkpoint – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const { checkpoint, verifierKeys } = await ledgerCheckpointForHr(context.db, hr.organisationId);
  return json({
    organisationName: hr.organisationName,
    checkpoint: checkpoint && { ...checkpoint, createdAt: checkpoint.createdAt.toISOString() },
    verifierKeys,
  });
}

export default function HrLedger() {
  const { organisationName, checkpoint, verifierKeys } = useLoaderData<typeof loader>();
  return (
    <TwoThirds>
      <span className="govuk-caption-l">{organisationName}</span>
      <h1 className="govuk-heading-l">The ledger&rsquo;s latest checkpoint</h1>
      <p className="govuk-body">
        Every signed record and withdrawal is a leaf of the council&rsquo;s Merkle tree. Within a minute of each one the
        service signs a checkpoint of the tree: its size and root hash. Keep a copy of a checkpoint somewhere the
        service cannot change (an e-mail, internal audit&rsquo;s files):{" "}
        <code>npm run ledger:verify -- --checkpoint FILE</code> then proves that no record it covers was removed or
        rewritten since.
      </p>
      {checkpoint ? (
        <>
          <SummaryList
            rows={[
              { key: "Log", value: <span className="app-break-word">{checkpoint.origin}</span> },
              { key: "Records covered", value: String(checkpoint.treeSize) },
              { key: "Signed", value: formatDateTime(checkpoint.createdAt) },
              { key: "Signed with key", value: <span className="app-break-word">{checkpoint.keyId}</span> },
            ]}
          />
          <h2 className="govuk-heading-m">The signed checkpoint</h2>
          <pre className="app-signed-note">{checkpoint.signedNote}</pre>
        </>
      ) : (
        <p className="govuk-body">No checkpoint yet: the first is signed within a minute of the first signed record.</p>
      )}
      <h2 className="govuk-heading-m">The keys that check it</h2>
      <p className="govuk-body">
        Checkpoints and receipts are checked with these verifier keys. Publish them, so that anyone can check a receipt
        with the{" "}
        <a className="govuk-link" href="/verify-receipt.html">
          receipt checker
        </a>
        , offline.
      </p>
      <ul className="govuk-list">
        {verifierKeys.map((key) => (
          <li key={key}>
            <code className="app-break-word">{key}</code>
          </li>
        ))}
      </ul>
    </TwoThirds>
  );
}
