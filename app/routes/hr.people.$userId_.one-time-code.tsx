import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { codeRecipient, issueAssistedCode } from "~/auth/assisted.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { Panel } from "~/components/panel";
import { TwoThirds } from "~/components/two-thirds";
import { formatDateTime } from "~/lib/dates";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `One-time code${data ? ` for ${data.person.name}` : ""} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const issuer = await requireRole(request, context, ["hr", "admin"]);
  if (!isUuid(params.userId)) throw notFound();
  const person = await codeRecipient(context.db, issuer, params.userId);
  if (!person) throw notFound();
  return json({ person, backTo: issuer.role === "hr" ? `/hr/people/${person.id}` : `/admin/people/${person.id}` });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const issuer = await requireRole(request, context, ["hr", "admin"]);
  if (!isUuid(params.userId)) throw notFound();
  const issued = await issueAssistedCode(context.db, issuer, params.userId, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!issued) throw notFound();
  return json({ code: issued.code, expiresAt: issued.expiresAt.toISOString() });
}

export default function OneTimeCode() {
  const { person, backTo } = useLoaderData<typeof loader>();
  const issued = useActionData<typeof action>();
  return (
    <TwoThirds>
      {issued ? (
        <>
          <Panel title={`One-time code for ${person.name}`}>
            <strong className="app-one-time-code">{issued.code}</strong>
          </Panel>
          <p className="govuk-body">
            Employee number {person.employeeNumber}. Print this page or read the code out to {person.name} only. It is
            not shown again.
          </p>
          <ul className="govuk-list govuk-list--bullet">
            <li>It works once, until {formatDateTime(issued.expiresAt)}.</li>
            <li>
              {person.name} types it on a shared device, where a champion of their team or an HR officer other than you
              witnesses them take their training and sign.
            </li>
            <li>Issuing another code stops this one working.</li>
          </ul>
        </>
      ) : (
        <>
          <span className="govuk-caption-l">Employee number {person.employeeNumber}</span>
          <h1 className="govuk-heading-l">One-time code for {person.name}</h1>
          <p className="govuk-body">
            A one-time code lets {person.name} sign the code of conduct on a shared device without an account of their
            own, with a champion of their team or an HR officer as witness. You cannot witness a signing with a code you
            issued.
          </p>
          <p className="govuk-body">
            The code is shown once, for you to print or read out. It works for 24 hours, and any earlier code of theirs
            stops working.
          </p>
          <Form method="post">
            <CsrfInput />
            <Button once>Issue a one-time code</Button>
          </Form>
        </>
      )}
      <p className="govuk-body govuk-!-display-none-print">
        <Link className="govuk-link" to={backTo}>
          Back to {person.name}
        </Link>
      </p>
    </TwoThirds>
  );
}
