import { formatDate } from "~/lib/dates";

/** Words for the evidence view, the evidence PDF, HR's report page and its exports, so all say the same thing. */
export const ROLE_LABELS = { staff: "Staff", hr: "HR", admin: "Administrator" } as const;

export const ATTEMPT_STATUS_LABELS = { in_progress: "Not finished", passed: "Passed", failed: "Not passed" } as const;

export const NUDGE_KIND_LABELS = {
  nudge: "Nudge from a champion",
  reminder: "Automatic reminder",
  escalation: "Escalation",
} as const;

export const DELIVERY_STATUS_LABELS = {
  delivered: "shown",
  sent: "sent",
  failed: "failed",
  skipped: "not sent (no e-mail set up)",
} as const;

export function verificationSentence(v: {
  hashMatches: boolean;
  linked: boolean;
  serviceSigned?: boolean | null;
  intact: boolean;
}): string {
  if (v.intact)
    return v.serviceSigned
      ? "Verified: the record's contents still match its hash, it carries the service's signature, and it links to the record before it in the ledger."
      : "Verified: the record's contents still match its hash, and it links to the record before it in the ledger.";
  const problems = [
    v.hashMatches ? null : "its contents no longer match its hash (it was altered)",
    v.serviceSigned === false
      ? "it does not carry a valid signature of the service's key (it was written or changed without the service)"
      : null,
    v.linked ? null : "it does not link to the record before it (a record was inserted, removed or altered)",
  ].filter(Boolean);
  return `Verification failed: ${problems.join(", and ")}.`;
}

/** How the signer proved who they were when signing (format 2's reauthMethod). */
export const REAUTH_METHOD_LABELS: Record<string, string> = {
  password: "Their password",
  provider: "Their council's sign-in, freshly",
  passphrase: "Their signing passphrase",
  "one-time-code": "A one-time code, with a witness",
};

/** The words a record page and certificate use for a signing in an assisted session (decision 0025). */
export function assistanceWording(assistance: { witnessName: string; codeIssuerName: string | null }): string {
  return `Signed with assistance: witnessed by ${assistance.witnessName}; one-time code issued by ${assistance.codeIssuerName ?? "nobody recorded"}.`;
}

/** Why no requirement is listed: a leaver is no longer required to do anything, and their evidence is still kept. */
export function nothingRequired(leavingDate: string | null): string {
  return leavingDate
    ? `Nothing is required of them now: they left on ${formatDate(leavingDate)}. Their records are kept.`
    : "Their council requires nothing of them at the moment.";
}

/**
 * What completes a report row, in words: a pass of our module, a signature, or training completed elsewhere, which is
 * never shown as either (docs/decisions/0021). An exempt or outstanding row has none.
 */
export const EVIDENCE_LABELS = {
  pass: "Passed attempt",
  signature: "Signed record",
  earlier: "Training completed elsewhere",
} as const;

type EvidenceRow = {
  attempt_id: string | null;
  attestation_reference: string | null;
  earlier_training_id: string | null;
};

/** The evidence of a report row, as the exports' Evidence column gives it (their SQL uses the same labels). */
export function evidenceOf(row: EvidenceRow): string | null {
  if (row.attestation_reference) return EVIDENCE_LABELS.signature;
  if (row.attempt_id) return EVIDENCE_LABELS.pass;
  if (row.earlier_training_id) return EVIDENCE_LABELS.earlier;
  return null;
}

/**
 * The evidence of a report row on HR's report page: the exports' words, with the record's reference and the version
 * signed, which the exports give in columns of their own.
 */
export function evidenceWords(row: EvidenceRow & { policy_version: string | null }): string {
  const words = evidenceOf(row);
  if (!words) return "None";
  return row.attestation_reference
    ? `${words} ${row.attestation_reference} (version ${row.policy_version ?? "?"})`
    : words;
}
