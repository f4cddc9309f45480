import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireRole } from "~/auth/access.server";
import { SectionLinks } from "~/components/section-links";

export const meta: MetaFunction = () => [{ title: "HR – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  return json({ organisationName: hr.organisationName });
}

const SECTIONS = [
  {
    href: "/hr/report",
    title: "Completion report",
    description:
      "Everyone and every requirement with their status, filtered by team, status, policy version and completion dates, as now or as at any past date. Each person's name opens their evidence: attempts and answers, signed records with their verification, and nudges, with a PDF evidence pack.",
  },
  {
    href: "/hr/exports",
    title: "Exports",
    description:
      "Download records as CSV, Excel (XLSX) or xAPI statements for a learning record store, or a ZIP evidence pack for a team and period.",
  },
  {
    href: "/hr/roster",
    title: "Import the staff roster",
    description:
      "Upload a CSV of staff (employee number, name, e-mail, team, start date, and a leaving date for leavers), check it line by line, see what would change, then apply it in one go.",
  },
  {
    href: "/hr/withdraw",
    title: "Withdraw a signed record",
    description:
      "Add a withdrawal to the ledger, with your reason, for a record signed by mistake. The signed record itself is never changed.",
  },
  {
    href: "/hr/ledger",
    title: "The ledger's latest checkpoint",
    description:
      "The signed checkpoint of the council's records and the keys that check it, to keep a copy of outside the service and to publish the keys for checking receipts.",
  },
];

export default function HrHome() {
  const { organisationName } = useLoaderData<typeof loader>();
  return (
    <>
      <span className="govuk-caption-l">{organisationName}</span>
      <h1 className="govuk-heading-l">HR</h1>
      <p className="govuk-body">
        Evidence of training and signed records for audits, disciplinary and Social Work England proceedings, and
        subject access requests. Every report you open about a person, and every export, is written to the audit log.
      </p>
      <SectionLinks sections={SECTIONS} />
    </>
  );
}
