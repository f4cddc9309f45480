import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requireUser } from "~/auth/access.server";
import { CitationLine } from "~/components/citation";
import { CsrfInput } from "~/components/csrf-input";
import { attemptState } from "~/training/attempts.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Your result: ${data.module.title}` : "Training"} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  if (!isUuid(params.attemptId)) throw notFound();
  const state = await attemptState(context.db, user, params.moduleSlug ?? "", params.attemptId);
  if (!state) throw notFound();
  if (state.kind !== "result") throw redirect(`/training/${state.module.slug}/attempts/${state.attemptId}`);
  return state;
}

export default function Result() {
  const r = useLoaderData<typeof loader>();
  const percent = r.answered > 0 ? Math.round((r.score / r.answered) * 100) : 0;
  const passed = r.status === "passed";
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        {passed ? (
          <div className="govuk-panel govuk-panel--confirmation">
            <h1 className="govuk-panel__title">You passed</h1>
            <div className="govuk-panel__body">
              {r.module.title}
              <br />
              <strong>Your score: {percent}%</strong>
            </div>
          </div>
        ) : (
          <>
            <h1 className="govuk-heading-l">You did not pass this time</h1>
            <p className="govuk-body">
              Your score was {percent}%. You need {r.module.passMark}% to pass. Read the feedback below, then try again.
            </p>
          </>
        )}
        <p className="govuk-body">
          You answered {r.score} of {r.answered} questions well first time.
        </p>
        <h2 className="govuk-heading-m">Your answers</h2>
        <ol className="govuk-list govuk-list--number">
          {r.answers.map((a, i) => (
            <li key={i} className="govuk-!-margin-bottom-6">
              <h3 className="govuk-heading-s govuk-!-margin-bottom-1">{a.question}</h3>
              <p className="govuk-body govuk-!-margin-bottom-1">
                You answered: {a.answer}{" "}
                <strong className={`govuk-tag ${a.correct ? "govuk-tag--green" : "govuk-tag--red"}`}>
                  {a.correct ? "Right" : "Not the best answer"}
                </strong>
              </p>
              {a.bestAnswers.length > 0 ? (
                <p className="govuk-body govuk-!-margin-bottom-1">The best answer: {a.bestAnswers.join(" Or: ")}</p>
              ) : null}
              <p className="govuk-body govuk-!-margin-bottom-1">{a.feedback}</p>
              <CitationLine citation={a.citation} />
            </li>
          ))}
        </ol>
        <Form method="post" action={`/training/${r.module.slug}`}>
          <CsrfInput />
          <button
            type="submit"
            className={`govuk-button${passed ? " govuk-button--secondary" : ""}`}
            data-module="govuk-button"
            data-prevent-double-click="true"
          >
            {passed ? "Take the module again" : "Try again"}
          </button>
        </Form>
        <p className="govuk-body">
          <Link className="govuk-link" to="/training">
            Back to your training
          </Link>
        </p>
      </div>
    </div>
  );
}
