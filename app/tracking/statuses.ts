/** The statuses a person can have on a requirement; shared by the server and the pages. */
export const STATUSES = ["not_started", "in_progress", "complete", "due_soon", "overdue", "expired", "exempt"] as const;
export type Status = (typeof STATUSES)[number];

/** Outstanding statuses, most urgent first: a person's overall status is their most urgent one. */
export const OUTSTANDING: readonly Status[] = ["expired", "overdue", "due_soon", "in_progress", "not_started"];

/** Statuses that ask nothing more of the person: complete, or exempt (docs/decisions/0021). */
export const SETTLED: readonly Status[] = ["complete", "exempt"];

export const STATUS_LABELS: Record<Status, string> = {
  not_started: "Not started",
  in_progress: "In progress",
  complete: "Complete",
  due_soon: "Due soon",
  overdue: "Overdue",
  expired: "Expired",
  exempt: "Exempt",
};

export const EXEMPTION_REASONS = [
  "parental_leave",
  "long_term_absence",
  "secondment",
  "not_applicable_to_role",
  "other",
] as const;
export type ExemptionReason = (typeof EXEMPTION_REASONS)[number];

export const EXEMPTION_REASON_LABELS: Record<ExemptionReason, string> = {
  parental_leave: "Parental leave",
  long_term_absence: "Long-term absence",
  secondment: "Secondment",
  not_applicable_to_role: "Not applicable to the role",
  other: "Other",
};

export const EXEMPTION_KIND_LABELS = {
  granted: "Recorded",
  ended: "Ended",
  corrected: "Corrected",
  cancelled: "Cancelled",
} as const;
