import { Link } from "@remix-run/react";
import type { Column } from "./table";

/** A table's first column in the admin pages: the team's name, linking to its page, naming the row. */
export const adminTeamColumn: Column<{ id: string; name: string }> = {
  header: "Team",
  rowHeader: true,
  cell: (t) => (
    <Link className="govuk-link" to={`/admin/teams/${t.id}`}>
      {t.name}
    </Link>
  ),
};
