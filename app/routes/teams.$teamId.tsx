import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { requireTeamAccess, requireUser } from "~/auth/access.server";
import { CompletionChart } from "~/components/completion-chart";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { Pagination } from "~/components/pagination";
import { StatusTag } from "~/components/status-tag";
import { formatDate, formatDateTime } from "~/lib/dates";
import { STATUS_LABELS, STATUSES, type Status } from "~/tracking/statuses";
import type { Figures } from "~/tracking/status.server";
import { parseTeamView, teamDashboard } from "~/tracking/team-view.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data && "errors" in data ? "Error: " : ""}${data?.team.name ?? "Team"} – Social media code of conduct` }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const team = await requireTeamAccess(context.db, user, params.teamId);
  const url = new URL(request.url);
  const view = parseTeamView(url.searchParams);
  const nudged = { nudged: Number(url.searchParams.get("nudged") ?? "NaN"), already: Number(url.searchParams.get("already") ?? "0") };
  if (!view.success) {
    return json({ team: { id: team.id, name: team.name }, errors: fieldErrors(view.error) }, { status: 400 });
  }
  const dashboard = await teamDashboard(context.db, team, view.data, { now: context.now() });
  return json({ team: { id: team.id, name: team.name }, view: view.data, nudged: Number.isFinite(nudged.nudged) ? nudged : null, ...dashboard });
}

const SORT_LABELS = { urgency: "Most urgent first", name: "Name", since: "Outstanding longest", due: "Due date" } as const;

function FiguresTable({ figures }: { figures: Figures }) {
  const columns: Status[] = ["complete", "in_progress", "not_started", "due_soon", "overdue", "expired"];
  return (
    <table className="govuk-table">
      <caption className="govuk-table__caption govuk-table__caption--m">Completion by requirement</caption>
      <thead className="govuk-table__head">
        <tr className="govuk-table__row">
          <th scope="col" className="govuk-table__header">
            Requirement
          </th>
          {columns.map((c) => (
            <th key={c} scope="col" className="govuk-table__header govuk-table__header--numeric">
              {STATUS_LABELS[c]}
            </th>
          ))}
          <th scope="col" className="govuk-table__header govuk-table__header--numeric">
            Complete (%)
          </th>
        </tr>
      </thead>
      <tbody className="govuk-table__body">
        {figures.requirements.map((r) => (
          <tr key={r.requirementId} className="govuk-table__row">
            <th scope="row" className="govuk-table__header">
              {r.title}
            </th>
            {columns.map((c) => (
              <td key={c} className="govuk-table__cell govuk-table__cell--numeric">
                {r.counts[c]}
              </td>
            ))}
            <td className="govuk-table__cell govuk-table__cell--numeric">{r.total === 0 ? "–" : `${Math.round((r.counts.complete / r.total) * 100)}%`}</td>
          </tr>
        ))}
      </tbody>
    </table>
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
      {nudged ? (
        <div className="govuk-notification-banner govuk-notification-banner--success" role="alert" aria-labelledby="nudged-title" data-module="govuk-notification-banner">
          <div className="govuk-notification-banner__header">
            <h2 className="govuk-notification-banner__title" id="nudged-title">
              Success
            </h2>
          </div>
          <div className="govuk-notification-banner__content">
            <p className="govuk-notification-banner__heading">
              {nudged.nudged === 1 ? "1 person was nudged." : `${nudged.nudged} people were nudged.`}
              {nudged.already > 0 ? ` ${nudged.already === 1 ? "1 person had" : `${nudged.already} people had`} already been nudged today, so they were not nudged again.` : ""}
            </p>
          </div>
        </div>
      ) : null}
      <span className="govuk-caption-l">Team</span>
      <h1 className="govuk-heading-l">{team.name}</h1>
      <p className="govuk-body-l">
        {figures.peopleComplete} of {figures.people} {figures.people === 1 ? "person has" : "people have"} completed everything.
      </p>
      <dl className="govuk-summary-list govuk-summary-list--no-border">
        {(["overdue", "expired", "due_soon", "in_progress", "not_started"] as const).map((s) => (
          <div className="govuk-summary-list__row" key={s}>
            <dt className="govuk-summary-list__key">{STATUS_LABELS[s]}</dt>
            <dd className="govuk-summary-list__value">
              {figures.peopleByStatus[s]} {figures.peopleByStatus[s] === 1 ? "person" : "people"}
            </dd>
          </div>
        ))}
      </dl>
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
          <Link className="govuk-button govuk-button--secondary" to={`/teams/${team.id}/nudge?target=everyone`} data-module="govuk-button">
            Nudge everyone outstanding ({outstandingPeople})
          </Link>
        </p>
      ) : null}
      <Form method="get" className="app-filter">
        <div className="govuk-form-group">
          <fieldset className="govuk-fieldset" id="status">
            <legend className="govuk-fieldset__legend govuk-fieldset__legend--s">Show people whose most urgent status is</legend>
            <div className="govuk-hint" id="status-hint">
              Choose none to show everyone with something outstanding.
            </div>
            <div className="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
              {STATUSES.map((s) => (
                <div className="govuk-checkboxes__item" key={s}>
                  <input className="govuk-checkboxes__input" id={`status-${s}`} name="status" type="checkbox" value={s} defaultChecked={view.status.includes(s)} />
                  <label className="govuk-label govuk-checkboxes__label" htmlFor={`status-${s}`}>
                    {STATUS_LABELS[s]}
                  </label>
                </div>
              ))}
            </div>
          </fieldset>
        </div>
        <div className="govuk-form-group">
          <label className="govuk-label" htmlFor="sort">
            Sort by
          </label>
          <select className="govuk-select" id="sort" name="sort" defaultValue={view.sort}>
            {Object.entries(SORT_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="govuk-button govuk-button--secondary" data-module="govuk-button">
          Show people
        </button>
      </Form>
      {people.people.length === 0 ? (
        <p className="govuk-body">{view.status.length === 0 ? "Nobody in this team has anything outstanding." : "Nobody in this team has that status."}</p>
      ) : (
        <table className="govuk-table">
          <caption className="govuk-table__caption govuk-table__caption--s">
            {people.total} {people.total === 1 ? "person" : "people"}
            {people.pageCount > 1 ? `, page ${people.page} of ${people.pageCount}` : ""}
          </caption>
          <thead className="govuk-table__head">
            <tr className="govuk-table__row">
              <th scope="col" className="govuk-table__header">
                Name
              </th>
              <th scope="col" className="govuk-table__header">
                Status
              </th>
              <th scope="col" className="govuk-table__header">
                Outstanding
              </th>
              <th scope="col" className="govuk-table__header">
                Since
              </th>
              <th scope="col" className="govuk-table__header">
                Due
              </th>
              <th scope="col" className="govuk-table__header">
                <span className="govuk-visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody className="govuk-table__body">
            {people.people.map((p) => (
              <tr key={p.userId} className="govuk-table__row">
                <th scope="row" className="govuk-table__header">
                  {p.name}
                </th>
                <td className="govuk-table__cell">
                  <StatusTag status={p.status} />
                </td>
                <td className="govuk-table__cell">
                  {p.outstanding.length === 0 ? (
                    "Nothing"
                  ) : (
                    <ul className="govuk-list govuk-!-margin-bottom-0">
                      {p.outstanding.map((o) => (
                        <li key={o.title}>
                          {o.title}: {STATUS_LABELS[o.status].toLowerCase()}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td className="govuk-table__cell">{formatDate(p.since)}</td>
                <td className="govuk-table__cell">{formatDate(p.dueOn)}</td>
                <td className="govuk-table__cell app-table-actions">
                  {p.status === "complete" ? null : p.nudgedToday ? (
                    "Nudged today"
                  ) : (
                    <Link className="govuk-link" to={`/teams/${team.id}/nudge?target=person&personId=${p.userId}`}>
                      Nudge<span className="govuk-visually-hidden"> {p.name}</span>
                    </Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pagination page={people.page} pageCount={people.pageCount} href={hrefFor} label="Pages of people" />

      {nudges.length > 0 ? (
        <table className="govuk-table">
          <caption className="govuk-table__caption govuk-table__caption--m">Recent nudges</caption>
          <thead className="govuk-table__head">
            <tr className="govuk-table__row">
              <th scope="col" className="govuk-table__header">
                When
              </th>
              <th scope="col" className="govuk-table__header">
                To
              </th>
              <th scope="col" className="govuk-table__header">
                From
              </th>
              <th scope="col" className="govuk-table__header">
                E-mail
              </th>
            </tr>
          </thead>
          <tbody className="govuk-table__body">
            {nudges.map((n) => (
              <tr key={n.id} className="govuk-table__row">
                <td className="govuk-table__cell">{formatDateTime(n.createdAt)}</td>
                <td className="govuk-table__cell">{n.recipient}</td>
                <td className="govuk-table__cell">{n.sender}</td>
                <td className="govuk-table__cell">{n.email === "sent" ? "Sent" : n.email === "failed" ? "Failed" : n.email === "skipped" ? "Not sent (no e-mail set up)" : "Not sent"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
