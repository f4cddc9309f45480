import type { DateParts } from "~/lib/date-fields";
import { DateInput } from "./date-input";

/** The report's completion period: two GOV.UK date inputs, `completedFrom` and `completedTo`. */
export function CompletedBetween({
  errors,
  from,
  to,
}: {
  errors: { completedFrom?: string; completedTo?: string };
  from: DateParts;
  to: DateParts;
}) {
  return (
    <>
      <DateInput
        name="completedFrom"
        legend="Completed on or after"
        hint="For example, 1 4 2026"
        error={errors.completedFrom}
        values={from}
      />
      <DateInput
        name="completedTo"
        legend="Completed on or before"
        hint="For example, 30 6 2026"
        error={errors.completedTo}
        values={to}
      />
    </>
  );
}
