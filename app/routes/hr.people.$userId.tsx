import type { HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { StatusTag } from "~/components/status-tag";
import { SummaryList } from "~/components/summary-list";
import { Table } from "~/components/table";
import { formatDate, formatDateTime } from "~/lib/dates";
import {
  ATTEMPT_STATUS_LABELS,
  DELIVERY_STATUS_LABELS,
  NUDGE_KIND_LABELS,
  nothingRequired,
  ROLE_LABELS,
  verificationSentence,
} from "~/reporting/evidence-labels";
import { openEvidence, type EvidenceAttestation, type PersonEvidence } from "~/reporting/evidence.server";
import { STATUS_LABELS, type Status } from "~/tracking/status.server";

type LoaderData = { evidence: PersonEvidence; statusLabels: Record<Status, string> };

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  const name = (data as LoaderData | undefined)?.evidence.person.name;
  return [{ title: `${name ? `Evidence: ${name}` : "Evidence"} – HR – Social media code of conduct` }];
};

// What HR sees about people is not kept in any cache.
export const headers: HeadersFunction = ({ loaderHeaders }) => ({
  "Cache-Control": loaderHeaders.get("Cache-Control") ?? "private, no-store",
});

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const hr = await requireRole(request, context, ["hr"]);
  const evidence = await openEvidence(
    context.db,
    hr,
    params.userId ?? "",
    "viewed",
    requestInfo(context),
    context.now(),
  );
  if (!evidence) throw notFound();
  return Response.json({ evidence, statusLabels: STATUS_LABELS } satisfies LoaderData, {
    headers: { "Cache-Control": "private, no-store" },
  });
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const Hash = ({ value }: { value: string }) => <code className="app-break-word">{value}</code>;

function Verification({ record }: { record: EvidenceAttestation }) {
  return (
    <p className="govuk-body">
      <strong className={`govuk-tag ${record.verification.intact ? "govuk-tag--green" : "govuk-tag--red"}`}>
        {record.verification.intact ? "Verified" : "Verification failed"}
      </strong>{" "}
      {capitalise(verificationSentence(record.verification).replace(/^(Verified|Verification failed): /, ""))}
    </p>
  );
}

function LedgerRecord({ record }: { record: EvidenceAttestation }) {
  const rows = [
    { key: "Recorded", value: `${formatDateTime(record.recordedAt)} (position ${record.seq} in the ledger)` },
    {
      key: "Code of conduct",
      value: (
        <>
          Version {record.policyVersionLabel}, text SHA-256 <Hash value={record.policySha256} />
        </>
      ),
    },
  ];
  if (record.kind === "signed") {
    rows.push(
      { key: "Typed name", value: record.typedName ?? "" },
      {
        key: "Declared",
        value: (
          <ul className="govuk-list">
            {record.declarationText.split("\n").map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
        ),
      },
      {
        key: "Qualifying attempts",
        value: record.qualifyingAttemptIds.length ? record.qualifyingAttemptIds.join(", ") : "None",
      },
      { key: "Withdrawn", value: record.withdrawnBy ? `Yes, by record ${record.withdrawnBy}` : "No" },
    );
  } else {
    rows.push(
      { key: "Withdraws", value: record.subjectReference ?? "" },
      { key: "Withdrawn by", value: record.actorName ?? "Unknown" },
      { key: "Reason", value: record.reason ?? "" },
    );
  }
  rows.push(
    { key: "Address and browser", value: `${record.ip ?? "Not recorded"}; ${record.userAgent ?? "not recorded"}` },
    { key: "Previous hash", value: <Hash value={record.previousHash} /> },
    { key: "Record hash", value: <Hash value={record.hash} /> },
  );
  return (
    <section aria-labelledby={`record-${record.reference}`}>
      <h3 className="govuk-heading-s" id={`record-${record.reference}`}>
        {record.kind === "signed" ? "Signature" : "Withdrawal"} {record.reference}
      </h3>
      <Verification record={record} />
      <SummaryList rows={rows} />
    </section>
  );
}

export default function PersonEvidencePage() {
  const { evidence, statusLabels } = useLoaderData<LoaderData>();
  const { person } = evidence;
  return (
    <>
      <Link className="govuk-back-link" to="/hr/report">
        Completion report
      </Link>
      <span className="govuk-caption-l">Evidence held by {evidence.organisation.name}</span>
      <h1 className="govuk-heading-l">{person.name}</h1>
      <p className="govuk-body">
        Produced on {formatDateTime(evidence.producedAt)} (UK time) from the records as they stood then. Opening this
        page and downloading the pack are recorded in the audit log.
      </p>
      <p className="govuk-body">
        <a className="govuk-link" href={`/hr/people/${person.id}/evidence.pdf`} download>
          Download the evidence pack (PDF)
        </a>
      </p>

      <h2 className="govuk-heading-m">Person</h2>
      <SummaryList
        rows={[
          { key: "Employee number", value: person.employeeNumber },
          { key: "Email", value: person.email },
          { key: "Role", value: ROLE_LABELS[person.role] },
          { key: "Team now", value: person.team ?? "No team" },
          { key: "Start date", value: formatDate(person.startDate) },
          { key: "Leaving date", value: person.leavingDate ? formatDate(person.leavingDate) : "None" },
          { key: "Account", value: person.active ? "Active" : "Deactivated" },
        ]}
      />

      {evidence.memberships.length > 0 ? (
        <Table
          caption="Team memberships"
          columns={[
            { header: "Team", cell: (m: PersonEvidence["memberships"][number]) => m.team, rowHeader: true },
            { header: "From", cell: (m) => formatDate(m.startedOn) },
            { header: "Until", cell: (m) => (m.endedOn ? formatDate(m.endedOn) : "Now") },
          ]}
          rows={evidence.memberships}
          rowKey={(m, i) => `${m.team}-${m.startedOn}-${i}`}
        />
      ) : (
        <p className="govuk-body">No team memberships are recorded.</p>
      )}

      {evidence.requirements.length > 0 ? (
        <Table
          caption="Where they stand now"
          columns={[
            { header: "Requirement", cell: (r: PersonEvidence["requirements"][number]) => r.title, rowHeader: true },
            { header: "Status", cell: (r) => <StatusTag status={r.status} label={statusLabels[r.status]} /> },
            { header: "Since", cell: (r) => formatDate(r.since) },
            { header: "Due or renewal", cell: (r) => formatDate(r.dueOn) },
          ]}
          rows={evidence.requirements}
          rowKey={(r) => r.requirementId}
        />
      ) : (
        <p className="govuk-body">{nothingRequired(person.leavingDate)}</p>
      )}

      <h2 className="govuk-heading-m">Training attempts ({evidence.attempts.length})</h2>
      {evidence.attempts.length === 0 ? <p className="govuk-body">No training attempts are recorded.</p> : null}
      {evidence.attempts.map((attempt) => (
        <section key={attempt.id} aria-labelledby={`attempt-${attempt.id}`}>
          <h3 className="govuk-heading-s" id={`attempt-${attempt.id}`}>
            {attempt.moduleTitle}: attempt started {formatDateTime(attempt.startedAt)}
          </h3>
          <SummaryList
            rows={[
              { key: "Result", value: ATTEMPT_STATUS_LABELS[attempt.status] },
              {
                key: "Score",
                value:
                  attempt.scorePercent === null
                    ? "No answers"
                    : `${attempt.scorePercent}% (${attempt.score} of ${attempt.answered} answered well first time; pass mark ${attempt.passMarkPercent}%)`,
              },
              { key: "Finished", value: attempt.completedAt ? formatDateTime(attempt.completedAt) : "Not finished" },
              {
                key: "Module version",
                value: (
                  <>
                    {attempt.moduleVersionId} (content SHA-256 <Hash value={attempt.contentHash} />)
                  </>
                ),
              },
            ]}
          />
          {attempt.answers.length > 0 ? (
            <Table
              caption={`Answers in this attempt`}
              captionClass="govuk-table__caption--s"
              columns={[
                { header: "Step", cell: (a: (typeof attempt.answers)[number]) => a.step, numeric: true },
                { header: "Question", cell: (a) => a.question ?? `Scenario ${a.scenarioId}`, rowHeader: true },
                { header: "Answer given", cell: (a) => a.choiceText ?? `Choice ${a.choiceId}` },
                { header: "Right?", cell: (a) => (a.correct ? "Yes" : "No") },
                { header: "At", cell: (a) => formatDateTime(a.at) },
              ]}
              rows={attempt.answers}
              rowKey={(a) => String(a.step)}
            />
          ) : null}
        </section>
      ))}

      <h2 className="govuk-heading-m">Ledger records ({evidence.attestations.length})</h2>
      {evidence.attestations.length === 0 ? (
        <p className="govuk-body">No signatures or withdrawals are recorded.</p>
      ) : null}
      {evidence.attestations.map((record) => (
        <LedgerRecord key={record.reference} record={record} />
      ))}
      <h3 className="govuk-heading-s">Ledger chain head when this page was produced</h3>
      {evidence.chainHead ? (
        <SummaryList
          rows={[
            {
              key: "Record",
              value: `${evidence.chainHead.reference} (position ${evidence.chainHead.seq}, recorded ${formatDateTime(evidence.chainHead.recordedAt)})`,
            },
            { key: "Hash", value: <Hash value={evidence.chainHead.hash} /> },
          ]}
        />
      ) : (
        <p className="govuk-body">The ledger held no records.</p>
      )}

      <h2 className="govuk-heading-m">Nudges and reminders ({evidence.nudges.length})</h2>
      {evidence.nudges.length === 0 ? (
        <p className="govuk-body">No nudges, reminders or escalations are recorded.</p>
      ) : (
        <Table
          caption="Nudges, reminders and escalations sent to them"
          captionClass="govuk-table__caption--s"
          columns={[
            {
              header: "Sent",
              cell: (n: PersonEvidence["nudges"][number]) => formatDateTime(n.createdAt),
              rowHeader: true,
            },
            { header: "Kind", cell: (n) => NUDGE_KIND_LABELS[n.kind] },
            { header: "From", cell: (n) => n.senderName ?? "The service" },
            { header: "Message", cell: (n) => n.message ?? "" },
            {
              header: "Delivery",
              cell: (n) =>
                n.deliveries.length === 0 ? (
                  "None recorded"
                ) : (
                  <ul className="govuk-list govuk-!-margin-bottom-0">
                    {n.deliveries.map((d, i) => (
                      <li key={i}>
                        {d.channel === "email" ? "E-mail" : "In the app"}: {DELIVERY_STATUS_LABELS[d.status]}
                        {d.error ? ` (${d.error})` : ""}
                      </li>
                    ))}
                  </ul>
                ),
            },
          ]}
          rows={evidence.nudges}
          rowKey={(n) => n.id}
        />
      )}
    </>
  );
}
