import { Link } from "@remix-run/react";
import type { ReactNode } from "react";

/** The GOV.UK back link, to the page this one belongs to. */
export function BackLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link className="govuk-back-link" to={to}>
      {children}
    </Link>
  );
}
