import type { ReactNode } from "react";

/** A GOV.UK summary list: key and value pairs, read as a description list. */
export function SummaryList({
  rows,
  noBorder = false,
}: {
  rows: { key: ReactNode; value: ReactNode }[];
  noBorder?: boolean;
}) {
  return (
    <dl className={`govuk-summary-list${noBorder ? " govuk-summary-list--no-border" : ""}`}>
      {rows.map((row, i) => (
        <div key={i} className="govuk-summary-list__row">
          <dt className="govuk-summary-list__key">{row.key}</dt>
          <dd className="govuk-summary-list__value">{row.value}</dd>
        </div>
      ))}
    </dl>
  );
}
