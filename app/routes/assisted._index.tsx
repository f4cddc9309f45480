import {
  json,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  type SerializeFrom,
} from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { notFound, requestInfo, requireSession } from "~/auth/access.server";
import { assistedSessionDetails, finishAssistedSession } from "~/auth/assisted.server";
import { cookiesFor } from "~/auth/cookies.server";
import type { CurrentUser } from "~/auth/session.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { Panel } from "~/components/panel";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "Assisted session – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const details = await assistedSessionDetails(context.db, session);
  // Outside an assisted session, the page says what one is and how a witness starts it.
  if (!details) return json({ assisted: false as const, mayWitness: mayWitness(session.user) });
  return json({
    assisted: true as const,
    personName: session.user.name,
    organisationName: session.user.organisationName,
    witnessName: details.witnessName,
    codeIssuerName: details.codeIssuerName,
    reference: details.reference,
  });
}

/** Finish: the assisted session ends and the shared device goes back to the sign-in page. */
export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(request, context);
  if (!session.assisted) throw notFound();
  await finishAssistedSession(context.db, session, { ...requestInfo(context), now: context.now() });
  const cookie = await cookiesFor(context.config).session.serialize("", { maxAge: 0 });
  return redirect("/sign-in", { headers: { "Set-Cookie": cookie } });
}

const mayWitness = (user: CurrentUser) => user.role === "hr" || user.championTeamIds.length > 0;

export default function AssistedSessionPage() {
  const data = useLoaderData<typeof loader>();
  if (!data.assisted)
    return (
      <TwoThirds>
        <h1 className="govuk-heading-l">Assisted signing</h1>
        <p className="govuk-body">
          Someone without a work e-mail address, or who cannot sign in on their own, takes the training and signs the
          code of conduct on a shared device in an assisted session. HR gives them a one-time code beforehand, and a
          champion of their team or an HR officer witnesses the signing.
        </p>
        {data.mayWitness ? (
          <p className="govuk-body">
            To witness, open the person from{" "}
            <Link className="govuk-link" to="/teams">
              your teams
            </Link>{" "}
            and choose &ldquo;Assisted signing&rdquo;. You cannot witness with a code you issued yourself.
          </p>
        ) : (
          <p className="govuk-body">Ask your team&rsquo;s social media champion or HR if you need one.</p>
        )}
      </TwoThirds>
    );
  return <AssistedSession s={data} />;
}

function AssistedSession({ s }: { s: Extract<SerializeFrom<typeof loader>, { assisted: true }> }) {
  return (
    <TwoThirds>
      {s.reference ? (
        <>
          <Panel title={`${s.personName} has signed the code of conduct`}>
            Reference
            <br />
            <strong>{s.reference}</strong>
          </Panel>
          <p className="govuk-body">
            Signed with assistance: witnessed by {s.witnessName}; one-time code issued by {s.codeIssuerName}.
          </p>
          <ul className="govuk-list">
            <li>
              <Link className="govuk-link" to={`/records/${s.reference}`}>
                See the signed record
              </Link>
            </li>
            <li>
              <a className="govuk-link" href={`/records/${s.reference}/certificate.pdf`} download>
                Download the certificate (PDF)
              </a>
            </li>
          </ul>
          <p className="govuk-body">
            Write down the reference or print the certificate for {s.personName}. HR can find the record at any time.
          </p>
        </>
      ) : (
        <>
          <span className="govuk-caption-l">{s.organisationName}</span>
          <h1 className="govuk-heading-l">Assisted session for {s.personName}</h1>
          <p className="govuk-body">
            {s.witnessName} is witnessing. {s.personName} takes the training, reads the code of conduct, makes every
            declaration and types their own name. At the end, {s.witnessName} confirms who they are.
          </p>
          <p className="govuk-body">
            This session reaches only {s.personName}&rsquo;s training and signing. It ends when the code of conduct is
            signed and finished, or after 15 minutes without activity.
          </p>
          <ul className="govuk-list">
            <li>
              <Link className="govuk-link" to="/training">
                Take the training
              </Link>
            </li>
            <li>
              <Link className="govuk-link" to="/code-of-conduct">
                Read and sign the code of conduct
              </Link>
            </li>
          </ul>
        </>
      )}
      <Form method="post">
        <CsrfInput />
        <Button secondary={!s.reference} once>
          Finish
        </Button>
      </Form>
    </TwoThirds>
  );
}
