import type { ReactNode } from "react";

/** The GOV.UK layout for a page of reading or a form: one column, two thirds of the width, so lines stay short. */
export function TwoThirds({ children }: { children: ReactNode }) {
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">{children}</div>
    </div>
  );
}
