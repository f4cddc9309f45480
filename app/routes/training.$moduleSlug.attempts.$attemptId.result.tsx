import { json, redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requireUser } from "~/auth/access.server";
import { AnswerReview } from "~/components/answer-review";
import { Panel } from "~/components/panel";
import { questionLabel } from "~/components/question-label";
import { attemptResult } from "~/training/attempts.server";
import { BackToTraining, StartModuleForm } from "~/components/start-module-form";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Your result: ${data.module.title}` : "Training"} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  if (!isUuid(params.attemptId)) throw notFound();
  const state = await attemptResult(context.db, user, params.moduleSlug ?? "", params.attemptId, context.now());
  if (!state) throw notFound();
  if (state.kind !== "result") throw redirect(`/training/${state.module.slug}/attempts/${state.attemptId}`);
  return json(state);
}

export default function Result() {
  const r = useLoaderData<typeof loader>();
  const percent = r.totalQuestions > 0 ? Math.round((r.score / r.totalQuestions) * 100) : 0;
  const passed = r.status === "passed";
  return (
    <TwoThirds>
      {passed ? (
        <Panel title="You passed">
          {r.module.title}
          <br />
          <strong>Your score: {percent}%</strong>
        </Panel>
      ) : (
        <>
          <h1 className="govuk-heading-l">You did not pass this time</h1>
          <p className="govuk-body">
            Your score was {percent}%. You need {r.module.passMark}% to pass. Read the feedback below, then try again.
            Next time some of the situations will be different.
          </p>
        </>
      )}
      <p className="govuk-body">
        You answered {r.score} of {r.totalQuestions} questions right. Follow-up questions do not count towards your
        score.
      </p>
      {r.next ? (
        <p className="govuk-body">
          <Link className="govuk-button" data-module="govuk-button" to={r.next.href}>
            {r.next.label}
          </Link>
        </p>
      ) : null}
      <AnswerReview
        answers={r.answers.map((a, i) => ({
          ...a,
          label:
            a.questionNumber === null
              ? `Answer ${i + 1}`
              : questionLabel({
                  questionNumber: a.questionNumber,
                  totalQuestions: r.totalQuestions,
                  followUp: !a.main,
                }),
        }))}
      />
      <StartModuleForm slug={r.module.slug} label={passed ? "Take the module again" : "Try again"} secondary />
      <BackToTraining />
    </TwoThirds>
  );
}
