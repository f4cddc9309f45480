import { formatDate } from "~/lib/dates";

/** Words for the evidence view and the evidence PDF, so both say the same thing. */
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

/** Why no requirement is listed: a leaver is no longer required to do anything, and their evidence is still kept. */
export function nothingRequired(leavingDate: string | null): string {
  return leavingDate
    ? `Nothing is required of them now: they left on ${formatDate(leavingDate)}. Their records are kept.`
    : "Their council requires nothing of them at the moment.";
}
