/** The GOV.UK error message under a field's label or legend; its id is what the field's aria-describedby names. */
export function ErrorMessage({ id, error }: { id: string; error?: string }) {
  if (!error) return null;
  return (
    <p id={`${id}-error`} className="govuk-error-message">
      <span className="govuk-visually-hidden">Error:</span> {error}
    </p>
  );
}

/** The ids a field's aria-describedby lists: its hint and its error message, when it has them. */
export function describedBy(id: string, { hint, error }: { hint?: unknown; error?: string }): string | undefined {
  return [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
}

/** The form group around a field: marked when the field has an error. */
export function formGroupClass(error: string | undefined, extra = ""): string {
  return `govuk-form-group${error ? " govuk-form-group--error" : ""}${extra ? ` ${extra}` : ""}`;
}
