import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useLocation } from "@remix-run/react";
import { requireRole } from "~/auth/access.server";
import { NotificationBanner } from "~/components/notification-banner";
import { adminTeamColumn } from "~/components/admin-team-column";
import { Table } from "~/components/table";
import { formatDate } from "~/lib/dates";
import { teamsForAdmin } from "~/people/teams.server";

export const meta: MetaFunction = () => [{ title: "Manage teams – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  return json({ teams: await teamsForAdmin(context.db, admin.organisationId) });
}

export default function ManageTeams() {
  const { teams } = useLoaderData<typeof loader>();
  const closed = new URLSearchParams(useLocation().search).get("closed");
  const open = teams.filter((t) => !t.closedOn);
  const shut = teams.filter((t) => t.closedOn);
  return (
    <>
      {closed ? (
        <NotificationBanner
          id="closed"
          success
          heading={`${closed} is closed. Its history stays in reports of earlier dates.`}
        />
      ) : null}
      <h1 className="govuk-heading-l">Manage teams</h1>
      <p className="govuk-body">
        Create, rename and close your council&apos;s teams and name their champions. To name someone a champion or move
        them to another team, <Link to="/admin/people">find them on the people page</Link>.
      </p>
      <Link to="/admin/teams/new" role="button" draggable={false} className="govuk-button" data-module="govuk-button">
        Create a team
      </Link>
      <Table
        caption={`${open.length} open ${open.length === 1 ? "team" : "teams"}`}
        rows={open}
        rowKey={(t) => t.id}
        columns={[
          adminTeamColumn,
          { header: "People", numeric: true, cell: (t) => t.members },
          { header: "Champions", cell: (t) => (t.champions.length > 0 ? t.champions.join(", ") : "None") },
        ]}
      />
      {shut.length > 0 ? (
        <Table
          caption={`${shut.length} closed ${shut.length === 1 ? "team" : "teams"}`}
          rows={shut}
          rowKey={(t) => t.id}
          columns={[adminTeamColumn, { header: "Closed on", cell: (t) => formatDate(t.closedOn!) }]}
        />
      ) : null}
    </>
  );
}
