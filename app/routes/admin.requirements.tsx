import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput, IntentForm } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { Radios } from "~/components/radios";
import { REMINDER_RHYTHM_LABELS, REMINDER_RHYTHMS, requirementSchema, trackingSettingsSchema } from "~/tracking/forms";
import {
  changeRequirement,
  changeTrackingSettings,
  listRequirements,
  requirementAims,
  trackingSettings,
} from "~/tracking/requirements.server";
import { NotificationBanner } from "~/components/notification-banner";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction = () => [{ title: "Requirements and reminders – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const [requirements, settings, aims] = await Promise.all([
    listRequirements(context.db, admin.organisationId),
    trackingSettings(context.db, admin.organisationId),
    requirementAims(context.db, admin.organisationId),
  ]);
  return json({ requirements, settings, aimedAt: Object.fromEntries(aims) });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const info = requestInfo(context);
  if (form.intent === "settings") {
    const parsed = trackingSettingsSchema.safeParse(form);
    if (!parsed.success)
      return json(
        { errors: fieldErrors(parsed.error), target: "settings", values: form },
        {
          status: 400,
        },
      );
    await changeTrackingSettings(context.db, admin, parsed.data, info);
    return redirect("/admin/requirements?saved=settings");
  }
  const parsed = requirementSchema.safeParse(form);
  if (!parsed.success)
    return json({ errors: fieldErrors(parsed.error), target: form.requirementId ?? "", values: form }, { status: 400 });
  const changed = await changeRequirement(context.db, admin, parsed.data, { ...info, now: context.now() });
  if (!changed) throw notFound();
  return redirect(`/admin/requirements?saved=${changed.id}`);
}

function NumberField(props: {
  id: string;
  name: string;
  label: string;
  hint?: string;
  suffix: string;
  value: string | number;
  error?: string;
}) {
  const { value, ...field } = props;
  return (
    <TextInput
      {...field}
      className="govuk-input--width-3"
      type="text"
      inputMode="numeric"
      spellCheck={false}
      defaultValue={value}
    />
  );
}

export default function Requirements() {
  const { requirements, settings, aimedAt } = useLoaderData<typeof loader>();
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
    reminderRhythm: "reminderRhythm",
    requirementId: `${target}-dueWithinDays`,
  });
  return (
    <TwoThirds>
      {actionData ? <ErrorSummary errors={actionData.errors} fieldIds={idsFor(actionData.target)} /> : null}
      {saved ? <NotificationBanner id="saved" success heading="Your change has been saved." /> : null}
      <h1 className="govuk-heading-l">Requirements and reminders</h1>
      <p className="govuk-body">
        What everyone in your council must complete, how long a new starter has to do it, and how often it must be
        renewed. A new version of the code of conduct that requires everyone to sign again gives everyone the same
        number of days from the day it takes effect.
      </p>
      <p className="govuk-inset-text">
        A change applies from today. Reports as at earlier days keep the settings of their day.
      </p>
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
            <p className="govuk-body">
              Who must do it: {aimedAt[r.id] ? `people in ${aimedAt[r.id]!.length} chosen teams` : "everyone"}.{" "}
              <Link className="govuk-link" to={`/admin/requirements/${r.id}/teams`}>
                Change who must do it<span className="govuk-visually-hidden"> for {r.title}</span>
              </Link>
            </p>
            <Button secondary once>
              Save<span className="govuk-visually-hidden"> {r.title}</span>
            </Button>
          </Form>
        );
      })}
      <IntentForm intent="settings">
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
        <Radios
          name="reminderRhythm"
          legend="How often to remind someone by e-mail"
          hint="Reminders go to each person with something due soon, overdue or expired."
          defaultValue={
            actionData?.target === "settings" ? (actionData.values.reminderRhythm ?? "") : settings.reminderRhythm
          }
          error={errorsFor("settings").reminderRhythm}
          options={REMINDER_RHYTHMS.map((value) => ({ value, ...REMINDER_RHYTHM_LABELS[value] }))}
        />
        <Button secondary once>
          Save reminder settings
        </Button>
      </IntentForm>
    </TwoThirds>
  );
}
