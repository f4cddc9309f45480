import { json, redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireSession } from "~/auth/access.server";
import { SummaryList } from "~/components/summary-list";
import { Table } from "~/components/table";
import { TeamCompletionTable } from "~/components/team-completion-table";
import { TaskList } from "~/components/task-list";
import { homeSummary } from "~/people/people.server";
import { teamsCompletion } from "~/tracking/status.server";
import { staffTasks } from "~/tracking/tasks.server";

export const meta: MetaFunction = () => [{ title: "Home – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  // An assisted session's home is its own page, which shows only what the person is there to do.
  if (session.assisted) throw redirect("/assisted");
  const user = session.user;
  const [summary, tasks, completion] = await Promise.all([
    homeSummary(context.db, user),
    staffTasks(context.db, user, context.now()),
    teamsCompletion(context.db, user.organisationId, user.championTeamIds, { now: context.now() }),
  ]);
  const none = { people: 0, complete: 0, overdue: 0 };
  return json({
    user: { name: user.name, role: user.role, organisationName: user.organisationName },
    tasks,
    ...summary,
    championed: summary.championed.map((team) => ({ ...team, completion: completion.get(team.id) ?? none })),
  });
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
    <Table
      caption={caption}
      columns={[
        {
          header: "Team",
          cell: (team: (typeof teams)[number]) => (
            <Link className="govuk-link" to={`/teams/${team.id}`}>
              {team.name}
            </Link>
          ),
        },
        { header: "People", cell: (team) => team.members, numeric: true },
        { header: "Champions", cell: (team) => team.champions.join(", ") || "None named" },
      ]}
      rows={teams}
      rowKey={(team) => team.id}
    />
  );
}

export default function Home() {
  const { user, me, championed, organisationTeams, tasks } = useLoaderData<typeof loader>();
  return (
    <>
      <span className="govuk-caption-l">{user.organisationName}</span>
      <h1 className="govuk-heading-l">Welcome, {user.name}</h1>
      <SummaryList
        rows={[
          { key: "Role", value: `${ROLE_NAMES[user.role]}${championed.length > 0 ? ", social media champion" : ""}` },
          { key: "Team", value: me.teamName ?? "No team" },
          { key: "Employee number", value: me.employeeNumber },
        ]}
      />
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
      {championed.length > 0 ? (
        <TeamCompletionTable caption="Teams you champion" teams={championed} showChampions={false} />
      ) : null}
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
