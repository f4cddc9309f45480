import type { ButtonHTMLAttributes } from "react";

type Props = ButtonHTMLAttributes<HTMLButtonElement> & {
  secondary?: boolean;
  warning?: boolean;
  /** Ignore a second click while the first submission is on its way (GOV.UK's prevent double click). */
  once?: boolean;
};

/** A GOV.UK button; a submit button unless `type` says otherwise. */
export function Button({ secondary, warning, once = false, className, type = "submit", ...button }: Props) {
  const variant = secondary ? " govuk-button--secondary" : warning ? " govuk-button--warning" : "";
  return (
    <button
      type={type}
      className={`govuk-button${variant}${className ? ` ${className}` : ""}`}
      data-module="govuk-button"
      data-prevent-double-click={once ? "true" : undefined}
      {...button}
    />
  );
}
