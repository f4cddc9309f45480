import {
  json,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  type SerializeFrom,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { policyDiff } from "~/attestation/policy-diff.server";
import { policyBlocks } from "~/attestation/policy-text";
import { DECLARATIONS, signSchema } from "~/attestation/forms";
import { signCodeOfConduct, signingReauth, signingStatus, witnessReauth } from "~/attestation/signing.server";
import { requestInfo, requireSession } from "~/auth/access.server";
import { Button } from "~/components/button";
import { Checkboxes } from "~/components/checkboxes";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { PolicyDiff } from "~/components/policy-diff";
import { PolicyDocument } from "~/components/policy-document";
import { TextInput } from "~/components/text-input";
import { useValidatedForm } from "~/components/validated-form";
import { WarningText } from "~/components/warning-text";
import { formatDate, formatDateTime } from "~/lib/dates";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "Sign the code of conduct – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const user = session.user;
  // An assisted session that has signed shows its record's confirmation, however the browser came back here.
  if (session.assisted?.reference) throw redirect("/assisted");
  const status = await signingStatus(context.db, user, context.now());
  if (!status) return json({ published: false as const, organisationName: user.organisationName });
  const { version, remaining, signature, previous } = status;
  const reauth = await signingReauth(context.db, user.id, session, context.now());
  const witness = session.assisted ? await witnessReauth(context.db, session.assisted.witnessUserId) : null;
  return json({
    published: true as const,
    reauth,
    witness,
    organisationName: user.organisationName,
    version: {
      id: version.id,
      label: version.versionLabel,
      effectiveDate: version.effectiveDate,
      sha256: version.sha256,
    },
    blocks: policyBlocks(version.body),
    remaining,
    signature: signature ? { reference: signature.reference, recordedAt: signature.recordedAt.toISOString() } : null,
    changes: previous && !signature ? { label: previous.label, rows: policyDiff(previous.body, version.body) } : null,
    declarations: DECLARATIONS.map((d) => ({ name: d.name, text: d.text })),
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(request, context);
  const user = session.user;
  if (session.assisted?.reference) throw redirect("/assisted");
  const form = await request.formData();
  const parsed = signSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const errors: FieldErrors = fieldErrors(parsed.error);
    // Every problem at once: the password or passphrase, which the schema leaves to signCodeOfConduct, too.
    if (!form.get("password")) {
      if (session.assisted) {
        const { method } = await witnessReauth(context.db, session.assisted.witnessUserId);
        errors.password = `Witness: enter your ${method === "password" ? "password" : "signing passphrase"}`;
      } else {
        const { method } = await signingReauth(context.db, user.id, session, context.now());
        if (method !== "provider")
          errors.password = method === "password" ? "Enter your password" : "Enter your signing passphrase";
      }
    }
    return json({ errors }, { status: 400 });
  }
  const result = await signCodeOfConduct(context.db, user, parsed.data, {
    ...requestInfo(context),
    now: context.now(),
    providerReauthAt: session.providerReauthAt,
    assisted: session.assisted
      ? { sessionId: session.id, witnessUserId: session.assisted.witnessUserId, codeId: session.assisted.codeId }
      : null,
  });
  if (!result.ok) return json({ errors: result.errors as FieldErrors }, { status: result.status });
  context.scheduleCheckpoint();
  if (session.assisted) return redirect("/assisted");
  return redirect(`/records/${result.record.reference}?signed=1`);
}

export default function CodeOfConductPage() {
  const data = useLoaderData<typeof loader>();
  if (!data.published)
    return (
      <TwoThirds>
        <span className="govuk-caption-l">{data.organisationName}</span>
        <h1 className="govuk-heading-l">Social media code of conduct</h1>
        <p className="govuk-body">
          {data.organisationName} has not published its code of conduct here yet, so there is nothing to sign.
        </p>
      </TwoThirds>
    );
  return <CodeOfConduct data={data} />;
}

function CodeOfConduct({ data }: { data: Extract<SerializeFrom<typeof loader>, { published: true }> }) {
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(signSchema, actionData?.errors);
  const ready = data.witness
    ? data.witness.method === "password" || data.witness.passphraseSet
    : data.reauth.method === "password" ||
      (data.reauth.method === "provider" ? data.reauth.fresh : data.reauth.passphraseSet);
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">{data.organisationName}</span>
      <h1 className="govuk-heading-l">Social media code of conduct</h1>
      <p className="govuk-body">
        Version {data.version.label}, in force from {formatDate(data.version.effectiveDate)}.
      </p>
      {data.signature ? (
        <div className="govuk-inset-text">
          You signed this version on {formatDateTime(data.signature.recordedAt)}.{" "}
          <Link className="govuk-link" to={`/records/${data.signature.reference}`}>
            See your record {data.signature.reference}
          </Link>
        </div>
      ) : null}
      {data.remaining.length > 0 && !data.signature ? (
        <>
          <WarningText>
            You need to pass {data.remaining.length === 1 ? "this module" : "these modules"} before you can sign:
          </WarningText>
          <ul className="govuk-list govuk-list--bullet">
            {data.remaining.map((m) => (
              <li key={m.slug}>
                <Link className="govuk-link" to={`/training/${m.slug}`}>
                  {m.title}
                </Link>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {data.changes ? (
        <>
          <h2 className="govuk-heading-m">What has changed since version {data.changes.label}, which you signed</h2>
          <p className="govuk-body">Added words are underlined and in bold; removed words are struck through.</p>
          <PolicyDiff rows={data.changes.rows} />
        </>
      ) : null}
      <h2 className="govuk-heading-m">The full text</h2>
      <PolicyDocument blocks={data.blocks} headingOffset={1} />
      <p className="govuk-body-s">
        Text fingerprint (SHA-256): <code>{data.version.sha256}</code>
      </p>
      {!data.signature && data.remaining.length === 0 && !ready && data.witness ? (
        <WarningText>
          {data.witness.name} cannot witness this signing yet: they have no password here. They set a signing passphrase
          in their own session first.
        </WarningText>
      ) : null}
      {!data.signature && data.remaining.length === 0 && !ready && !data.witness ? (
        <>
          <h2 className="govuk-heading-m">Confirm who you are</h2>
          {data.reauth.method === "provider" ? (
            <>
              <p className="govuk-body">
                Before you sign, {data.reauth.providerName} asks you to sign in again, so that only you can sign as you.
                You then come back here.
              </p>
              <a
                href="/sso/start?purpose=reauth&returnTo=%2Fcode-of-conduct"
                role="button"
                draggable="false"
                className="govuk-button"
                data-module="govuk-button"
              >
                Confirm who you are with {data.reauth.providerName}
              </a>
            </>
          ) : (
            <p className="govuk-body">
              You sign with a signing passphrase, which only you know.{" "}
              <Link className="govuk-link" to="/signing-passphrase">
                Set your signing passphrase
              </Link>
              , then come back to sign.
            </p>
          )}
        </>
      ) : null}
      {!data.signature && data.remaining.length === 0 && ready ? (
        <Form method="post" noValidate onSubmit={onSubmit}>
          <CsrfInput />
          <input type="hidden" value={data.version.id} {...register("policyVersionId")} />
          <Checkboxes
            name="declarations"
            legend="Your declarations"
            hint="Tick each one."
            items={data.declarations.map((d) => ({
              id: d.name,
              value: "yes",
              label: d.text,
              error: errors[d.name],
              ...register(d.name),
            }))}
          />
          <TextInput
            label="Your full name"
            hint="As it appears on your account. Typing it is your signature."
            autoComplete="name"
            spellCheck={false}
            error={errors.typedName}
            {...register("typedName")}
          />
          {data.witness ? (
            <TextInput
              label={`Witness: ${data.witness.name}, your ${data.witness.method === "password" ? "password" : "signing passphrase"}`}
              hint="The witness types this, to confirm they saw this person make the declarations and type their name."
              type="password"
              autoComplete="off"
              error={errors.password}
              {...register("password")}
            />
          ) : data.reauth.method === "password" ? (
            <TextInput
              label="Your password"
              hint="We ask again so that only you can sign as you."
              type="password"
              autoComplete="current-password"
              error={errors.password}
              {...register("password")}
            />
          ) : data.reauth.method === "passphrase" ? (
            <TextInput
              label="Your signing passphrase"
              hint="The passphrase you set for signing in this service. We ask for it so that only you can sign as you."
              type="password"
              autoComplete="off"
              error={errors.password}
              {...register("password")}
            />
          ) : (
            <div className="govuk-inset-text">You have just confirmed who you are with {data.reauth.providerName}.</div>
          )}
          <Button once>Sign the code of conduct</Button>
        </Form>
      ) : null}
    </TwoThirds>
  );
}
