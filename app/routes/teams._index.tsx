import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { notFound, requireUser } from "~/auth/access.server";
import { visibleTeams } from "~/people/people.server";

export const meta: MetaFunction = () => [{ title: "Teams – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const teams = await visibleTeams(context.db, user);
  if (teams.length === 0 && user.role === "staff") throw notFound();
  return { teams };
}

export default function Teams() {
  const { teams } = useLoaderData<typeof loader>();
  return (
    <>
      <h1 className="govuk-heading-l">Teams</h1>
      <ul className="govuk-list">
        {teams.map((team) => (
          <li key={team.id}>
            <Link className="govuk-link" to={`/teams/${team.id}`}>
              {team.name}
            </Link>{" "}
            ({team.members} {team.members === 1 ? "person" : "people"})
          </li>
        ))}
      </ul>
    </>
  );
}
