import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { z } from "zod";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput, IntentForm } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { NotificationBanner } from "~/components/notification-banner";
import { SummaryList } from "~/components/summary-list";
import { Table } from "~/components/table";
import { TextInput } from "~/components/text-input";
import { TwoThirds } from "~/components/two-thirds";
import { useValidatedForm } from "~/components/validated-form";
import { formatDate } from "~/lib/dates";
import { teamNameSchema } from "~/people/forms";
import { removeChampion, renameTeam, teamForAdmin } from "~/people/teams.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.team.name ?? "Team"} – Manage teams – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.teamId)) throw notFound();
  const team = await teamForAdmin(context.db, admin, params.teamId);
  if (!team) throw notFound();
  return json({ team });
}

const removeSchema = z.object({ personId: z.string().uuid() });

export async function action({ request, params, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.teamId)) throw notFound();
  const form = Object.fromEntries(await request.formData());
  const info = { ...requestInfo(context), now: context.now() };
  if (form.intent === "remove-champion") {
    const parsed = removeSchema.safeParse(form);
    if (!parsed.success) throw notFound();
    const removed = await removeChampion(context.db, admin, parsed.data.personId, params.teamId, info);
    if (!removed) throw notFound();
    return redirect(`/admin/teams/${params.teamId}?done=champion-removed`);
  }
  const value = typeof form.name === "string" ? form.name : "";
  const parsed = teamNameSchema.safeParse(form);
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error), value }, { status: 400 });
  const renamed = await renameTeam(context.db, admin, params.teamId, parsed.data, info);
  if (!renamed) throw notFound();
  if (!renamed.ok) return json({ errors: renamed.errors, value }, { status: 400 });
  return redirect(`/admin/teams/${params.teamId}?done=renamed`);
}

const DONE: Record<string, string> = {
  created: "The team has been created.",
  renamed: "The team has been renamed.",
  "champion-removed": "The champion has been removed from this team.",
};

export default function AdminTeam() {
  const { team } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const done = DONE[new URLSearchParams(useLocation().search).get("done") ?? ""];
  const { register, onSubmit, errors } = useValidatedForm(teamNameSchema, actionData?.errors);
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      {done && !actionData ? <NotificationBanner id="done" success heading={done} /> : null}
      <span className="govuk-caption-l">Manage teams</span>
      <h1 className="govuk-heading-l">{team.name}</h1>
      <SummaryList
        rows={[
          { key: "People in it now", value: team.members },
          { key: "Status", value: team.closedOn ? `Closed on ${formatDate(team.closedOn)}` : "Open" },
        ]}
      />
      {team.closedOn ? (
        <p className="govuk-body">
          A closed team keeps its history: reports as at a date before it closed still show who was in it.
        </p>
      ) : (
        <>
          <h2 className="govuk-heading-m">Champions</h2>
          {team.champions.length > 0 ? (
            <Table
              caption="Champions of this team"
              captionClass="govuk-visually-hidden"
              rows={team.champions}
              rowKey={(c) => c.id}
              columns={[
                {
                  header: "Name",
                  rowHeader: true,
                  cell: (c) => (
                    <Link className="govuk-link" to={`/admin/people/${c.id}`}>
                      {c.name}
                    </Link>
                  ),
                },
                { header: "Employee number", cell: (c) => c.employeeNumber },
                {
                  header: <span className="govuk-visually-hidden">Action</span>,
                  cell: (c) => (
                    <IntentForm intent="remove-champion" hidden={{ personId: c.id }}>
                      <Button secondary once className="govuk-!-margin-bottom-0">
                        Remove<span className="govuk-visually-hidden"> {c.name} as champion</span>
                      </Button>
                    </IntentForm>
                  ),
                },
              ]}
            />
          ) : (
            <p className="govuk-body">This team has no champion.</p>
          )}
          <p className="govuk-body">
            To name a champion, <Link to="/admin/people">find the person</Link> and name them from their page.
          </p>
          <Form method="post" onSubmit={onSubmit} noValidate>
            <CsrfInput />
            <TextInput
              {...register("name")}
              label={<span className="govuk-label--m">Rename this team</span>}
              error={errors.name}
              defaultValue={actionData?.value ?? team.name}
              autoComplete="off"
              spellCheck={false}
            />
            <Button secondary once>
              Save name
            </Button>
          </Form>
          <h2 className="govuk-heading-m">Close this team</h2>
          <p className="govuk-body">Nobody can join a closed team. Anyone still in it moves to a team you choose.</p>
          <Link
            className="govuk-button govuk-button--warning"
            to={`/admin/teams/${team.id}/close`}
            role="button"
            draggable={false}
            data-module="govuk-button"
          >
            Close {team.name}
          </Link>
        </>
      )}
      <p className="govuk-body">
        <Link className="govuk-link" to="/admin/teams">
          Back to all teams
        </Link>
      </p>
    </TwoThirds>
  );
}
