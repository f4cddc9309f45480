import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { Select } from "~/components/select";
import { TwoThirds } from "~/components/two-thirds";
import { WarningText } from "~/components/warning-text";
import { closeTeamSchema } from "~/people/forms";
import { closeTeam, openTeams, teamForAdmin } from "~/people/teams.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `Close ${data?.team.name ?? "team"} – Manage teams – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.teamId)) throw notFound();
  const team = await teamForAdmin(context.db, admin, params.teamId);
  if (!team) throw notFound();
  if (team.closedOn) throw redirect(`/admin/teams/${team.id}`);
  const others = (await openTeams(context.db, admin.organisationId)).filter((t) => t.id !== team.id);
  return json({ team: { id: team.id, name: team.name, members: team.members }, others });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.teamId)) throw notFound();
  const parsed = closeTeamSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error) }, { status: 400 });
  const closed = await closeTeam(context.db, admin, params.teamId, parsed.data, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!closed) throw notFound();
  if (!closed.ok) return json({ errors: closed.errors }, { status: 400 });
  return redirect(`/admin/teams?closed=${encodeURIComponent(closed.name)}`);
}

export default function CloseTeam() {
  const { team, others } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors ?? {};
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">Manage teams</span>
      <h1 className="govuk-heading-l">Close {team.name}</h1>
      <WarningText>
        A closed team cannot be opened again. Its champions stop being champions of it. Its history stays in reports of
        earlier dates.
      </WarningText>
      <Form method="post">
        <CsrfInput />
        {team.members > 0 ? (
          others.length > 0 ? (
            <Select
              name="moveTo"
              label={`Move the ${team.members === 1 ? "1 person" : `${team.members} people`} in ${team.name} to`}
              hint="From today; their time in this team stays in its history"
              options={others.map((t) => ({ value: t.id, label: t.name }))}
              emptyLabel="Choose a team"
              error={errors.moveTo}
            />
          ) : (
            <p className="govuk-body">
              {team.name} still has people in it and there is no other open team to move them to.{" "}
              <Link to="/admin/teams/new">Create a team</Link> first.
            </p>
          )
        ) : (
          <p className="govuk-body">Nobody is in {team.name} now.</p>
        )}
        <div className="govuk-button-group">
          {team.members === 0 || others.length > 0 ? (
            <Button warning once>
              Close team
            </Button>
          ) : null}
          <Link className="govuk-link" to={`/admin/teams/${team.id}`}>
            Cancel
          </Link>
        </div>
      </Form>
    </TwoThirds>
  );
}
