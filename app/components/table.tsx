import { useId, type ReactNode } from "react";

export type Column<Row> = {
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  /** Right-aligned, for counts and percentages. */
  numeric?: boolean;
  /** This column's cell names the row (a <th scope="row">), so a screen reader says it with every other cell. */
  rowHeader?: boolean;
};

/**
 * A GOV.UK table with a caption and column headers (and optionally row headers). On a screen too narrow for
 * it, the table scrolls sideways inside its own region rather than the page: the region is named by the
 * caption and can be focused, so people using a keyboard can scroll it too (WCAG 2.1.1 and 1.4.10).
 */
export function Table<Row>({
  caption,
  captionClass = "govuk-table__caption--m",
  columns,
  rows,
  rowKey,
  id,
  focusable = false,
}: {
  /** Say what the table holds; leave it out only where a heading right above says it. */
  caption?: ReactNode;
  captionClass?: string;
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row, index: number) => string;
  id?: string;
  /** The target of a link to `#id` (as pagination links are), so focus moves to it. */
  focusable?: boolean;
}) {
  const captionId = useId();
  return (
    <div
      className="app-table-container"
      role="region"
      aria-labelledby={caption ? captionId : undefined}
      aria-label={caption ? undefined : "Table"}
      tabIndex={0}
    >
      <table className="govuk-table" id={id} tabIndex={focusable ? -1 : undefined}>
        {caption ? (
          <caption id={captionId} className={`govuk-table__caption ${captionClass}`}>
            {caption}
          </caption>
        ) : null}
        <thead className="govuk-table__head">
          <tr className="govuk-table__row">
            {columns.map((column, i) => (
              <th
                key={i}
                scope="col"
                className={`govuk-table__header${column.numeric ? " govuk-table__header--numeric" : ""}`}
              >
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="govuk-table__body">
          {rows.map((row, r) => (
            <tr key={rowKey(row, r)} className="govuk-table__row">
              {columns.map((column, i) =>
                column.rowHeader ? (
                  <th
                    key={i}
                    scope="row"
                    className={`govuk-table__header${column.numeric ? " govuk-table__header--numeric" : ""}`}
                  >
                    {column.cell(row)}
                  </th>
                ) : (
                  <td key={i} className={`govuk-table__cell${column.numeric ? " govuk-table__cell--numeric" : ""}`}>
                    {column.cell(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
