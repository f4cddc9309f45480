import { Link } from "@remix-run/react";
import { formatDateTime } from "~/lib/dates";
import { Table, type Column } from "./table";

type Attempt = {
  id: string;
  moduleSlug: string;
  /** The module's title: shown when the table lists attempts at more than one module. */
  title?: string;
  status: "in_progress" | "passed" | "failed";
  score: number;
  answered: number;
  startedAt: string | Date;
};

const RESULT = { in_progress: "Started", passed: "Passed", failed: "Not passed" } as const;

/** A person's own training attempts: when each started, its result (linking to the answers) and its score. */
export function AttemptsTable({ attempts, caption }: { attempts: Attempt[]; caption?: string }) {
  const columns: Column<Attempt>[] = [
    { header: "Started", cell: (a) => formatDateTime(a.startedAt) },
    {
      header: "Result",
      cell: (a) =>
        a.status === "in_progress" ? (
          RESULT[a.status]
        ) : (
          <Link className="govuk-link" to={`/training/${a.moduleSlug}/attempts/${a.id}/result`}>
            {RESULT[a.status]}
          </Link>
        ),
    },
    {
      header: "Score",
      cell: (a) => (a.answered > 0 ? `${Math.round((a.score / a.answered) * 100)}%` : "–"),
      numeric: true,
    },
  ];
  const withModule = attempts.some((a) => a.title !== undefined);
  return (
    <Table
      caption={caption}
      columns={withModule ? [{ header: "Module", cell: (a) => a.title }, ...columns] : columns}
      rows={attempts}
      rowKey={(a) => a.id}
    />
  );
}
