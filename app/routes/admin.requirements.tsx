import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { requirementSchema, trackingSettingsSchema } from "~/tracking/forms";
import {
  changeRequirement,
  changeTrackingSettings,
  listRequirements,
  trackingSettings,
} from "~/tracking/requirements.server";
import { NotificationBanner } from "~/components/notification-banner";

export const meta: MetaFunction = () => [{ title: "Requirements and reminders – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const [requirements, settings] = await Promise.all([
    listRequirements(context.db, admin.organisationId),
    trackingSettings(context.db, admin.organisationId),
  ]);
  return { requirements, settings };
}

type ActionData = { errors: FieldErrors; target: string; values: Record<string, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const info = requestInfo(context);
  if (form.intent === "settings") {
    const parsed = trackingSettingsSchema.safeParse(form);
    if (!parsed.success)
      return json({ errors: fieldErrors(parsed.error), target: "settings", values: form } satisfies ActionData, {
        status: 400,
      });
    await changeTrackingSettings(context.db, admin, parsed.data, info);
    return redirect("/admin/requirements?saved=settings");
  }
  const parsed = requirementSchema.safeParse(form);
  if (!parsed.success)
    return json(
      { errors: fieldErrors(parsed.error), target: form.requirementId ?? "", values: form } satisfies ActionData,
      { status: 400 },
    );
  const changed = await changeRequirement(context.db, admin, parsed.data, info);
  if (!changed) throw notFound();
  return redirect(`/admin/requirements?saved=${changed.id}`);
}

function NumberField({
  id,
  name,
  label,
  hint,
  suffix,
  value,
  error,
}: {
  id: string;
  name: string;
  label: string;
  hint?: string;
  suffix: string;
  value: string | number;
  error?: string;
}) {
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <label className="govuk-label" htmlFor={id}>
        {label}
      </label>
      {hint ? (
        <div className="govuk-hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <p className="govuk-error-message" id={`${id}-error`}>
          <span className="govuk-visually-hidden">Error:</span> {error}
        </p>
      ) : null}
      <div className="govuk-input__wrapper">
        <input
          className={`govuk-input govuk-input--width-3${error ? " govuk-input--error" : ""}`}
          id={id}
          name={name}
          type="text"
          inputMode="numeric"
          spellCheck={false}
          defaultValue={value}
          aria-describedby={
            [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined
          }
        />
        <div className="govuk-input__suffix" aria-hidden="true">
          {suffix}
        </div>
      </div>
    </div>
  );
}

export default function Requirements() {
  const { requirements, settings } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const saved = new URLSearchParams(useLocation().search).get("saved");
  const errorsFor = (target: string) => (actionData?.target === target ? actionData.errors : {});
  const valueOf = (target: string, field: string, fallback: number) =>
    actionData?.target === target ? (actionData.values[field] ?? "") : fallback;
  const idsFor = (target: string): Record<string, string> => ({
    dueWithinDays: `${target}-dueWithinDays`,
    renewalMonths: `${target}-renewalMonths`,
    dueSoonDays: "dueSoonDays",
    escalationOverdueDays: "escalationOverdueDays",
    requirementId: `${target}-dueWithinDays`,
  });
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        {actionData ? <ErrorSummary errors={actionData.errors} fieldIds={idsFor(actionData.target)} /> : null}
        {saved ? <NotificationBanner id="saved" success heading="Your change has been saved." /> : null}
        <h1 className="govuk-heading-l">Requirements and reminders</h1>
        <p className="govuk-body">
          What everyone in your council must complete, how long a new starter has to do it, and how often it must be
          renewed. A new version of the code of conduct that requires everyone to sign again gives everyone the same
          number of days from the day it takes effect.
        </p>
        <p className="govuk-inset-text">A change applies to everyone at once, and to reports of past dates too.</p>
        {requirements.map((r) => {
          const errors = errorsFor(r.id);
          return (
            <Form method="post" key={r.id} className="govuk-!-margin-bottom-8">
              <CsrfInput />
              <input type="hidden" name="requirementId" value={r.id} />
              <fieldset className="govuk-fieldset">
                <legend className="govuk-fieldset__legend govuk-fieldset__legend--m">
                  {r.kind === "policy" ? `Sign the ${r.title.toLowerCase()}` : r.title}
                </legend>
                <NumberField
                  id={`${r.id}-dueWithinDays`}
                  name="dueWithinDays"
                  label="Days to complete it in"
                  hint="From the start date, or from the day it began to apply"
                  suffix="days"
                  value={valueOf(r.id, "dueWithinDays", r.dueWithinDays)}
                  error={errors.dueWithinDays ?? errors.requirementId}
                />
                <NumberField
                  id={`${r.id}-renewalMonths`}
                  name="renewalMonths"
                  label="Renew every"
                  suffix="months"
                  value={valueOf(r.id, "renewalMonths", r.renewalMonths)}
                  error={errors.renewalMonths}
                />
              </fieldset>
              <button
                type="submit"
                className="govuk-button govuk-button--secondary"
                data-module="govuk-button"
                data-prevent-double-click="true"
              >
                Save<span className="govuk-visually-hidden"> {r.title}</span>
              </button>
            </Form>
          );
        })}
        <Form method="post">
          <CsrfInput />
          <input type="hidden" name="intent" value="settings" />
          <fieldset className="govuk-fieldset">
            <legend className="govuk-fieldset__legend govuk-fieldset__legend--m">Reminders</legend>
            <NumberField
              id="dueSoonDays"
              name="dueSoonDays"
              label="Count a requirement as due soon"
              hint="Days before its due date; people get a reminder from then"
              suffix="days"
              value={valueOf("settings", "dueSoonDays", settings.dueSoonDays)}
              error={errorsFor("settings").dueSoonDays}
            />
            <NumberField
              id="escalationOverdueDays"
              name="escalationOverdueDays"
              label="Tell champions each week about people overdue by more than"
              suffix="days"
              value={valueOf("settings", "escalationOverdueDays", settings.escalationOverdueDays)}
              error={errorsFor("settings").escalationOverdueDays}
            />
          </fieldset>
          <button
            type="submit"
            className="govuk-button govuk-button--secondary"
            data-module="govuk-button"
            data-prevent-double-click="true"
          >
            Save reminder settings
          </button>
        </Form>
      </div>
    </div>
  );
}
