import type { InputHTMLAttributes, ReactNode, Ref } from "react";
import { describedBy, ErrorMessage, formGroupClass } from "./error-message";
import { Hint } from "./hint";

type Item = Omit<InputHTMLAttributes<HTMLInputElement>, "type"> & {
  name: string;
  label: ReactNode;
  /** An item that is its own field (a declaration to tick) has its own error and its own id. */
  error?: string;
  ref?: Ref<HTMLInputElement>;
};

/**
 * GOV.UK checkboxes in a fieldset. Items either share one name (a filter: `status=a&status=b`; the first
 * item's id is the field's, so the error summary links to it) or are each their own field (with `id` and
 * `error` of their own, so each has its own message and summary link).
 */
export function Checkboxes({
  name,
  legend,
  legendSize = "m",
  hint,
  error,
  small = false,
  items,
}: {
  /** The field's name, the id of the first item and of the hint and error. */
  name: string;
  legend: ReactNode;
  legendSize?: "s" | "m";
  hint?: ReactNode;
  error?: string;
  small?: boolean;
  items: Item[];
}) {
  const errors = [
    ...(error ? [{ id: name, error }] : []),
    ...items.filter((i) => i.error).map((i) => ({ id: i.id ?? i.name, error: i.error })),
  ];
  return (
    <div className={formGroupClass(errors.length ? "error" : undefined)}>
      <fieldset className="govuk-fieldset" aria-describedby={describedBy(name, { hint, error })}>
        <legend className={`govuk-fieldset__legend govuk-fieldset__legend--${legendSize}`}>{legend}</legend>
        <Hint id={name} hint={hint} />
        {errors.map((e) => (
          <ErrorMessage key={e.id} id={e.id} error={e.error} />
        ))}
        <div className={`govuk-checkboxes${small ? " govuk-checkboxes--small" : ""}`} data-module="govuk-checkboxes">
          {items.map(({ label, error: itemError, id, ...input }, index) => {
            const itemId = id ?? (index === 0 ? name : `${name}-${String(input.value ?? index)}`);
            return (
              <div className="govuk-checkboxes__item" key={itemId}>
                <input
                  className="govuk-checkboxes__input"
                  id={itemId}
                  type="checkbox"
                  aria-describedby={itemError ? `${itemId}-error` : undefined}
                  {...input}
                />
                <label className="govuk-label govuk-checkboxes__label" htmlFor={itemId}>
                  {label}
                </label>
              </div>
            );
          })}
        </div>
      </fieldset>
    </div>
  );
}
