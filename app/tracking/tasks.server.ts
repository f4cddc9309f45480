import type { CurrentUser } from "~/auth/session.server";
import type { TaskItem } from "~/components/task-list";
import { formatDate } from "~/lib/dates";
import type { Db } from "~db/client.server";
import { personStatus, type RequirementStatusRow } from "./status.server";
import { exemptionSummary } from "./status-words";

export type Task = TaskItem & { dueOn: string | null };

function hintFor(row: RequirementStatusRow): string {
  const dueOn = row.dueOn ?? row.since;
  switch (row.status) {
    case "complete":
      return `Completed ${formatDate(row.since)}. Renew by ${formatDate(dueOn)}`;
    case "exempt":
      return `${exemptionSummary(row)}: nothing to do`;
    case "expired":
      return `Expired on ${formatDate(dueOn)}: do it again now`;
    case "overdue":
      return `Was due by ${formatDate(dueOn)}`;
    default:
      return `Due by ${formatDate(dueOn)}`;
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

/** The person's required modules as on their home page: the same status query and the same words. */
export async function trainingTasks(db: Db, user: CurrentUser, now: Date): Promise<Task[]> {
  return (await staffTasks(db, user, now)).filter((task) => task.id !== "sign-code-of-conduct");
}

/** Where the person acts next: the first of their tasks not complete (training before signing), or null. */
export async function nextTask(db: Db, user: CurrentUser, now: Date): Promise<{ href: string; title: string } | null> {
  const next = (await staffTasks(db, user, now)).find((task) => task.status !== "complete");
  return next ? { href: next.href, title: next.title } : null;
}
