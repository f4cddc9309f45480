import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { requireTeamAccess, requireUser } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CompletionChart } from "~/components/completion-chart";
import { StatusCheckboxes } from "~/components/status-checkboxes";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { NotificationBanner } from "~/components/notification-banner";
import { Pagination } from "~/components/pagination";
import { Select } from "~/components/select";
import { StatusTag } from "~/components/status-tag";
import { SummaryList } from "~/components/summary-list";
import { Table } from "~/components/table";
import { formatDate, formatDateTime } from "~/lib/dates";
import { STATUS_LABELS, type Status } from "~/tracking/statuses";
import type { Figures } from "~/tracking/status.server";
import { parseTeamView, teamDashboard } from "~/tracking/team-view.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data && "errors" in data ? "Error: " : ""}${data?.team.name ?? "Team"} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const team = await requireTeamAccess(context.db, user, params.teamId);
  const url = new URL(request.url);
  const view = parseTeamView(url.searchParams);
  const nudged = {
    nudged: Number(url.searchParams.get("nudged") ?? "NaN"),
    already: Number(url.searchParams.get("already") ?? "0"),
    person: url.searchParams.get("person"),
  };
  if (!view.success) {
    return json({ team: { id: team.id, name: team.name }, errors: fieldErrors(view.error) }, { status: 400 });
  }
  const dashboard = await teamDashboard(context.db, team, view.data, { now: context.now() });
  // The one person just nudged, named only if they are among this team's nudges.
  const personNudged = nudged.person
    ? (dashboard.nudges.find((n) => n.recipientUserId === nudged.person)?.recipient ?? null)
    : null;
  return json({
    team: { id: team.id, name: team.name },
    view: view.data,
    nudged: Number.isFinite(nudged.nudged)
      ? { nudged: nudged.nudged, already: nudged.already, person: personNudged }
      : null,
    ...dashboard,
  });
}

const EMAIL_STATUS: Record<string, string> = {
  sent: "Sent",
  failed: "Failed",
  skipped: "Not sent (no e-mail set up)",
  "no-address": "Not sent (no e-mail address)",
  delivered: "Not sent",
  none: "Not sent",
};

const SORT_LABELS = {
  urgency: "Most urgent first",
  name: "Surname",
  since: "Outstanding longest",
  due: "Due date",
} as const;

const FIGURE_COLUMNS: Status[] = ["complete", "in_progress", "not_started", "due_soon", "overdue", "expired"];

function FiguresTable({ figures }: { figures: Figures }) {
  return (
    <Table
      caption="People at each status, requirement by requirement"
      rows={figures.requirements}
      rowKey={(r) => r.requirementId}
      columns={[
        { header: "Requirement", rowHeader: true, cell: (r) => r.title },
        ...FIGURE_COLUMNS.map((c) => ({
          header: STATUS_LABELS[c],
          numeric: true,
          cell: (r: Figures["requirements"][number]) => r.counts[c],
        })),
        {
          header: "Complete (%)",
          numeric: true,
          cell: (r) => (r.total === 0 ? "–" : `${Math.round((r.counts.complete / r.total) * 100)}%`),
        },
      ]}
    />
  );
}

/** What the champion just did: who was nudged, and who had been already today. */
function NudgedBanner({ nudged }: { nudged: { nudged: number; already: number; person: string | null } }) {
  if (nudged.person)
    return (
      <NotificationBanner
        id="nudged"
        success
        heading={
          nudged.nudged > 0
            ? `${nudged.person} was nudged.`
            : `${nudged.person} had already been nudged today, so was not nudged again.`
        }
      />
    );
  return (
    <NotificationBanner
      id="nudged"
      success
      heading={`${nudged.nudged === 1 ? "1 person was nudged." : `${nudged.nudged} people were nudged.`}${
        nudged.already > 0
          ? ` ${nudged.already === 1 ? "1 person had" : `${nudged.already} people had`} already been nudged today, so they were not nudged again.`
          : ""
      }`}
    >
      {nudged.nudged > 0 ? (
        <p className="govuk-body">
          <a className="govuk-notification-banner__link" href="#recent-nudges">
            See who was nudged
          </a>
        </p>
      ) : null}
    </NotificationBanner>
  );
}

export default function Team() {
  const data = useLoaderData<typeof loader>();
  const location = useLocation();
  if ("errors" in data) {
    return (
      <>
        <ErrorSummary errors={data.errors} fieldIds={{ status: "status", sort: "sort", page: "status" }} />
        <h1 className="govuk-heading-l">{data.team.name}</h1>
        <p className="govuk-body">
          <Link className="govuk-link" to={`/teams/${data.team.id}`}>
            Show the team without filters
          </Link>
        </p>
      </>
    );
  }
  const { team, figures, people, view, nudges, nudged } = data;
  const hrefFor = (page: number) => {
    const params = new URLSearchParams(location.search);
    params.delete("nudged");
    params.delete("already");
    params.set("page", String(page));
    return `?${params.toString()}`;
  };
  const outstandingPeople = figures.people - figures.peopleComplete;
  return (
    <>
      {nudged ? <NudgedBanner nudged={nudged} /> : null}
      <span className="govuk-caption-l">Team</span>
      <h1 className="govuk-heading-l">{team.name}</h1>
      <p className="govuk-body-l">
        {figures.peopleComplete} of {figures.people} {figures.people === 1 ? "person has" : "people have"} completed
        everything.
      </p>
      <h2 className="govuk-heading-s govuk-!-margin-bottom-2" id="people-by-status">
        People by their most urgent status
      </h2>
      <p className="govuk-hint">Each person counted once, by the most urgent of their requirements.</p>
      <SummaryList
        noBorder
        rows={(["overdue", "expired", "due_soon", "in_progress", "not_started"] as const).map((s) => ({
          key: `Most urgent: ${STATUS_LABELS[s].toLowerCase()}`,
          value: `${figures.peopleByStatus[s]} ${figures.peopleByStatus[s] === 1 ? "person" : "people"}`,
        }))}
      />
      {figures.requirements.length > 0 ? (
        <>
          <h2 className="govuk-heading-m">Completion</h2>
          <CompletionChart
            id="completion-chart"
            title={`Share of ${team.name} complete, by requirement`}
            bars={figures.requirements.map((r) => ({ label: r.title, complete: r.counts.complete, total: r.total }))}
          />
          <FiguresTable figures={figures} />
        </>
      ) : null}

      <h2 className="govuk-heading-m" id="people">
        People
      </h2>
      {outstandingPeople > 0 ? (
        <p className="govuk-body">
          <Link
            className="govuk-button govuk-button--secondary"
            to={`/teams/${team.id}/nudge?target=everyone`}
            data-module="govuk-button"
          >
            Nudge everyone outstanding ({outstandingPeople})
          </Link>
        </p>
      ) : null}
      <Form method="get" className="app-filter">
        <StatusCheckboxes
          legend="Show people whose most urgent status is"
          hint="Choose none to show everyone with something outstanding."
          chosen={view.status}
        />
        <Select
          name="sort"
          label="Sort by"
          defaultValue={view.sort}
          options={Object.entries(SORT_LABELS).map(([value, label]) => ({ value, label }))}
        />
        <Button secondary>Show people</Button>
      </Form>
      {people.people.length === 0 ? (
        <p className="govuk-body">
          {view.status.length === 0
            ? "Nobody in this team has anything outstanding."
            : "Nobody in this team has that status."}
        </p>
      ) : (
        <Table
          caption={`${people.total} ${people.total === 1 ? "person" : "people"}${people.pageCount > 1 ? `, page ${people.page} of ${people.pageCount}` : ""}`}
          captionClass="govuk-table__caption--s"
          rows={people.people}
          rowKey={(p) => p.userId}
          columns={[
            {
              header: "Name",
              rowHeader: true,
              cell: (p) =>
                p.employeeNumber ? (
                  <>
                    {p.name}
                    <br />
                    <span className="govuk-body-s">Employee number {p.employeeNumber}</span>
                  </>
                ) : (
                  p.name
                ),
            },
            { header: "Status", cell: (p) => <StatusTag status={p.status} /> },
            {
              header: "Outstanding",
              cell: (p) =>
                p.outstanding.length === 0 ? (
                  "Nothing"
                ) : (
                  <ul className="govuk-list govuk-!-margin-bottom-0">
                    {p.outstanding.map((o) => (
                      <li key={o.title}>
                        {o.title}: {STATUS_LABELS[o.status].toLowerCase()}
                      </li>
                    ))}
                  </ul>
                ),
            },
            { header: "Since", cell: (p) => formatDate(p.since) },
            { header: "Due", cell: (p) => (p.dueOn ? formatDate(p.dueOn) : "None while exempt") },
            {
              header: <span className="govuk-visually-hidden">Action</span>,
              cell: (p) =>
                p.status === "complete" || p.status === "exempt" ? null : (
                  <>
                    {p.nudgedToday ? (
                      "Nudged today"
                    ) : (
                      <Link
                        className="govuk-link app-table-actions"
                        to={`/teams/${team.id}/nudge?target=person&personId=${p.userId}`}
                      >
                        Nudge<span className="govuk-visually-hidden"> {p.name}</span>
                      </Link>
                    )}
                    <br />
                    <Link className="govuk-link app-table-actions" to={`/assisted/start/${p.userId}`}>
                      Assisted signing<span className="govuk-visually-hidden"> for {p.name}</span>
                    </Link>
                  </>
                ),
            },
          ]}
        />
      )}
      <Pagination page={people.page} pageCount={people.pageCount} href={hrefFor} label="Pages of people" />

      {nudges.length > 0 ? (
        <Table
          id="recent-nudges"
          caption="Recent nudges"
          rows={nudges}
          rowKey={(n) => n.id}
          columns={[
            { header: "When", cell: (n) => formatDateTime(n.createdAt) },
            { header: "To", cell: (n) => n.recipient },
            { header: "From", cell: (n) => n.sender },
            { header: "E-mail", cell: (n) => EMAIL_STATUS[n.email ?? "none"] },
          ]}
        />
      ) : null}
    </>
  );
}
