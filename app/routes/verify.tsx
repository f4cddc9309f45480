import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { verifyReference } from "~/attestation/ledger.server";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { NotificationBanner } from "~/components/notification-banner";

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
 * Public: given a reference and hash, says whether that record exists unaltered in the ledger, and
 * nothing else about it (no name, no council, no date). A GET form, so it works from a link.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  if (!("reference" in params) && !("hash" in params))
    return { checked: false as const, values: { reference: "", hash: "" } };
  const parsed = querySchema.safeParse(params);
  const values = {
    reference: String(params.reference ?? "").slice(0, 40),
    hash: String(params.hash ?? "").slice(0, 64),
  };
  if (!parsed.success) return { checked: false as const, values, errors: fieldErrors(parsed.error) };
  const found = await verifyReference(context.db, parsed.data.reference.toUpperCase(), parsed.data.hash.toLowerCase());
  return { checked: true as const, found, values };
}

export default function Verify() {
  const data = useLoaderData<typeof loader>();
  const errors = "errors" in data ? (data.errors ?? {}) : {};
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        <h1 className="govuk-heading-l">Check a certificate</h1>
        {data.checked ? (
          data.found ? (
            <div className="govuk-panel govuk-panel--confirmation" role="status">
              <h2 className="govuk-panel__title">This record is genuine</h2>
              <div className="govuk-panel__body">
                Record {data.values.reference.toUpperCase()} exists in the ledger and has not been altered.
              </div>
            </div>
          ) : (
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
          )
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
          <button type="submit" className="govuk-button" data-module="govuk-button">
            Check
          </button>
        </Form>
      </div>
    </div>
  );
}
