import type { ReactNode } from "react";

/** The GOV.UK confirmation panel: the outcome of a finished task, with its reference under the title. */
export function Panel({
  title,
  headingLevel = 1,
  role,
  compact = false,
  children,
}: {
  title: ReactNode;
  /** 1 when the panel is the page's heading, 2 when the page has its own. */
  headingLevel?: 1 | 2;
  role?: "status";
  /** Smaller type, for a panel whose body holds a long value such as a link. */
  compact?: boolean;
  children?: ReactNode;
}) {
  const Heading = headingLevel === 1 ? "h1" : "h2";
  return (
    <div className="govuk-panel govuk-panel--confirmation" role={role}>
      <Heading className={`govuk-panel__title${compact ? " govuk-!-font-size-36" : ""}`}>{title}</Heading>
      {children ? <div className={`govuk-panel__body${compact ? " govuk-!-font-size-19" : ""}`}>{children}</div> : null}
    </div>
  );
}
