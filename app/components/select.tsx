import type { ReactNode, SelectHTMLAttributes } from "react";
import { describedBy } from "./error-message";
import { Field } from "./field";

type Props = SelectHTMLAttributes<HTMLSelectElement> & {
  name: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string;
  options: readonly { value: string; label: string }[];
  /** A first option with an empty value, like "All teams". */
  emptyLabel?: string;
};

/** GOV.UK select with label, hint and error message wired to aria-describedby. */
export function Select({ name, label, hint, error, options, emptyLabel, id, ...select }: Props) {
  const fieldId = id ?? name;
  return (
    <Field id={fieldId} label={label} hint={hint} error={error}>
      <select
        id={fieldId}
        name={name}
        className={`govuk-select${error ? " govuk-select--error" : ""}`}
        aria-describedby={describedBy(fieldId, { hint, error })}
        {...select}
      >
        {emptyLabel !== undefined ? <option value="">{emptyLabel}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}
