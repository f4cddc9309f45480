import type { InputHTMLAttributes, ReactNode } from "react";
import { describedBy } from "./error-message";
import { Field } from "./field";

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, "type"> & {
  name: string;
  label: ReactNode;
  labelClass?: string;
  hint?: ReactNode;
  error?: string;
};

/** GOV.UK file upload with label, hint and error message. */
export function FileUpload({ name, label, labelClass, hint, error, id, ...input }: Props) {
  const fieldId = id ?? name;
  return (
    <Field id={fieldId} label={label} labelClass={labelClass} hint={hint} error={error}>
      <input
        id={fieldId}
        name={name}
        type="file"
        className={`govuk-file-upload${error ? " govuk-file-upload--error" : ""}`}
        aria-describedby={describedBy(fieldId, { hint, error })}
        {...input}
      />
    </Field>
  );
}
