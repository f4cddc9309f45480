import { CitationLine, type Citation } from "./citation";

/** The page after an answer: whether it was right, the best answer, why, and where the policy says so. */
export function AnswerFeedback({
  caption,
  correct,
  question,
  answer,
  bestAnswers,
  feedback,
  citation,
}: {
  caption: string;
  correct: boolean;
  question: string;
  answer: string;
  bestAnswers: string[];
  feedback: string;
  citation: Citation | null;
}) {
  return (
    <>
      <span className="govuk-caption-l">{caption}</span>
      <h1 className="govuk-heading-l">{correct ? "That’s right" : "That’s not the best answer"}</h1>
      <p className="govuk-body">
        <strong>{question}</strong>
      </p>
      <p className="govuk-body">You answered: {answer}</p>
      {bestAnswers.length > 0 ? (
        <div className="govuk-inset-text">The best answer: {bestAnswers.join(" Or: ")}</div>
      ) : null}
      <p className="govuk-body">{feedback}</p>
      <CitationLine citation={citation} />
    </>
  );
}
