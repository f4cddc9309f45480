import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { policyDiff } from "~/attestation/policy-diff.server";
import { policyBlocks } from "~/attestation/policy-text";
import { DECLARATIONS, signSchema } from "~/attestation/forms";
import { signCodeOfConduct, signingStatus } from "~/attestation/signing.server";
import { notFound, requestInfo, requireUser } from "~/auth/access.server";
import { Checkboxes } from "~/components/checkboxes";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { PolicyDiff } from "~/components/policy-diff";
import { PolicyDocument } from "~/components/policy-document";
import { TextInput } from "~/components/text-input";
import { useValidatedForm } from "~/components/validated-form";
import { formatDate, formatDateTime } from "~/lib/dates";

export const meta: MetaFunction = () => [{ title: "Sign the code of conduct – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const status = await signingStatus(context.db, user, context.now());
  if (!status) throw notFound();
  const { version, remaining, signature, previous } = status;
  return {
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
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const form = await request.formData();
  const parsed = signSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return Response.json({ errors: fieldErrors(parsed.error) }, { status: 400 });
  const result = await signCodeOfConduct(context.db, user, parsed.data, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!result.ok) return Response.json({ errors: result.errors }, { status: result.status });
  return redirect(`/records/${result.record.reference}?signed=1`);
}

export default function CodeOfConduct() {
  const data = useLoaderData<typeof loader>();
  const actionData = useActionData<{ errors: FieldErrors }>();
  const { register, onSubmit, errors } = useValidatedForm(signSchema, actionData?.errors);
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
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
          <div className="govuk-warning-text">
            <span className="govuk-warning-text__icon" aria-hidden="true">
              !
            </span>
            <strong className="govuk-warning-text__text">
              <span className="govuk-visually-hidden">Warning</span>
              You need to pass {data.remaining.length === 1 ? "this module" : "these modules"} before you can sign:
            </strong>
          </div>
        ) : null}
        {data.remaining.length > 0 && !data.signature ? (
          <ul className="govuk-list govuk-list--bullet">
            {data.remaining.map((m) => (
              <li key={m.slug}>
                <Link className="govuk-link" to={`/training/${m.slug}`}>
                  {m.title}
                </Link>
              </li>
            ))}
          </ul>
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
        {!data.signature && data.remaining.length === 0 ? (
          <Form method="post" noValidate onSubmit={onSubmit}>
            <CsrfInput />
            <input type="hidden" value={data.version.id} {...register("policyVersionId")} />
            <Checkboxes
              legend="Your declarations"
              hint="Tick each one."
              items={data.declarations.map((d) => ({ name: d.name, label: d.text, error: errors[d.name] }))}
              register={register}
            />
            <TextInput
              label="Your full name"
              hint="As it appears on your account. Typing it is your signature."
              autoComplete="name"
              spellCheck={false}
              error={errors.typedName}
              {...register("typedName")}
            />
            <TextInput
              label="Your password"
              hint="We ask again so that only you can sign as you."
              type="password"
              autoComplete="current-password"
              error={errors.password}
              {...register("password")}
            />
            <button type="submit" className="govuk-button" data-module="govuk-button" data-prevent-double-click="true">
              Sign the code of conduct
            </button>
          </Form>
        ) : null}
      </div>
    </div>
  );
}
