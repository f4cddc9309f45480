import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireTeamAccess, requireUser } from "~/auth/access.server";
import { teamMembers } from "~/people/people.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.team.name ?? "Team"} – Social media code of conduct` }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const team = await requireTeamAccess(context.db, user, params.teamId);
  return { team: { id: team.id, name: team.name }, members: await teamMembers(context.db, team.id) };
}

const dateFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "Europe/London" });

export default function Team() {
  const { team, members } = useLoaderData<typeof loader>();
  return (
    <>
      <span className="govuk-caption-l">Team</span>
      <h1 className="govuk-heading-l">{team.name}</h1>
      <table className="govuk-table">
        <caption className="govuk-table__caption govuk-table__caption--m">
          {members.length} {members.length === 1 ? "person" : "people"}
        </caption>
        <thead className="govuk-table__head">
          <tr className="govuk-table__row">
            <th scope="col" className="govuk-table__header">
              Name
            </th>
            <th scope="col" className="govuk-table__header">
              Start date
            </th>
          </tr>
        </thead>
        <tbody className="govuk-table__body">
          {members.map((m) => (
            <tr key={m.id} className="govuk-table__row">
              <td className="govuk-table__cell">{m.name}</td>
              <td className="govuk-table__cell">{dateFormat.format(new Date(`${m.startDate}T12:00:00Z`))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
