import { formatDate } from "~/lib/dates";
import { EXEMPTION_REASON_LABELS, type ExemptionReason, type Status } from "./statuses";

/** An exemption's reason in words, with HR's own text for "other" ("Other: on a sabbatical"), as the exports give it. */
export function exemptionReasonWords(reason: ExemptionReason | null, reasonText?: string | null): string | null {
  if (!reason) return null;
  const label = EXEMPTION_REASON_LABELS[reason] ?? reason;
  return reason === "other" && reasonText ? `${label}: ${reasonText}` : label;
}

/** "Exempt (parental leave) until 1 March 2027": how every page and file names an exemption in force. */
export function exemptionSummary(row: {
  exemptionReason: ExemptionReason | null;
  exemptionReasonText?: string | null;
  exemptUntil: string | null;
}): string {
  const words = exemptionReasonWords(row.exemptionReason, row.exemptionReasonText);
  const reason = words ? ` (${words.charAt(0).toLowerCase()}${words.slice(1)})` : "";
  return `Exempt${reason}${row.exemptUntil ? ` until ${formatDate(row.exemptUntil)}` : ""}`;
}

/** The due or renewal date in words: an open-ended exemption has none. */
export const dueWords = (row: { status: Status; dueOn: string | null }): string =>
  row.dueOn ? formatDate(row.dueOn) : "None while exempt";
