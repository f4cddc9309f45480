import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { verifyReference, type Verification } from "~/attestation/ledger.server";
import { Button } from "~/components/button";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { NotificationBanner } from "~/components/notification-banner";
import { Panel } from "~/components/panel";
import { TextInput } from "~/components/text-input";
import { TwoThirds } from "~/components/two-thirds";
import { formatDate } from "~/lib/dates";

export const meta: MetaFunction = () => [{ title: "Check a certificate – Social media code of conduct" }];

const querySchema = z.object({
  reference: z
    .string()
    .trim()
    .min(1, "Enter the record reference")
    .max(40, "Enter the reference as it appears on the certificate"),
  hash: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F]{64}$/, "Enter the record hash: 64 characters, 0 to 9 and a to f"),
});

/**
 * Public: given a reference and hash, says whether that record exists unaltered in the ledger and, if it was
 * withdrawn, the day it was withdrawn; nothing else about it (no name, no council, no reason). A GET form, so it
 * works from a link.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  if (!("reference" in params) && !("hash" in params))
    return json({ checked: false as const, values: { reference: "", hash: "" }, errors: {} as FieldErrors });
  const parsed = querySchema.safeParse(params);
  const values = {
    reference: String(params.reference ?? "").slice(0, 40),
    hash: String(params.hash ?? "").slice(0, 64),
  };
  if (!parsed.success)
    return json({ checked: false as const, values, errors: fieldErrors(parsed.error) }, { status: 400 });
  const verification = await verifyReference(
    context.db,
    parsed.data.reference.toUpperCase(),
    parsed.data.hash.toLowerCase(),
  );
  return json({ checked: true as const, verification, values, errors: {} as FieldErrors });
}

export default function Verify() {
  const data = useLoaderData<typeof loader>();
  const { errors } = data;
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <h1 className="govuk-heading-l">Check a certificate</h1>
      {data.checked ? (
        <Verdict reference={data.values.reference.toUpperCase()} verification={data.verification} />
      ) : null}
      <p className="govuk-body">Enter the reference and record hash printed on a certificate of attestation.</p>
      <Form method="get" noValidate>
        <TextInput
          label="Record reference"
          name="reference"
          defaultValue={data.values.reference}
          error={errors.reference}
          spellCheck={false}
          autoComplete="off"
        />
        <TextInput
          label="Record hash (SHA-256)"
          name="hash"
          defaultValue={data.values.hash}
          error={errors.hash}
          spellCheck={false}
          autoComplete="off"
        />
        <Button>Check</Button>
      </Form>
    </TwoThirds>
  );
}

/** The answer: genuine or not and, for a withdrawn record, the day it was withdrawn; nothing more. */
function Verdict({ reference, verification }: { reference: string; verification: Verification }) {
  if (!verification.found)
    return (
      <NotificationBanner
        id="not-found"
        title="Not found"
        role="status"
        heading="No unaltered record matches that reference and hash."
      >
        <p className="govuk-body">
          Check both against the certificate. If they match it, the certificate is not genuine or its record was
          changed.
        </p>
      </NotificationBanner>
    );
  const withdrawal = verification.kind === "signed" ? verification.withdrawal : null;
  if (withdrawal)
    return (
      <NotificationBanner
        id="withdrawn"
        title="Withdrawn"
        role="status"
        heading={`This record is genuine, and was withdrawn on ${formatDate(withdrawal.on)}.`}
      >
        <p className="govuk-body">Record {reference} exists in the ledger and has not been altered.</p>
        {withdrawal.intact ? null : (
          <p className="govuk-body">
            The record of its withdrawal has been altered since: ask the council that issued the certificate.
          </p>
        )}
      </NotificationBanner>
    );
  return (
    <Panel title="This record is genuine" headingLevel={2} role="status">
      Record {reference} exists in the ledger and has not been altered.
      {verification.kind === "withdrawn"
        ? ` It records the withdrawal of record ${verification.withdraws ?? ""} on ${formatDate(verification.on)}.`
        : null}
    </Panel>
  );
}
