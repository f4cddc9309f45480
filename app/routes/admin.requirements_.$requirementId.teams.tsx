import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { BackLink } from "~/components/back-link";
import { Button } from "~/components/button";
import { Checkboxes } from "~/components/checkboxes";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import type { FieldErrors } from "~/components/form-errors";
import { Radios } from "~/components/radios";
import { TwoThirds } from "~/components/two-thirds";
import { aimRequirement, requirementAimForm } from "~/tracking/requirements.server";

export const meta: MetaFunction = () => [{ title: "Who must do it – Requirements – Social media code of conduct" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.requirementId)) throw notFound();
  const form = await requirementAimForm(context.db, admin.organisationId, params.requirementId);
  if (!form) throw notFound();
  return json(form);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.requirementId)) throw notFound();
  const form = await request.formData();
  const who = form.get("who");
  if (who !== "everyone" && who !== "teams")
    return json({ errors: { who: "Choose who must do it" } as FieldErrors }, { status: 400 });
  const teamIds = form.getAll("teamIds").filter((v): v is string => typeof v === "string");
  if (who === "teams" && !teamIds.every(isUuid))
    return json({ errors: { teamIds: "Choose teams of your council from the list" } as FieldErrors }, { status: 400 });
  const result = await aimRequirement(
    context.db,
    admin,
    { requirementId: params.requirementId, teamIds: who === "everyone" ? null : teamIds },
    { ...requestInfo(context), now: context.now() },
  );
  if (!result) throw notFound();
  if (!result.ok) return json({ errors: result.errors as FieldErrors }, { status: result.status });
  return redirect(`/admin/requirements?saved=${params.requirementId}`);
}

export default function RequirementTeams() {
  const { requirement, teams, teamIds } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors ?? {};
  const chosen = new Set(teamIds ?? []);
  return (
    <TwoThirds>
      <BackLink to="/admin/requirements">Requirements and reminders</BackLink>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">{requirement.title}</span>
      <h1 className="govuk-heading-l">Who must do it</h1>
      <p className="govuk-body">
        A requirement can apply to everyone in your council or only to people in chosen teams. Someone who moves into
        one of those teams has the usual number of days from the day they move; someone who moves out no longer has to
        do it. The change applies from today: reports of earlier days keep the setting of their day.
      </p>
      <Form method="post" noValidate>
        <CsrfInput />
        <Radios
          name="who"
          legend="Who must do it"
          error={errors.who}
          defaultValue={teamIds ? "teams" : "everyone"}
          options={[
            { value: "everyone", label: "Everyone in the council" },
            { value: "teams", label: "Only people in the teams chosen below" },
          ]}
        />
        <Checkboxes
          name="teamIds"
          legend="Teams"
          legendSize="s"
          hint="Used only when you choose “Only people in the teams chosen below”"
          error={errors.teamIds}
          small
          items={teams.map((t) => ({
            name: "teamIds",
            value: t.id,
            label: t.name,
            defaultChecked: chosen.has(t.id),
          }))}
        />
        <Button once>Save who must do it</Button>
      </Form>
    </TwoThirds>
  );
}
