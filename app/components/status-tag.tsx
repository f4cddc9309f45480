import { STATUS_LABELS, type Status } from "~/tracking/statuses";

const TAG_CLASSES: Record<Status, string> = {
  not_started: "govuk-tag--grey",
  in_progress: "govuk-tag--light-blue",
  complete: "govuk-tag--green",
  due_soon: "govuk-tag--yellow",
  overdue: "govuk-tag--red",
  expired: "govuk-tag--orange",
  exempt: "govuk-tag--purple",
};

/** A requirement's status as a GOV.UK tag: its words say it, the colour only repeats them. */
export function StatusTag({ status, label }: { status: Status; label?: string }) {
  return (
    <strong className={`govuk-tag ${TAG_CLASSES[status] ?? "govuk-tag--grey"}`}>
      {label ?? STATUS_LABELS[status]}
    </strong>
  );
}
