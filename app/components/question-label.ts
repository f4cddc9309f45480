/** "Question 3 of 10" for a main question, "Follow-up to question 3" for a follow-up (no total: it does not score). */
export function questionLabel(q: { questionNumber: number; totalQuestions?: number; followUp: boolean }): string {
  if (q.followUp) return `Follow-up to question ${q.questionNumber}`;
  return q.totalQuestions ? `Question ${q.questionNumber} of ${q.totalQuestions}` : `Question ${q.questionNumber}`;
}
