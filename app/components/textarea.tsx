import { forwardRef, type ReactNode, type TextareaHTMLAttributes } from "react";
import { describedBy } from "./error-message";
import { Field } from "./field";

type Props = TextareaHTMLAttributes<HTMLTextAreaElement> & {
  name: string;
  label: ReactNode;
  labelClass?: string;
  hint?: ReactNode;
  error?: string;
};

/** GOV.UK textarea with label, hint and error message wired to aria-describedby. */
export const Textarea = forwardRef<HTMLTextAreaElement, Props>(function Textarea(
  { name, label, labelClass, hint, error, id, rows = 4, ...textarea },
  ref,
) {
  const fieldId = id ?? name;
  return (
    <Field id={fieldId} label={label} labelClass={labelClass} hint={hint} error={error}>
      <textarea
        ref={ref}
        id={fieldId}
        name={name}
        rows={rows}
        className={`govuk-textarea${error ? " govuk-textarea--error" : ""}`}
        aria-describedby={describedBy(fieldId, { hint, error })}
        {...textarea}
      />
    </Field>
  );
});
