import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requireUser } from "~/auth/access.server";
import { AnswerFeedback } from "~/components/answer-feedback";
import { answerFeedback } from "~/training/attempts.server";
import { TwoThirds } from "~/components/two-thirds";
import { questionLabel } from "~/components/question-label";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: `${data ? `${data.correct ? "Correct" : "Not quite"}: ${data.module.title}` : "Training"} – Social media code of conduct`,
  },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const step = Number(params.step);
  if (!isUuid(params.attemptId) || !Number.isInteger(step) || step < 1) throw notFound();
  const feedback = await answerFeedback(context.db, user, params.moduleSlug ?? "", params.attemptId, step);
  if (!feedback) throw notFound();
  return json(feedback);
}

export default function Feedback() {
  const f = useLoaderData<typeof loader>();
  const next = `/training/${f.module.slug}/attempts/${f.attemptId}${f.finished && f.isLatest ? "/result" : ""}`;
  return (
    <TwoThirds>
      <AnswerFeedback
        caption={`${f.module.title}: ${questionLabel(f)}`}
        correct={f.correct}
        question={f.question}
        answer={f.answer}
        bestAnswers={f.bestAnswers}
        feedback={f.feedback}
        citation={f.citation}
      />
      <Link className="govuk-button" to={next} data-module="govuk-button">
        {f.finished && f.isLatest ? "See your result" : "Continue"}
      </Link>
    </TwoThirds>
  );
}
