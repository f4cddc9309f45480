import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { notFound, requireUser } from "~/auth/access.server";
import { CsrfInput } from "~/components/csrf-input";
import { moduleOverview, startOrResumeAttempt } from "~/training/attempts.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.module.title ?? "Training"} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const overview = await moduleOverview(context.db, user, params.moduleSlug ?? "");
  if (!overview) throw notFound();
  return overview;
}

/** Start or resume: the same POST from two tabs or twice gives one attempt. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const attemptId = await startOrResumeAttempt(context.db, user, params.moduleSlug ?? "", context.now());
  if (!attemptId) throw notFound();
  return redirect(`/training/${params.moduleSlug}/attempts/${attemptId}`);
}

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/London" });

export default function ModuleOverview() {
  const { module, attempts } = useLoaderData<typeof loader>();
  const inProgress = attempts.find((a) => a.status === "in_progress");
  const passed = attempts.some((a) => a.status === "passed");
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <span className="govuk-caption-l">Training</span>
        <h1 className="govuk-heading-l">{module.title}</h1>
        <p className="govuk-body">{module.summary}</p>
        <p className="govuk-body">
          You need {module.passMark}% of your first answers right to pass. You can stop at any time and carry on later,
          on this or another device.
        </p>
        <Form method="post">
          <CsrfInput />
          <button type="submit" className="govuk-button" data-module="govuk-button" data-prevent-double-click="true">
            {inProgress
              ? "Continue where you left off"
              : passed
                ? "Take the module again"
                : attempts.length > 0
                  ? "Try again"
                  : "Start the module"}
          </button>
        </Form>
        {attempts.length > 0 ? (
          <table className="govuk-table">
            <caption className="govuk-table__caption govuk-table__caption--m">Your attempts</caption>
            <thead className="govuk-table__head">
              <tr className="govuk-table__row">
                <th scope="col" className="govuk-table__header">
                  Started
                </th>
                <th scope="col" className="govuk-table__header">
                  Result
                </th>
                <th scope="col" className="govuk-table__header govuk-table__header--numeric">
                  Score
                </th>
              </tr>
            </thead>
            <tbody className="govuk-table__body">
              {attempts.map((a) => (
                <tr key={a.id} className="govuk-table__row">
                  <td className="govuk-table__cell">{dateTime.format(new Date(a.startedAt))}</td>
                  <td className="govuk-table__cell">
                    {a.status === "in_progress" ? (
                      "In progress"
                    ) : (
                      <Link className="govuk-link" to={`/training/${module.slug}/attempts/${a.id}/result`}>
                        {a.status === "passed" ? "Passed" : "Not passed"}
                      </Link>
                    )}
                  </td>
                  <td className="govuk-table__cell govuk-table__cell--numeric">
                    {a.answered > 0 ? `${Math.round((a.score / a.answered) * 100)}%` : "–"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <p className="govuk-body">
          <Link className="govuk-link" to="/training">
            Back to your training
          </Link>
        </p>
      </div>
    </div>
  );
}
