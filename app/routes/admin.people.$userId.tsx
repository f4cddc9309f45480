import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { z } from "zod";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { passwordLinkUrl } from "~/auth/password-links.server";
import { Button } from "~/components/button";
import { IntentForm } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { NotificationBanner } from "~/components/notification-banner";
import { Panel } from "~/components/panel";
import { Radios } from "~/components/radios";
import { Select } from "~/components/select";
import { SummaryList } from "~/components/summary-list";
import { adminTeamColumn } from "~/components/admin-team-column";
import { Table } from "~/components/table";
import { TextInput } from "~/components/text-input";
import { TwoThirds } from "~/components/two-thirds";
import { serviceUrlOf } from "~/http/request.server";
import { formatDate } from "~/lib/dates";
import { championSchema, emailSchema, moveSchema, ROLE_CHOICES, roleSchema } from "~/people/forms";
import {
  changeRole,
  issuePasswordLink,
  movePerson,
  personForAdmin,
  reactivatePerson,
  setPersonEmail,
} from "~/people/people.server";
import { nameChampion, openTeams, removeChampion } from "~/people/teams.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.person.name ?? "Person"} – People – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.userId)) throw notFound();
  const person = await personForAdmin(context.db, admin, params.userId);
  if (!person) throw notFound();
  const teams = await openTeams(context.db, admin.organisationId);
  return json({ person, teams, isSelf: person.id === admin.id });
}

const intentSchema = z.object({
  intent: z.enum(["move", "role", "email", "name-champion", "remove-champion", "password-link", "reactivate"]),
});

type ActionData = { target: string; errors: FieldErrors; link: { name: string; url: string } | null };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.userId)) throw notFound();
  const personId = params.userId;
  const form = Object.fromEntries(await request.formData());
  const intent = intentSchema.safeParse(form);
  if (!intent.success) throw notFound();
  const info = { ...requestInfo(context), now: context.now() };
  const db = context.db;
  const refused = (target: string, errors: FieldErrors) =>
    json<ActionData>({ target, errors, link: null }, { status: 400 });
  const done = (what: string) => redirect(`/admin/people/${personId}?done=${what}`);
  switch (intent.data.intent) {
    case "move": {
      const parsed = moveSchema.safeParse(form);
      if (!parsed.success) return refused("move", fieldErrors(parsed.error));
      const moved = await movePerson(db, admin, personId, parsed.data, info);
      if (!moved) throw notFound();
      return moved.ok ? done("moved") : refused("move", moved.errors);
    }
    case "role": {
      const parsed = roleSchema.safeParse(form);
      if (!parsed.success) return refused("role", fieldErrors(parsed.error));
      const changed = await changeRole(db, admin, personId, parsed.data, info);
      if (!changed) throw notFound();
      return changed.ok ? done("role") : refused("role", changed.errors);
    }
    case "email": {
      const parsed = emailSchema.safeParse(form);
      if (!parsed.success) return refused("email", fieldErrors(parsed.error));
      const set = await setPersonEmail(db, admin, personId, parsed.data, info);
      if (!set) throw notFound();
      return set.ok ? done("email") : refused("email", set.errors);
    }
    case "name-champion": {
      const parsed = championSchema.safeParse(form);
      if (!parsed.success) return refused("champion", { championTeamId: fieldErrors(parsed.error).teamId });
      const named = await nameChampion(db, admin, personId, parsed.data.teamId, info);
      if (!named) throw notFound();
      return named.ok ? done("champion-named") : refused("champion", { championTeamId: named.errors.teamId });
    }
    case "remove-champion": {
      const parsed = championSchema.safeParse(form);
      if (!parsed.success) throw notFound();
      const removed = await removeChampion(db, admin, personId, parsed.data.teamId, info);
      if (!removed) throw notFound();
      return done("champion-removed");
    }
    case "reactivate": {
      const reactivated = await reactivatePerson(db, admin, personId, info);
      if (!reactivated) throw notFound();
      return reactivated.ok ? done("reactivated") : refused("form", reactivated.errors);
    }
    case "password-link": {
      const issued = await issuePasswordLink(db, admin, personId, info);
      if (!issued) throw notFound();
      const url = passwordLinkUrl(serviceUrlOf(context.config, request), issued.token);
      return json<ActionData>({ target: "password-link", errors: {}, link: { name: issued.person.name, url } });
    }
  }
}

const DONE: Record<string, string> = {
  moved: "They have been moved. Their time in their earlier team stays in its history.",
  role: "Their role has been changed.",
  email: "Their email address has been saved.",
  "champion-named": "They have been named a champion.",
  "champion-removed": "They are no longer a champion of that team.",
  deactivated: "They have been deactivated and can no longer sign in. Their records are kept.",
  reactivated: "They have been reactivated and can sign in again.",
};

const ROLE_LABELS: Record<string, string> = { staff: "Staff", hr: "HR officer", admin: "Administrator" };

export default function AdminPerson() {
  const { person, teams, isSelf } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const done = DONE[new URLSearchParams(useLocation().search).get("done") ?? ""];
  const errors = actionData?.errors ?? {};
  const otherTeams = teams.filter((t) => t.id !== person.teamId);
  const notChampioned = teams.filter((t) => !person.championOf.some((c) => c.id === t.id));
  return (
    <>
      <ErrorSummary
        errors={errors}
        fieldIds={{ teamId: "teamId", role: "role", email: "email", championTeamId: "championTeamId" }}
      />
      {done && !actionData ? <NotificationBanner id="done" success heading={done} /> : null}
      {actionData?.link ? (
        <Panel title={`Password link for ${actionData.link.name}`} headingLevel={2} role="status" compact>
          Give this link to them securely. It works once, for 7 days, and is not shown again:
          <p className="app-one-time-link">{actionData.link.url}</p>
        </Panel>
      ) : null}
      <TwoThirds>
        <span className="govuk-caption-l">People</span>
        <h1 className="govuk-heading-l">{person.name}</h1>
        <SummaryList
          rows={[
            {
              key: "E-mail address",
              value: <span className="app-break-word">{person.email ?? "No e-mail address"}</span>,
            },
            { key: "Employee number", value: person.employeeNumber },
            { key: "Team", value: person.teamName ?? "No team" },
            { key: "Role", value: ROLE_LABELS[person.role] },
            {
              key: "Status",
              value: person.active
                ? person.hasPassword
                  ? "Active"
                  : "Active, no password yet"
                : `Deactivated${person.leavingDate ? `, left on ${formatDate(person.leavingDate)}` : ""}`,
            },
            { key: "Start date", value: formatDate(person.startDate) },
            {
              key: "Champion of",
              value: person.championOf.length > 0 ? person.championOf.map((t) => t.name).join(", ") : "No team",
            },
          ]}
        />

        {person.active ? (
          <>
            <h2 className="govuk-heading-m">Move to another team</h2>
            {otherTeams.length > 0 ? (
              <IntentForm intent="move">
                <Select
                  name="teamId"
                  label="New team"
                  hint="From today; their time in their present team stays in its history"
                  options={otherTeams.map((t) => ({ value: t.id, label: t.name }))}
                  emptyLabel="Choose a team"
                  error={errors.teamId}
                />
                <Button secondary once>
                  Move<span className="govuk-visually-hidden"> {person.name}</span>
                </Button>
              </IntentForm>
            ) : (
              <p className="govuk-body">
                There is no other open team. <Link to="/admin/teams/new">Create a team</Link>.
              </p>
            )}

            <IntentForm intent="role">
              <Radios
                name="role"
                legend="Role"
                hint={isSelf ? "You cannot remove your own administrator role" : undefined}
                options={ROLE_CHOICES}
                defaultValue={person.role}
                error={errors.role}
              />
              <Button secondary once>
                Save role
              </Button>
            </IntentForm>

            <IntentForm intent="email">
              <TextInput
                name="email"
                label="E-mail address"
                hint={
                  person.email
                    ? "A new address ends their sessions and unused password links. Leave it empty to remove it: they then sign only in an assisted session."
                    : "They have no e-mail address: they sign in an assisted session, with a one-time code from HR. Give them one here."
                }
                type="email"
                autoComplete="off"
                spellCheck={false}
                defaultValue={person.email ?? ""}
                error={errors.email}
              />
              <Button secondary once>
                Save e-mail address
              </Button>
            </IntentForm>

            <h2 className="govuk-heading-m">Champion</h2>
            {person.championOf.length > 0 ? (
              <Table
                caption={`Teams ${person.name} champions`}
                captionClass="govuk-visually-hidden"
                rows={person.championOf}
                rowKey={(t) => t.id}
                columns={[
                  adminTeamColumn,
                  {
                    header: <span className="govuk-visually-hidden">Action</span>,
                    cell: (t) => (
                      <IntentForm intent="remove-champion" hidden={{ teamId: t.id }}>
                        <Button secondary once className="govuk-!-margin-bottom-0">
                          Remove<span className="govuk-visually-hidden"> as champion of {t.name}</span>
                        </Button>
                      </IntentForm>
                    ),
                  },
                ]}
              />
            ) : null}
            {notChampioned.length > 0 ? (
              <IntentForm intent="name-champion">
                <Select
                  id="championTeamId"
                  name="teamId"
                  label="Name them champion of"
                  hint="A person may champion several teams"
                  options={notChampioned.map((t) => ({ value: t.id, label: t.name }))}
                  emptyLabel="Choose a team"
                  error={errors.championTeamId}
                />
                <Button secondary once>
                  Name as champion
                </Button>
              </IntentForm>
            ) : null}

            <h2 className="govuk-heading-m">Signing in</h2>
            <p className="govuk-body">
              {person.hasPassword
                ? "They have set a password. A new link lets them choose another."
                : "They have not set a password yet."}
            </p>
            <IntentForm intent="password-link">
              <Button secondary>Create a one-time password link</Button>
            </IntentForm>
            <p className="govuk-body">
              Someone without an e-mail address signs on a shared device with a one-time code, witnessed by a champion
              of their team or an HR officer.{" "}
              <Link className="govuk-link" to={`/hr/people/${person.id}/one-time-code`}>
                Issue a one-time code<span className="govuk-visually-hidden"> for {person.name}</span>
              </Link>
            </p>

            {isSelf ? null : (
              <>
                <h2 className="govuk-heading-m">Deactivate</h2>
                <p className="govuk-body">For a leaver: they can no longer sign in, and their records are kept.</p>
                <Link
                  className="govuk-button govuk-button--warning"
                  to={`/admin/people/${person.id}/deactivate`}
                  role="button"
                  draggable={false}
                  data-module="govuk-button"
                >
                  Deactivate {person.name}
                </Link>
              </>
            )}
          </>
        ) : (
          <IntentForm intent="reactivate">
            <p className="govuk-body">
              Reactivating lets them sign in again and counts them from today
              {person.teamName ? `, back in their last team if it is still open` : ""}.
            </p>
            <Button secondary once>
              Reactivate {person.name}
            </Button>
          </IntentForm>
        )}

        <h2 className="govuk-heading-m">Team history</h2>
        {person.memberships.length > 0 ? (
          <Table
            caption={`Teams ${person.name} has been in`}
            captionClass="govuk-visually-hidden"
            rows={person.memberships}
            rowKey={(m, i) => `${m.startedOn}-${i}`}
            columns={[
              { header: "Team", rowHeader: true, cell: (m) => m.teamName + (m.closedOn ? " (closed)" : "") },
              { header: "From", cell: (m) => formatDate(m.startedOn) },
              { header: "Until", cell: (m) => (m.endedOn ? formatDate(m.endedOn) : "Now") },
            ]}
          />
        ) : (
          <p className="govuk-body">They have not been in a team.</p>
        )}
        <p className="govuk-body">
          <Link className="govuk-link" to="/admin/people">
            Back to people
          </Link>
        </p>
      </TwoThirds>
    </>
  );
}
