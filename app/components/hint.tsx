import type { ReactNode } from "react";

/** A GOV.UK hint under a label or legend; `id` is the field's, so the hint's id is `${id}-hint`. */
export function Hint({ id, hint, className = "" }: { id: string; hint?: ReactNode; className?: string }) {
  if (!hint) return null;
  return (
    <div id={`${id}-hint`} className={`govuk-hint${className ? ` ${className}` : ""}`}>
      {hint}
    </div>
  );
}
