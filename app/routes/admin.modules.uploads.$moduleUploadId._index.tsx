import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import type { FieldErrors } from "~/components/form-errors";
import { Radios } from "~/components/radios";
import { SummaryList } from "~/components/summary-list";
import { TwoThirds } from "~/components/two-thirds";
import { formatDateTime } from "~/lib/dates";
import { questionsToPass } from "~/training/machine";
import { moduleUploadFor, publishModuleUpload } from "~/training/module-publishing.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Publish ${data.title}` : "Publish a module"} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.moduleUploadId)) throw notFound();
  const found = await moduleUploadFor(context.db, admin, params.moduleUploadId);
  if (!found) throw notFound();
  const { upload, module } = found;
  const content = upload.content;
  return json({
    id: upload.id,
    title: content.title,
    slug: content.id,
    summary: content.summary,
    fileName: upload.fileName,
    contentHash: upload.contentHash,
    uploadedBy: upload.uploadedBy,
    uploadedAt: upload.createdAt,
    published: upload.moduleVersionId !== null,
    questions: content.slots.length,
    variants: content.slots.reduce((n, s) => n + s.variants.length, 0),
    toPass: questionsToPass(content.slots.length, content.passMark),
    fileSaysRetake: content.requiresRetake ?? false,
    module: module
      ? {
          title: module.title,
          source: module.source,
          required: module.required,
          latest: module.latest ? { ...module.latest, createdAt: module.latest.createdAt.toISOString() } : null,
          sameAsLatest: module.sameAsLatest,
        }
      : null,
  });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.moduleUploadId)) throw notFound();
  const found = await moduleUploadFor(context.db, admin, params.moduleUploadId);
  if (!found) throw notFound();
  const form = await request.formData();
  const errors: FieldErrors = {};
  const retake = form.get("requiresRetake");
  const required = form.get("required");
  const asksRetake = found.module !== null;
  const asksRequired = found.module === null || found.module.source === "admin";
  if (asksRetake && retake !== "yes" && retake !== "no")
    errors.requiresRetake = "Select whether people who passed an earlier version must take this one";
  if (asksRequired && required !== "yes" && required !== "no")
    errors.required = "Select whether everyone must complete this module";
  if (Object.keys(errors).length > 0) return json({ errors }, { status: 400 });
  const outcome = await publishModuleUpload(
    context.db,
    admin,
    found.upload.id,
    { requiresRetake: retake === "yes", required: asksRequired ? required === "yes" : null },
    { ...requestInfo(context), now: context.now() },
  );
  if (outcome.outcome === "not-found") throw notFound();
  return redirect(`/admin/modules?published=${encodeURIComponent(outcome.slug)}`);
}

export default function PublishModule() {
  const m = useLoaderData<typeof loader>();
  const errors = useActionData<typeof action>()?.errors ?? {};
  const existing = m.module;
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">{existing ? "A new version of a module" : "A new module"}</span>
      <h1 className="govuk-heading-l">{m.title}</h1>
      <p className="govuk-body">{m.summary}</p>
      <SummaryList
        rows={[
          { key: "Module id", value: <span className="app-break-word">{m.slug}</span> },
          { key: "File", value: <span className="app-break-word">{m.fileName}</span> },
          { key: "Uploaded", value: `${formatDateTime(m.uploadedAt)} by ${m.uploadedBy}` },
          {
            key: "Questions",
            value: `${m.questions} in each attempt, drawn from ${m.variants} situations; ${m.toPass} right to pass`,
          },
          { key: "Content hash", value: <code>{m.contentHash}</code> },
          ...(existing?.latest
            ? [
                {
                  key: "Version staff take now",
                  value: (
                    <>
                      <code>{existing.latest.contentHash}</code>, published {formatDateTime(existing.latest.createdAt)}{" "}
                      {existing.latest.source === "admin" ? "from the admin pages" : "from content/"}
                    </>
                  ),
                },
              ]
            : []),
        ]}
      />
      <p className="govuk-body">
        <Link className="govuk-link" to={`/admin/modules/uploads/${m.id}/preview`}>
          Preview the module as staff take it
        </Link>{" "}
        (nothing you answer is recorded).
      </p>
      {m.published ? (
        <div className="govuk-inset-text">
          This upload is published. Upload the file again to publish a changed version.{" "}
          <Link className="govuk-link" to="/admin/modules">
            Back to training modules
          </Link>
        </div>
      ) : existing?.sameAsLatest ? (
        <div className="govuk-inset-text">
          This is the version staff take now: there is nothing to publish.{" "}
          <Link className="govuk-link" to="/admin/modules">
            Back to training modules
          </Link>
        </div>
      ) : (
        <Form method="post" noValidate>
          <CsrfInput />
          <h2 className="govuk-heading-m">Publish it</h2>
          <p className="govuk-body">
            Staff who start the module after you publish take this version. Anyone part way through an attempt finishes
            it on the version they began.
          </p>
          {existing ? (
            <Radios
              name="requiresRetake"
              legend="Must people who passed an earlier version take this one?"
              hint={`The file ${m.fileSaysRetake ? "asks for" : "does not ask for"} a retake (requiresRetake). Choose yes when what staff must know has changed.`}
              defaultValue={m.fileSaysRetake ? "yes" : undefined}
              error={errors.requiresRetake}
              options={[
                { value: "yes", label: "Yes, everyone takes it again", hint: "Earlier passes stop counting today" },
                { value: "no", label: "No, earlier passes still count" },
              ]}
            />
          ) : null}
          {!existing || existing.source === "admin" ? (
            <Radios
              name="required"
              legend="Must everyone in your council complete this module?"
              hint="You can change this later on the training modules page."
              defaultValue={existing ? (existing.required ? "yes" : "no") : undefined}
              error={errors.required}
              options={[
                {
                  value: "yes",
                  label: "Yes, it is required",
                  hint: "From today, within the days set on the requirements page",
                },
                { value: "no", label: "No, not yet", hint: "Nobody is asked to take it until you make it required" },
              ]}
            />
          ) : (
            <p className="govuk-body">Everyone must complete it, as every module from the content files.</p>
          )}
          <Button once>Publish this version</Button>
        </Form>
      )}
    </TwoThirds>
  );
}
