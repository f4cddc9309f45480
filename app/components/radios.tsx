import { forwardRef, Fragment, type InputHTMLAttributes, type ReactNode } from "react";
import { describedBy, ErrorMessage, formGroupClass } from "./error-message";
import { Hint } from "./hint";

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, "type" | "defaultValue"> & {
  name: string;
  legend: ReactNode;
  legendIsPageHeading?: boolean;
  hint?: ReactNode;
  error?: string;
  /**
   * `conditional`: what an option reveals when chosen (GOV.UK conditional reveal). Without JavaScript it is always
   * shown, so a form still works.
   */
  options: readonly { value: string; label: string; hint?: string; conditional?: ReactNode }[];
  /** The option ticked when the page opens (a form without react-hook-form). */
  defaultValue?: string;
};

/** GOV.UK radios in a fieldset; the first radio's id is the field's id so the error summary can link to it. */
export const Radios = forwardRef<HTMLInputElement, Props>(function Radios(
  { name, legend, legendIsPageHeading, hint, error, options, defaultValue, ...input },
  ref,
) {
  return (
    <div className={formGroupClass(error)}>
      <fieldset className="govuk-fieldset" aria-describedby={describedBy(name, { hint, error })}>
        <legend
          className={`govuk-fieldset__legend ${legendIsPageHeading ? "govuk-fieldset__legend--l" : "govuk-fieldset__legend--m"}`}
        >
          {legendIsPageHeading ? <h1 className="govuk-fieldset__heading">{legend}</h1> : legend}
        </legend>
        <Hint id={name} hint={hint} />
        <ErrorMessage id={name} error={error} />
        <div className="govuk-radios" data-module="govuk-radios">
          {options.map((option, index) => {
            const id = index === 0 ? name : `${name}-${index + 1}`;
            const conditionalId = option.conditional ? `conditional-${id}` : undefined;
            return (
              <Fragment key={option.value}>
                <div className="govuk-radios__item">
                  <input
                    ref={ref}
                    className="govuk-radios__input"
                    id={id}
                    name={name}
                    type="radio"
                    value={option.value}
                    defaultChecked={defaultValue === undefined ? undefined : defaultValue === option.value}
                    aria-describedby={option.hint ? `${id}-hint` : undefined}
                    data-aria-controls={conditionalId}
                    {...input}
                  />
                  <label className="govuk-label govuk-radios__label" htmlFor={id}>
                    {option.label}
                  </label>
                  <Hint id={id} hint={option.hint} className="govuk-radios__hint" />
                </div>
                {option.conditional ? (
                  <div
                    className={`govuk-radios__conditional${defaultValue === option.value ? "" : " govuk-radios__conditional--hidden"}`}
                    id={conditionalId}
                  >
                    {option.conditional}
                  </div>
                ) : null}
              </Fragment>
            );
          })}
        </div>
      </fieldset>
    </div>
  );
});
