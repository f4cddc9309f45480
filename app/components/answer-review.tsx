import { CitationLine, type Citation } from "./citation";

export type ReviewedAnswer = {
  /** "Question 3 of 10", or the follow-up's label. */
  label: string;
  title: string;
  question: string;
  answer: string;
  correct: boolean;
  bestAnswers: string[];
  feedback: string;
  citation: Citation | null;
};

/** A finished attempt's answers, each with whether it was right, the best answer, the feedback and its source. */
export function AnswerReview({ answers }: { answers: ReviewedAnswer[] }) {
  return (
    <>
      <h2 className="govuk-heading-m">Your answers</h2>
      <ul className="govuk-list">
        {answers.map((a, i) => (
          <li key={i} className="govuk-!-margin-bottom-6">
            <span className="govuk-caption-s">{a.label}</span>
            <h3 className="govuk-heading-s govuk-!-margin-bottom-1">{a.title}</h3>
            <p className="govuk-body govuk-!-margin-bottom-1">{a.question}</p>
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
      </ul>
    </>
  );
}
