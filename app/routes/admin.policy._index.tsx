import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useLocation } from "@remix-run/react";
import { requireRole } from "~/auth/access.server";
import { currentPolicyVersion, policyVersionsFor } from "~/attestation/policies.server";
import { NotificationBanner } from "~/components/notification-banner";
import { Table } from "~/components/table";
import { formatDate, formatDateTime, londonDate } from "~/lib/dates";

export const meta: MetaFunction = () => [{ title: "Code of conduct versions – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const [versions, inForce] = await Promise.all([
    policyVersionsFor(context.db, admin.organisationId),
    currentPolicyVersion(context.db, admin.organisationId, londonDate(context.now())),
  ]);
  return json({ versions, inForceId: inForce?.id ?? null, organisationName: admin.organisationName });
}

export default function PolicyVersions() {
  const { versions, inForceId, organisationName } = useLoaderData<typeof loader>();
  const published = new URLSearchParams(useLocation().search).get("published");
  return (
    <>
      {published ? (
        <NotificationBanner
          id="published"
          success
          heading={`Version ${published} of the code of conduct is published.`}
        />
      ) : null}
      <span className="govuk-caption-l">{organisationName}</span>
      <h1 className="govuk-heading-l">Code of conduct</h1>
      <p className="govuk-body">
        Every version your council has published. A version is never changed once published: to change the text, publish
        a new version. Training modules are published on the{" "}
        <Link className="govuk-link" to="/admin/modules">
          training modules
        </Link>{" "}
        page.
      </p>
      <p className="govuk-body">
        <Link className="govuk-button" data-module="govuk-button" to="/admin/policy/new">
          Publish a new version
        </Link>
      </p>
      {versions.length === 0 ? (
        <p className="govuk-body">Your council has not published its code of conduct yet.</p>
      ) : (
        <Table
          caption="Published versions, newest first"
          columns={[
            {
              header: "Version",
              rowHeader: true,
              cell: (v: (typeof versions)[number]) => (
                <>
                  {v.versionLabel}
                  {v.id === inForceId ? (
                    <>
                      {" "}
                      <strong className="govuk-tag govuk-tag--green">In force</strong>
                    </>
                  ) : null}
                </>
              ),
            },
            { header: "Takes effect", cell: (v) => formatDate(v.effectiveDate) },
            { header: "Everyone signs again", cell: (v) => (v.requiresReattestation ? "Yes" : "No") },
            {
              header: "Published",
              cell: (v) => `${formatDateTime(v.publishedAt)}${v.publishedBy ? ` by ${v.publishedBy}` : ""}`,
            },
            {
              header: "SHA-256",
              cell: (v) => <code>{v.sha256.slice(0, 12)}…</code>,
            },
          ]}
          rows={versions}
          rowKey={(v) => v.id}
        />
      )}
    </>
  );
}
