import { formatDate } from "~/lib/dates";
import { EXEMPTION_REASON_LABELS, type ExemptionReason, type Status } from "./statuses";

/** "Exempt (parental leave) until 1 March 2027": how every page and file names an exemption in force. */
export function exemptionSummary(row: { exemptionReason: ExemptionReason | null; exemptUntil: string | null }): string {
  const reason = row.exemptionReason ? ` (${EXEMPTION_REASON_LABELS[row.exemptionReason].toLowerCase()})` : "";
  return `Exempt${reason}${row.exemptUntil ? ` until ${formatDate(row.exemptUntil)}` : ""}`;
}

/** The due or renewal date in words: an open-ended exemption has none. */
export const dueWords = (row: { status: Status; dueOn: string | null }): string =>
  row.dueOn ? formatDate(row.dueOn) : "None while exempt";
