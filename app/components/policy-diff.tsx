import type { DiffRow } from "~/attestation/policy-diff.server";

/** Insertions and deletions marked with <ins> and <del>, words for screen readers, and underline or strike-through: never colour alone. */
export function PolicyDiff({ rows }: { rows: DiffRow[] }) {
  return (
    <div className="app-diff">
      {rows.map((row, i) => {
        if (row.kind === "gap") {
          return (
            <p key={i} className="govuk-body-s app-diff__gap">
              {row.lines} unchanged {row.lines === 1 ? "line" : "lines"}
            </p>
          );
        }
        if (row.kind === "context") {
          return (
            <p key={i} className="govuk-body app-diff__context">
              {row.text}
            </p>
          );
        }
        return (
          <p key={i} className="govuk-body app-diff__change">
            {row.parts.map((part, j) =>
              part.change === "added" ? (
                <ins key={j} className="app-diff__ins">
                  <span className="govuk-visually-hidden">[added: </span>
                  {part.text}
                  <span className="govuk-visually-hidden">]</span>
                </ins>
              ) : part.change === "removed" ? (
                <del key={j} className="app-diff__del">
                  <span className="govuk-visually-hidden">[removed: </span>
                  {part.text}
                  <span className="govuk-visually-hidden">]</span>
                </del>
              ) : (
                <span key={j}>{part.text}</span>
              ),
            )}
          </p>
        );
      })}
    </div>
  );
}
