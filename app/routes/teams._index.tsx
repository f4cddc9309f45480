import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { notFound, requireUser } from "~/auth/access.server";
import { Pagination } from "~/components/pagination";
import { TeamCompletionTable } from "~/components/team-completion-table";
import { visibleTeams } from "~/people/people.server";
import { teamsCompletion } from "~/tracking/status.server";

export const meta: MetaFunction = () => [{ title: "Teams – Social media code of conduct" }];

const TEAMS_PER_PAGE = 50;
const pageSchema = z.object({ page: z.coerce.number().int().min(1).max(100_000).catch(1) });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const teams = await visibleTeams(context.db, user);
  if (teams.length === 0 && user.role === "staff") throw notFound();
  const pageCount = Math.max(1, Math.ceil(teams.length / TEAMS_PER_PAGE));
  const page = Math.min(pageSchema.parse(Object.fromEntries(new URL(request.url).searchParams)).page, pageCount);
  // Figures only for the teams on this page: for HR in a large council, every team's would be the whole council's statuses.
  const shown = teams.slice((page - 1) * TEAMS_PER_PAGE, page * TEAMS_PER_PAGE);
  const completion = await teamsCompletion(
    context.db,
    user.organisationId,
    shown.map((t) => t.id),
    { now: context.now() },
  );
  return json({
    teams: shown.map((t) => ({ ...t, completion: completion.get(t.id) ?? { people: 0, complete: 0, overdue: 0 } })),
    total: teams.length,
    page,
    pageCount,
    championed: user.championTeamIds.length > 0 && user.role === "staff",
  });
}

export default function Teams() {
  const { teams, total, page, pageCount, championed } = useLoaderData<typeof loader>();
  return (
    <>
      <h1 className="govuk-heading-l">Teams</h1>
      <p className="govuk-body">
        {championed ? "The teams you are social media champion for." : "Every team of your council."} Choose a team to
        see who is outstanding and nudge them.
      </p>
      <TeamCompletionTable
        caption={`${total} ${total === 1 ? "team" : "teams"}${pageCount > 1 ? `, page ${page} of ${pageCount}` : ""}`}
        teams={teams}
      />
      <Pagination page={page} pageCount={pageCount} href={(p) => `?page=${p}`} label="Pages of teams" />
    </>
  );
}
