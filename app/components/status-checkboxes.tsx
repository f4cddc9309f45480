import type { ReactNode } from "react";
import { STATUS_LABELS, STATUSES, type Status } from "~/tracking/statuses";
import { Checkboxes } from "./checkboxes";

/** A filter by status: small checkboxes named `status`, one per status, the chosen ones ticked. */
export function StatusCheckboxes({
  legend = "Status",
  hint,
  error,
  chosen,
}: {
  legend?: ReactNode;
  hint?: ReactNode;
  error?: string;
  chosen: readonly string[];
}) {
  return (
    <Checkboxes
      name="status"
      legend={legend}
      legendSize="s"
      hint={hint}
      error={error}
      small
      items={STATUSES.map((status: Status) => ({
        name: "status",
        value: status,
        label: STATUS_LABELS[status],
        defaultChecked: chosen.includes(status),
      }))}
    />
  );
}
