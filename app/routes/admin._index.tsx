import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireRole } from "~/auth/access.server";
import { SectionLinks } from "~/components/section-links";
import { ADMIN_PAGES } from "~/navigation";

export const meta: MetaFunction = () => [{ title: "Admin – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  return json({ organisationName: admin.organisationName });
}

export default function AdminHome() {
  const { organisationName } = useLoaderData<typeof loader>();
  return (
    <>
      <span className="govuk-caption-l">{organisationName}</span>
      <h1 className="govuk-heading-l">Admin</h1>
      <p className="govuk-body">Run your council’s service. Every change you make is written to the audit log.</p>
      <SectionLinks sections={ADMIN_PAGES.map((page) => ({ ...page, title: page.label }))} />
    </>
  );
}
