/** An audit action as people read it: "attestation.signed" is "Attestation signed". */
export function actionLabel(action: string): string {
  const words = action.replace(/[._-]+/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : action;
}
