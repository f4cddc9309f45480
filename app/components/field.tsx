import type { ReactNode } from "react";
import { ErrorMessage, formGroupClass } from "./error-message";
import { Hint } from "./hint";

/** A GOV.UK form group for one control: its label, hint and error message above it, wired by the control's id. */
export function Field({
  id,
  label,
  labelClass,
  hint,
  error,
  children,
}: {
  id: string;
  label: ReactNode;
  labelClass?: string;
  hint?: ReactNode;
  error?: string;
  children: ReactNode;
}) {
  return (
    <div className={formGroupClass(error)}>
      <label className={`govuk-label${labelClass ? ` ${labelClass}` : ""}`} htmlFor={id}>
        {label}
      </label>
      <Hint id={id} hint={hint} />
      <ErrorMessage id={id} error={error} />
      {children}
    </div>
  );
}
