import type { UseFormRegister } from "react-hook-form";

type Item = { name: string; label: string; error?: string };

/** GOV.UK checkboxes in a fieldset, each its own field (so each has its own error and summary link). */
export function Checkboxes({
  legend,
  hint,
  items,
  register,
}: {
  legend: string;
  hint?: string;
  items: Item[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  register: UseFormRegister<any>;
}) {
  const errors = items.filter((i) => i.error);
  return (
    <div className={`govuk-form-group${errors.length ? " govuk-form-group--error" : ""}`}>
      <fieldset className="govuk-fieldset" aria-describedby={hint ? "declarations-hint" : undefined}>
        <legend className="govuk-fieldset__legend govuk-fieldset__legend--m">{legend}</legend>
        {hint ? (
          <div id="declarations-hint" className="govuk-hint">
            {hint}
          </div>
        ) : null}
        {errors.map((item) => (
          <p key={item.name} id={`${item.name}-error`} className="govuk-error-message">
            <span className="govuk-visually-hidden">Error:</span> {item.error}
          </p>
        ))}
        <div className="govuk-checkboxes" data-module="govuk-checkboxes">
          {items.map((item) => (
            <div className="govuk-checkboxes__item" key={item.name}>
              <input
                className="govuk-checkboxes__input"
                id={item.name}
                type="checkbox"
                value="yes"
                aria-describedby={item.error ? `${item.name}-error` : undefined}
                {...register(item.name)}
              />
              <label className="govuk-label govuk-checkboxes__label" htmlFor={item.name}>
                {item.label}
              </label>
            </div>
          ))}
        </div>
      </fieldset>
    </div>
  );
}
