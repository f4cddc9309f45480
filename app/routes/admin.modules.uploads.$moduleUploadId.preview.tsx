import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requireRole } from "~/auth/access.server";
import { AnswerReview } from "~/components/answer-review";
import { Button } from "~/components/button";
import { AnswerFeedback } from "~/components/answer-feedback";
import { ErrorSummary } from "~/components/error-summary";
import { NotificationBanner } from "~/components/notification-banner";
import { questionLabel } from "~/components/question-label";
import { Radios } from "~/components/radios";
import { TwoThirds } from "~/components/two-thirds";
import { newPreview, previewPage } from "~/training/module-preview.server";
import { moduleUploadFor } from "~/training/module-publishing.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `Preview: ${data.title}` : "Preview"} – Social media code of conduct` },
];

/** Every page of the preview is a GET: the answers so far travel in `s`, so nothing is ever written. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.moduleUploadId)) throw notFound();
  const found = await moduleUploadFor(context.db, admin, params.moduleUploadId);
  if (!found) throw notFound();
  const module = found.upload.content;
  const url = new URL(request.url);
  const s = url.searchParams.get("s");
  const choiceId = url.searchParams.get("choiceId") ?? undefined;
  const base = { id: found.upload.id, title: module.title, summary: module.summary, start: newPreview(module) };
  if (!s) return json({ ...base, page: { kind: "start" as const } });
  const page = previewPage(module, s, choiceId);
  return json({ ...base, page }, { status: page.kind === "invalid" ? 400 : 200 });
}

const PreviewBanner = () => (
  <NotificationBanner id="preview" heading="This is a preview: nothing you answer is recorded." />
);

export default function Preview() {
  const { id, title, summary, start, page } = useLoaderData<typeof loader>();
  const back = (
    <p className="govuk-body">
      <Link className="govuk-link" to={`/admin/modules/uploads/${id}`}>
        Back to publishing {title}
      </Link>
    </p>
  );
  if (page.kind === "start" || page.kind === "invalid") {
    return (
      <TwoThirds>
        <PreviewBanner />
        <span className="govuk-caption-l">Preview</span>
        <h1 className="govuk-heading-l">{title}</h1>
        {page.kind === "invalid" ? (
          <p className="govuk-body">This preview address does not fit this module. Start the preview again.</p>
        ) : (
          <p className="govuk-body">{summary}</p>
        )}
        <p className="govuk-body">
          You take the module as staff would: the same questions drawn, the choices in a shuffled order, the same
          feedback and result.
        </p>
        <p className="govuk-body">
          <Link className="govuk-button" data-module="govuk-button" to={`?s=${start}`}>
            Start the preview
          </Link>
        </p>
        {back}
      </TwoThirds>
    );
  }
  if (page.kind === "question") {
    const errors = page.unanswered ? { choiceId: "Select an answer" } : {};
    return (
      <TwoThirds>
        <ErrorSummary errors={errors} />
        <PreviewBanner />
        <span className="govuk-caption-l">
          {title}: {questionLabel(page)}
        </span>
        <h2 className="govuk-heading-m">{page.scenario.title}</h2>
        {page.scenario.situation.split(/\n\s*\n/).map((paragraph, i) => (
          <p className="govuk-body" key={i}>
            {paragraph}
          </p>
        ))}
        <Form method="get" key={page.s}>
          <input type="hidden" name="s" value={page.s} />
          <Radios
            name="choiceId"
            legend={page.scenario.question}
            legendIsPageHeading
            error={errors.choiceId}
            options={page.scenario.choices.map((c) => ({ value: c.id, label: c.text }))}
          />
          <Button>Submit answer</Button>
        </Form>
        {back}
      </TwoThirds>
    );
  }
  if (page.kind === "feedback") {
    return (
      <TwoThirds>
        <PreviewBanner />
        <AnswerFeedback
          caption={`${title}: ${questionLabel(page)}`}
          correct={page.correct}
          question={page.question}
          answer={page.answer}
          bestAnswers={page.bestAnswers}
          feedback={page.feedback}
          citation={page.citation}
        />
        <Link className="govuk-button" data-module="govuk-button" to={`?s=${page.next}`}>
          {page.finished ? "See the result" : "Continue"}
        </Link>
        {back}
      </TwoThirds>
    );
  }
  return (
    <TwoThirds>
      <PreviewBanner />
      <span className="govuk-caption-l">Preview of {title}</span>
      <h1 className="govuk-heading-l">{page.passed ? "You passed" : "You did not pass this time"}</h1>
      <p className="govuk-body">
        You answered {page.score} of {page.totalQuestions} questions right; {page.toPass} are needed to pass. Follow-up
        questions do not count towards the score.
      </p>
      <AnswerReview
        answers={page.answers.map((a) => ({
          ...a,
          label: questionLabel({ ...a, totalQuestions: page.totalQuestions }),
        }))}
      />
      <p className="govuk-body">
        <Link className="govuk-button govuk-button--secondary" data-module="govuk-button" to={`?s=${start}`}>
          Preview it again
        </Link>
      </p>
      {back}
    </TwoThirds>
  );
}
