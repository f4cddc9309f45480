import { forwardRef, type InputHTMLAttributes, type ReactNode } from "react";
import { describedBy } from "./error-message";
import { Field } from "./field";

type Props = InputHTMLAttributes<HTMLInputElement> & {
  name: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string;
  /** A unit shown after the field, like "days" (the GOV.UK input suffix). */
  suffix?: string;
};

/** GOV.UK text input with label, hint and error message wired to aria-describedby. */
export const TextInput = forwardRef<HTMLInputElement, Props>(function TextInput(
  { name, label, hint, error, suffix, className, id, ...input },
  ref,
) {
  const inputId = id ?? name;
  const field = (
    <input
      ref={ref}
      id={inputId}
      name={name}
      className={`govuk-input${error ? " govuk-input--error" : ""}${className ? ` ${className}` : ""}`}
      aria-describedby={describedBy(inputId, { hint, error })}
      {...input}
    />
  );
  return (
    <Field id={inputId} label={label} hint={hint} error={error}>
      {suffix ? (
        <div className="govuk-input__wrapper">
          {field}
          <div className="govuk-input__suffix" aria-hidden="true">
            {suffix}
          </div>
        </div>
      ) : (
        field
      )}
    </Field>
  );
});
