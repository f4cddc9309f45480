import type { CheckName, EntryVerdict, ReceiptVerdict } from "./receipt";

/** A receipt's verdict in plain words, for the offline page and the Node script alike. */

export type DescribedCheck = { label: string; status: "Passed" | "Failed" | "Does not apply"; reason: string };
export type DescribedEntry = { title: string; facts: [string, string][]; checks: DescribedCheck[] };
export type DescribedVerdict = {
  outcome: "valid" | "invalid" | "unreadable";
  headline: string;
  paragraphs: string[];
  entries: DescribedEntry[];
};

const LABELS: Record<CheckName, string> = {
  record: "The record is complete and unaltered in form",
  "record-hash": "The record's hash",
  "body-signature": "The service's signature on the record",
  inclusion: "The record is in the council's log",
  "checkpoint-signature": "The council's signature on the log's checkpoint",
  withdrawal: "The withdrawal names this record",
};

export const NO_ABSENCE =
  "This receipt shows no withdrawal. That does not mean the record was never withdrawn: a receipt cannot prove that " +
  "something did not happen later. Ask the council for a new receipt to see any withdrawal made since.";

function facts(entry: EntryVerdict): [string, string][] {
  const r = entry.record;
  if (!r) return [];
  const rows: [string, string][] = [["Reference", r.reference]];
  const who = [r.signerName, r.signerEmployeeNumber ? `employee number ${r.signerEmployeeNumber}` : null]
    .filter(Boolean)
    .join(", ");
  if (r.kind === "withdrawn") {
    rows.push(["Kind", "Withdrawal"], ["Withdraws", r.subjectReference ?? "(none)"], ["Reason given", r.reason ?? ""]);
  } else {
    rows.push(["Kind", "Signed record"]);
    if (who) rows.push(["Whose record", who]);
    if (r.typedName) rows.push(["Name typed when signing", r.typedName]);
    if (r.declarationText) rows.push(["What was signed", r.declarationText]);
    if (r.policySha256) rows.push(["SHA-256 of the policy text", r.policySha256]);
  }
  rows.push(["Recorded at (as the record states, UTC)", r.recordedAt], ["Account id", r.userId]);
  if (entry.hash) rows.push(["Record hash", entry.hash]);
  if (entry.checkpoint) {
    rows.push(["Council's log", entry.checkpoint.origin]);
    rows.push(["Place in the log", `entry ${r.seq} of ${entry.checkpoint.size} when the checkpoint was signed`]);
  }
  return rows;
}

function checks(entry: EntryVerdict): DescribedCheck[] {
  return entry.checks.map((c) => ({
    label: LABELS[c.check],
    status: c.passed === null ? "Does not apply" : c.passed ? "Passed" : "Failed",
    reason: c.reason,
  }));
}

export function describeVerdict(verdict: ReceiptVerdict): DescribedVerdict {
  if (verdict.unreadable || !verdict.record)
    return {
      outcome: "unreadable",
      headline: "This file cannot be checked",
      paragraphs: [`${verdict.unreadable ?? "It is not a receipt"}.`],
      entries: [],
    };
  const entries: DescribedEntry[] = [
    { title: "The record", facts: facts(verdict.record), checks: checks(verdict.record) },
  ];
  if (verdict.withdrawal)
    entries.push({ title: "The withdrawal", facts: facts(verdict.withdrawal), checks: checks(verdict.withdrawal) });
  if (!verdict.valid) {
    const failed = [verdict.record, verdict.withdrawal]
      .flatMap((e) => e?.checks ?? [])
      .filter((c) => c.passed === false)
      .map((c) => `${LABELS[c.check]}: ${c.reason}.`);
    return {
      outcome: "invalid",
      headline: "This receipt does not prove the record",
      paragraphs: ["One or more checks failed, so nothing in this receipt can be relied on:", ...failed],
      entries,
    };
  }
  const reference = verdict.record.record?.reference ?? "";
  return {
    outcome: "valid",
    headline: verdict.withdrawalShown
      ? `Record ${reference} is genuine, and this receipt shows it was withdrawn`
      : `Record ${reference} is genuine`,
    paragraphs: verdict.withdrawalShown
      ? [
          `The council's log holds record ${reference} and a later withdrawal of it (${verdict.withdrawal?.record?.reference}), both signed and checked below.`,
        ]
      : [`The council's log holds record ${reference} exactly as shown below, signed and checked.`, NO_ABSENCE],
    entries,
  };
}

/** The verdict as plain text (the Node script's output). */
export function verdictText(described: DescribedVerdict): string {
  const lines = [described.headline, "", ...described.paragraphs];
  for (const entry of described.entries) {
    lines.push("", `${entry.title}:`);
    for (const [label, value] of entry.facts) lines.push(`  ${label}: ${value.replace(/\n/g, "\n    ")}`);
    lines.push("", "  Checks:");
    for (const c of entry.checks) lines.push(`  - ${c.label}: ${c.status} (${c.reason})`);
  }
  return `${lines.join("\n")}\n`;
}
