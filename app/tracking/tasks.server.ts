import type { CurrentUser } from "~/auth/session.server";
import type { TaskItem } from "~/components/task-list";
import { formatDate } from "~/lib/dates";
import type { Db } from "~db/client.server";
import { personStatus, type RequirementStatusRow } from "./status.server";

export type Task = TaskItem & { dueOn: string };

function hintFor(row: RequirementStatusRow): string {
  switch (row.status) {
    case "complete":
      return `Completed ${formatDate(row.since)}. Renew by ${formatDate(row.dueOn)}`;
    case "expired":
      return `Expired on ${formatDate(row.dueOn)}: do it again now`;
    case "overdue":
      return `Was due by ${formatDate(row.dueOn)}`;
    default:
      return `Due by ${formatDate(row.dueOn)}`;
  }
}

/** A person's own to-do list with due dates: each required module, then signing the code of conduct in force. */
export async function staffTasks(db: Db, user: CurrentUser, now: Date): Promise<Task[]> {
  const rows = await personStatus(db, user.organisationId, user.id, { now });
  return rows.map((row) => ({
    id: row.kind === "module" ? `module-${row.moduleSlug}` : "sign-code-of-conduct",
    href: row.kind === "module" ? `/training/${row.moduleSlug}` : "/code-of-conduct",
    title: row.kind === "module" ? row.title : `Sign the ${row.title.toLowerCase()}`,
    hint: hintFor(row),
    status: row.status,
    dueOn: row.dueOn,
  }));
}
