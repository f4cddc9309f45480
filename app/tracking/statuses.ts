/** The statuses a person can have on a requirement; shared by the server and the pages. */
export const STATUSES = ["not_started", "in_progress", "complete", "due_soon", "overdue", "expired"] as const;
export type Status = (typeof STATUSES)[number];

/** Outstanding statuses, most urgent first: a person's overall status is their most urgent one. */
export const OUTSTANDING: readonly Status[] = ["expired", "overdue", "due_soon", "in_progress", "not_started"];

export const STATUS_LABELS: Record<Status, string> = {
  not_started: "Not started",
  in_progress: "In progress",
  complete: "Complete",
  due_soon: "Due soon",
  overdue: "Overdue",
  expired: "Expired",
};
