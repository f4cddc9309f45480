import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { notFound, requireUser } from "~/auth/access.server";
import { Table } from "~/components/table";
import { visibleTeams } from "~/people/people.server";
import { teamsCompletion } from "~/tracking/status.server";

export const meta: MetaFunction = () => [{ title: "Teams – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const teams = await visibleTeams(context.db, user);
  if (teams.length === 0 && user.role === "staff") throw notFound();
  const completion = await teamsCompletion(
    context.db,
    user.organisationId,
    teams.map((t) => t.id),
    { now: context.now() },
  );
  return {
    teams: teams.map((t) => ({ ...t, completion: completion.get(t.id) ?? { people: 0, complete: 0, overdue: 0 } })),
    championed: user.championTeamIds.length > 0 && user.role === "staff",
  };
}

export default function Teams() {
  const { teams, championed } = useLoaderData<typeof loader>();
  return (
    <>
      <h1 className="govuk-heading-l">Teams</h1>
      <p className="govuk-body">{championed ? "The teams you are social media champion for." : "Every team of your council."} Choose a team to see who is outstanding and nudge them.</p>
      <Table
        caption={`${teams.length} ${teams.length === 1 ? "team" : "teams"}`}
        rows={teams}
        rowKey={(team) => team.id}
        columns={[
          {
            header: "Team",
            rowHeader: true,
            cell: (team) => (
              <Link className="govuk-link" to={`/teams/${team.id}`}>
                {team.name}
              </Link>
            ),
          },
          { header: "People", numeric: true, cell: (team) => team.completion.people },
          {
            header: "Completed everything",
            numeric: true,
            cell: (team) => `${team.completion.complete}${team.completion.people > 0 ? ` (${Math.round((team.completion.complete / team.completion.people) * 100)}%)` : ""}`,
          },
          { header: "Overdue or expired", numeric: true, cell: (team) => team.completion.overdue },
          { header: "Champions", cell: (team) => team.champions.join(", ") || "None named" },
        ]}
      />
    </>
  );
}
