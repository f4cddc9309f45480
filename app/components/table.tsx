import type { ReactNode } from "react";

export type Column<Row> = {
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  /** Right-aligned, for counts and percentages. */
  numeric?: boolean;
  /** This column's cell names the row (a <th scope="row">), so a screen reader says it with every other cell. */
  rowHeader?: boolean;
};

/** A GOV.UK table with a caption and column headers (and optionally row headers). */
export function Table<Row>({
  caption,
  captionClass = "govuk-table__caption--m",
  columns,
  rows,
  rowKey,
  id,
}: {
  caption: ReactNode;
  captionClass?: string;
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row, index: number) => string;
  id?: string;
}) {
  return (
    <table className="govuk-table" id={id}>
      <caption className={`govuk-table__caption ${captionClass}`}>{caption}</caption>
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
  );
}
