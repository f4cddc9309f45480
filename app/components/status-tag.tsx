import type { RequirementTaskStatus } from "./task-list";

const TAGS: Record<RequirementTaskStatus, { text: string; tag: string }> = {
  not_started: { text: "Not started", tag: "govuk-tag--grey" },
  in_progress: { text: "In progress", tag: "govuk-tag--light-blue" },
  complete: { text: "Complete", tag: "govuk-tag--green" },
  due_soon: { text: "Due soon", tag: "govuk-tag--yellow" },
  overdue: { text: "Overdue", tag: "govuk-tag--red" },
  expired: { text: "Expired", tag: "govuk-tag--red" },
};

/** A requirement status as a GOV.UK tag: the words carry the meaning, the colour only repeats it. */
export function StatusTag({ status }: { status: RequirementTaskStatus }) {
  const { text, tag } = TAGS[status];
  return <strong className={`govuk-tag ${tag}`}>{text}</strong>;
}
