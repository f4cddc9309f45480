import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput, IntentForm } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { FileUpload } from "~/components/file-upload";
import type { FieldErrors } from "~/components/form-errors";
import { NotificationBanner } from "~/components/notification-banner";
import { Table } from "~/components/table";
import { formatDateTime } from "~/lib/dates";
import {
  changeModuleRequirement,
  MODULE_MAX_KILOBYTES,
  modulesFor,
  pendingUploads,
  uploadModuleFile,
} from "~/training/module-publishing.server";

export const meta: MetaFunction = () => [{ title: "Training modules – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const [modules, uploads] = await Promise.all([
    modulesFor(context.db, admin.organisationId),
    pendingUploads(context.db, admin.organisationId),
  ]);
  return json({ modules, uploads, organisationName: admin.organisationName, maxKilobytes: MODULE_MAX_KILOBYTES });
}

const isFile = (value: FormDataEntryValue | null): value is File =>
  typeof value === "object" && value !== null && value.name !== "";

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const form = await request.formData();
  const now = context.now();
  if (form.get("intent") === "require") {
    const moduleId = form.get("moduleId");
    const required = form.get("required");
    if (typeof moduleId !== "string" || !isUuid(moduleId) || (required !== "yes" && required !== "no"))
      throw notFound();
    const changed = await changeModuleRequirement(context.db, admin, moduleId, required === "yes", {
      ...requestInfo(context),
      now,
    });
    if (changed === "not-found") throw notFound();
    return redirect(`/admin/modules?${required === "yes" ? "required" : "notRequired"}=${moduleId}`);
  }
  const file = form.get("file");
  if (!isFile(file))
    return json(
      { errors: { file: "Select a module file (.json)" } as FieldErrors, problems: [] as string[] },
      { status: 400 },
    );
  const uploaded = await uploadModuleFile(
    context.db,
    admin,
    { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) },
    { ...requestInfo(context), now },
  );
  if (!uploaded.ok)
    return json({ errors: { file: uploaded.error } as FieldErrors, problems: uploaded.problems }, { status: 400 });
  return redirect(`/admin/modules/uploads/${uploaded.uploadId}`);
}

export default function Modules() {
  const { modules, uploads, organisationName, maxKilobytes } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const search = new URLSearchParams(useLocation().search);
  const published = search.get("published");
  const requiredNow = search.get("required") ?? search.get("notRequired");
  const changedModule = modules.find((m) => m.id === requiredNow);
  const errors = actionData?.errors ?? {};
  return (
    <>
      <ErrorSummary errors={errors} />
      {published ? (
        <NotificationBanner
          id="published"
          success
          heading={`${modules.find((m) => m.slug === published)?.title ?? published} is published.`}
        >
          <p className="govuk-body">Staff who start it from now take the new version.</p>
        </NotificationBanner>
      ) : null}
      {changedModule ? (
        <NotificationBanner
          id="required"
          success
          heading={
            changedModule.required
              ? `${changedModule.title} is now required of everyone.`
              : `${changedModule.title} is no longer required.`
          }
        />
      ) : null}
      <span className="govuk-caption-l">{organisationName}</span>
      <h1 className="govuk-heading-l">Training modules</h1>
      <p className="govuk-body">
        The modules your council’s staff take. Staff always take the latest published version; an attempt already begun
        stays on the version it began with. The code of conduct is published on the{" "}
        <Link className="govuk-link" to="/admin/policy">
          code of conduct
        </Link>{" "}
        page.
      </p>
      {modules.length === 0 ? (
        <p className="govuk-body">Your council has no training modules yet.</p>
      ) : (
        <Table
          caption="Modules"
          columns={[
            {
              header: "Module",
              rowHeader: true,
              cell: (m: (typeof modules)[number]) => (
                <>
                  {m.title}
                  <br />
                  <span className="govuk-body-s app-break-word">{m.slug}</span>
                </>
              ),
            },
            {
              header: "Latest version",
              cell: (m) =>
                m.latest ? (
                  <>
                    <code>{m.latest.contentHash.slice(0, 12)}…</code>
                    <br />
                    <span className="govuk-body-s">
                      {formatDateTime(m.latest.createdAt)},{" "}
                      {m.latest.source === "admin"
                        ? `approved by ${m.latest.approvedBy ?? "an admin"}`
                        : "from content/"}
                      {m.latest.requiresRetake ? ", everyone takes it again" : ""}
                    </span>
                  </>
                ) : (
                  "None"
                ),
            },
            {
              header: "Required",
              cell: (m) =>
                m.source === "admin" ? (
                  <IntentForm intent="require" hidden={{ moduleId: m.id, required: m.required ? "no" : "yes" }}>
                    <p className="govuk-body govuk-!-margin-bottom-1">{m.required ? "Yes" : "No"}</p>
                    <Button secondary once className="govuk-!-margin-bottom-0">
                      {m.required ? "Stop requiring it" : "Make it required"}
                      <span className="govuk-visually-hidden"> ({m.title})</span>
                    </Button>
                  </IntentForm>
                ) : m.required ? (
                  "Yes"
                ) : (
                  "No"
                ),
            },
          ]}
          rows={modules}
          rowKey={(m) => m.id}
        />
      )}
      {uploads.length > 0 ? (
        <Table
          caption="Uploaded, not published yet"
          columns={[
            {
              header: "Module",
              rowHeader: true,
              cell: (u: (typeof uploads)[number]) => (
                <Link className="govuk-link" to={`/admin/modules/uploads/${u.id}`}>
                  {u.title}
                  <span className="govuk-visually-hidden">: check and publish</span>
                </Link>
              ),
            },
            { header: "File", cell: (u) => <span className="app-break-word">{u.fileName}</span> },
            { header: "Uploaded", cell: (u) => formatDateTime(u.createdAt) },
          ]}
          rows={uploads}
          rowKey={(u) => u.id}
        />
      ) : null}
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <h2 className="govuk-heading-m">Upload a module</h2>
          <p className="govuk-body">
            A module is one JSON file in the training content format (the project’s docs/training-modules.md, with a
            JSON Schema editors can check against). A new version of a module has the same id as the module. The file is
            checked exactly as <code>npm run content:check</code> checks it, against your code of conduct in force; you
            can then take it as staff would and publish it. Nothing is published until you say so.
          </p>
          <Form method="post" encType="multipart/form-data" noValidate>
            <CsrfInput />
            <FileUpload
              name="file"
              label="Upload a module file"
              labelClass="govuk-label--s"
              hint={`A .json file saved as UTF-8, smaller than ${maxKilobytes} KB`}
              accept=".json,application/json"
              error={errors.file}
            />
            {actionData && actionData.problems.length > 0 ? (
              <div className="govuk-inset-text" id="problems">
                <h3 className="govuk-heading-s">Every problem, by JSON path</h3>
                <ul className="govuk-list app-break-word">
                  {actionData.problems.map((problem, i) => (
                    <li key={i}>
                      <code>{problem}</code>
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
            <Button once>Upload and check the module</Button>
          </Form>
        </div>
      </div>
    </>
  );
}
