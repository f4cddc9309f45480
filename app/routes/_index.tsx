import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireUser } from "~/auth/access.server";
import { TaskList } from "~/components/task-list";
import { homeSummary } from "~/people/people.server";
import { staffTasks } from "~/tracking/tasks.server";

export const meta: MetaFunction = () => [{ title: "Home – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const [summary, tasks] = await Promise.all([
    homeSummary(context.db, user),
    staffTasks(context.db, user, context.now()),
  ]);
  return { user: { name: user.name, role: user.role, organisationName: user.organisationName }, tasks, ...summary };
}

const ROLE_NAMES = { staff: "Staff", hr: "HR", admin: "Administrator" } as const;

function TeamTable({
  caption,
  teams,
}: {
  caption: string;
  teams: { id: string; name: string; members: number; champions: string[] }[];
}) {
  return (
    <table className="govuk-table">
      <caption className="govuk-table__caption govuk-table__caption--m">{caption}</caption>
      <thead className="govuk-table__head">
        <tr className="govuk-table__row">
          <th scope="col" className="govuk-table__header">
            Team
          </th>
          <th scope="col" className="govuk-table__header govuk-table__header--numeric">
            People
          </th>
          <th scope="col" className="govuk-table__header">
            Champions
          </th>
        </tr>
      </thead>
      <tbody className="govuk-table__body">
        {teams.map((team) => (
          <tr key={team.id} className="govuk-table__row">
            <td className="govuk-table__cell">
              <Link className="govuk-link" to={`/teams/${team.id}`}>
                {team.name}
              </Link>
            </td>
            <td className="govuk-table__cell govuk-table__cell--numeric">{team.members}</td>
            <td className="govuk-table__cell">{team.champions.join(", ") || "None named"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function Home() {
  const { user, me, championed, organisationTeams, tasks } = useLoaderData<typeof loader>();
  return (
    <>
      <span className="govuk-caption-l">{user.organisationName}</span>
      <h1 className="govuk-heading-l">Welcome, {user.name}</h1>
      <dl className="govuk-summary-list">
        <div className="govuk-summary-list__row">
          <dt className="govuk-summary-list__key">Role</dt>
          <dd className="govuk-summary-list__value">
            {ROLE_NAMES[user.role]}
            {championed.length > 0 ? ", social media champion" : ""}
          </dd>
        </div>
        <div className="govuk-summary-list__row">
          <dt className="govuk-summary-list__key">Team</dt>
          <dd className="govuk-summary-list__value">{me.teamName ?? "No team"}</dd>
        </div>
        <div className="govuk-summary-list__row">
          <dt className="govuk-summary-list__key">Employee number</dt>
          <dd className="govuk-summary-list__value">{me.employeeNumber}</dd>
        </div>
      </dl>
      <h2 className="govuk-heading-m">Your training and code of conduct</h2>
      <p className="govuk-body">
        Take short scenario-based modules on {user.organisationName}’s social media policy, then sign its code of
        conduct.
      </p>
      {tasks.length > 0 ? (
        <TaskList items={tasks} />
      ) : (
        <p className="govuk-body">Your council has not set any training yet.</p>
      )}
      {championed.length > 0 ? <TeamTable caption="Teams you champion" teams={championed} /> : null}
      {organisationTeams.length > 0 ? (
        <TeamTable caption={`Teams in ${user.organisationName}`} teams={organisationTeams} />
      ) : null}
      {user.role === "admin" ? (
        <p className="govuk-body">
          <Link className="govuk-link" to="/admin/people">
            Manage people and password links
          </Link>
        </p>
      ) : null}
    </>
  );
}
