import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { notFound, requireUser } from "~/auth/access.server";
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
      <table className="govuk-table">
        <caption className="govuk-table__caption govuk-table__caption--m">
          {teams.length} {teams.length === 1 ? "team" : "teams"}
        </caption>
        <thead className="govuk-table__head">
          <tr className="govuk-table__row">
            <th scope="col" className="govuk-table__header">
              Team
            </th>
            <th scope="col" className="govuk-table__header govuk-table__header--numeric">
              People
            </th>
            <th scope="col" className="govuk-table__header govuk-table__header--numeric">
              Completed everything
            </th>
            <th scope="col" className="govuk-table__header govuk-table__header--numeric">
              Overdue or expired
            </th>
            <th scope="col" className="govuk-table__header">
              Champions
            </th>
          </tr>
        </thead>
        <tbody className="govuk-table__body">
          {teams.map((team) => (
            <tr key={team.id} className="govuk-table__row">
              <th scope="row" className="govuk-table__header">
                <Link className="govuk-link" to={`/teams/${team.id}`}>
                  {team.name}
                </Link>
              </th>
              <td className="govuk-table__cell govuk-table__cell--numeric">{team.completion.people}</td>
              <td className="govuk-table__cell govuk-table__cell--numeric">
                {team.completion.complete}
                {team.completion.people > 0 ? ` (${Math.round((team.completion.complete / team.completion.people) * 100)}%)` : ""}
              </td>
              <td className="govuk-table__cell govuk-table__cell--numeric">{team.completion.overdue}</td>
              <td className="govuk-table__cell">{team.champions.join(", ") || "None named"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
