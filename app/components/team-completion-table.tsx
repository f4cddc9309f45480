import { Link } from "@remix-run/react";
import { Table, type Column } from "./table";

export type TeamWithCompletion = {
  id: string;
  name: string;
  champions: string[];
  completion: { people: number; complete: number; overdue: number };
};

const share = (part: number, whole: number) => (whole > 0 ? ` (${Math.round((part / whole) * 100)}%)` : "");

/** Teams with how many people each has, how many have completed everything and how many are overdue. */
export function TeamCompletionTable({
  caption,
  teams,
  showChampions = true,
}: {
  caption: string;
  teams: TeamWithCompletion[];
  showChampions?: boolean;
}) {
  const columns: Column<TeamWithCompletion>[] = [
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
      cell: (team) => `${team.completion.complete}${share(team.completion.complete, team.completion.people)}`,
    },
    { header: "Overdue or expired", numeric: true, cell: (team) => team.completion.overdue },
  ];
  if (showChampions) columns.push({ header: "Champions", cell: (team) => team.champions.join(", ") || "None named" });
  return <Table caption={caption} rows={teams} rowKey={(team) => team.id} columns={columns} />;
}
