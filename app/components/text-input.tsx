import { forwardRef, type InputHTMLAttributes } from "react";

type Props = InputHTMLAttributes<HTMLInputElement> & {
  name: string;
  label: string;
  hint?: string;
  error?: string;
  labelIsPageHeading?: boolean;
};

/** GOV.UK text input with label, hint and error message wired to aria-describedby. */
export const TextInput = forwardRef<HTMLInputElement, Props>(function TextInput(
  { name, label, hint, error, className, id, ...input },
  ref,
) {
  const inputId = id ?? name;
  const describedBy =
    [hint ? `${inputId}-hint` : null, error ? `${inputId}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <label className="govuk-label" htmlFor={inputId}>
        {label}
      </label>
      {hint ? (
        <div id={`${inputId}-hint`} className="govuk-hint">
          {hint}
        </div>
      ) : null}
      {error ? (
        <p id={`${inputId}-error`} className="govuk-error-message">
          <span className="govuk-visually-hidden">Error:</span> {error}
        </p>
      ) : null}
      <input
        ref={ref}
        id={inputId}
        name={name}
        className={`govuk-input${error ? " govuk-input--error" : ""}${className ? ` ${className}` : ""}`}
        aria-describedby={describedBy}
        {...input}
      />
    </div>
  );
});
