import { z } from "zod";
import type { Db } from "~db/client.server";
import { teamNudgeLog } from "./nudges.server";
import { completionFigures, PEOPLE_SORTS, peopleStatus, STATUSES, type Clock } from "./status.server";

export const TEAM_PAGE_SIZE = 25;

export const teamViewSchema = z.object({
  status: z.array(z.enum(STATUSES, "Choose statuses from the list")).default([]),
  sort: z.enum(PEOPLE_SORTS, "Choose how to sort from the list").default("urgency"),
  page: z.coerce
    .number("Page must be a number")
    .int("Page must be a whole number")
    .min(1, "Page must be 1 or more")
    .max(100_000)
    .default(1),
});
export type TeamView = z.infer<typeof teamViewSchema>;

export function parseTeamView(params: URLSearchParams) {
  return teamViewSchema.safeParse({
    status: params.getAll("status").filter((s) => s !== ""),
    sort: params.get("sort") || undefined,
    page: params.get("page") || undefined,
  });
}

/** Everything a champion's team page shows: the figures, the people filtered and sorted, and the recent nudges. */
export async function teamDashboard(
  db: Db,
  team: { id: string; organisationId: string },
  view: TeamView,
  clock: Clock,
) {
  const scope = { organisationId: team.organisationId, teamId: team.id };
  const [figures, people, nudges] = await Promise.all([
    completionFigures(db, scope, clock),
    peopleStatus(
      db,
      scope,
      { statuses: view.status, sort: view.sort, page: view.page, pageSize: TEAM_PAGE_SIZE },
      clock,
    ),
    teamNudgeLog(db, team.id, 10),
  ]);
  return { figures, people, nudges };
}
