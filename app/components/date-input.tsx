import type { ReactNode } from "react";
import { DATE_PARTS, datePartName, type DateParts } from "~/lib/date-fields";
import { describedBy, ErrorMessage, formGroupClass } from "./error-message";
import { Hint } from "./hint";

const PART_LABELS = { day: "Day", month: "Month", year: "Year" } as const;

/**
 * The GOV.UK date input: day, month and year fields in a fieldset (no browser date picker, whose format
 * follows the browser's locale, not the hint). The day field's id is the field's name, so the error summary
 * links to it; the server reads the three fields with optionalDateField.
 */
export function DateInput({
  name,
  legend,
  legendSize = "s",
  hint,
  error,
  values,
}: {
  name: string;
  legend: ReactNode;
  legendSize?: "s" | "m";
  hint?: ReactNode;
  error?: string;
  values: DateParts;
}) {
  return (
    <div className={formGroupClass(error)}>
      <fieldset className="govuk-fieldset" role="group" aria-describedby={describedBy(name, { hint, error })}>
        <legend className={`govuk-fieldset__legend govuk-fieldset__legend--${legendSize}`}>{legend}</legend>
        <Hint id={name} hint={hint} />
        <ErrorMessage id={name} error={error} />
        <div className="govuk-date-input">
          {DATE_PARTS.map((part) => {
            const id = part === "day" ? name : datePartName(name, part);
            return (
              <div className="govuk-date-input__item" key={part}>
                <div className="govuk-form-group">
                  <label className="govuk-label govuk-date-input__label" htmlFor={id}>
                    {PART_LABELS[part]}
                  </label>
                  <input
                    className={`govuk-input govuk-date-input__input govuk-input--width-${part === "year" ? 4 : 2}${error ? " govuk-input--error" : ""}`}
                    id={id}
                    name={datePartName(name, part)}
                    type="text"
                    inputMode="numeric"
                    autoComplete="off"
                    spellCheck={false}
                    defaultValue={values[part]}
                  />
                </div>
              </div>
            );
          })}
        </div>
      </fieldset>
    </div>
  );
}
