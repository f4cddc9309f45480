import { json, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useLocation } from "@remix-run/react";
import { BackLink } from "~/components/back-link";
import { NotificationBanner } from "~/components/notification-banner";
import { exemptionsAndEarlierTraining } from "~/tracking/exemptions.server";
import { EXEMPTION_KIND_LABELS, EXEMPTION_REASON_LABELS } from "~/tracking/statuses";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { StatusTag } from "~/components/status-tag";
import { SummaryList } from "~/components/summary-list";
import { Table } from "~/components/table";
import { formatDate, formatDateTime } from "~/lib/dates";
import { dueWords, exemptionSummary } from "~/tracking/status-words";
import {
  ATTEMPT_STATUS_LABELS,
  DELIVERY_STATUS_LABELS,
  NUDGE_KIND_LABELS,
  nothingRequired,
  ROLE_LABELS,
  REAUTH_METHOD_LABELS,
  verificationSentence,
} from "~/reporting/evidence-labels";
import { openEvidence, type EvidenceAttestation, type PersonEvidence } from "~/reporting/evidence.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  const name = data?.evidence.person.name;
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
  const records = await exemptionsAndEarlierTraining(context.db, hr.organisationId, evidence.person.id);
  return json({ evidence, ...records }, { headers: { "Cache-Control": "private, no-store" } });
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
      ...(record.formatVersion >= 2 && record.signerName
        ? [
            { key: "Name on the account when signed", value: record.signerName },
            { key: "Employee number when signed", value: record.signerEmployeeNumber ?? "None recorded" },
          ]
        : []),
      ...(record.reauthMethod
        ? [{ key: "Proved who they were by", value: REAUTH_METHOD_LABELS[record.reauthMethod] ?? record.reauthMethod }]
        : []),
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
    {
      key: "Record format",
      value: record.keyId ? (
        <>
          Version {record.formatVersion}, signed with the service key{" "}
          <code className="app-break-word">{record.keyId}</code>
        </>
      ) : (
        <>Version {record.formatVersion}, from before records carried the service&apos;s signature</>
      ),
    },
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

function ExemptionsAndEarlierTraining({ personId }: { personId: string }) {
  const { exemptions, earlierTraining } = useLoaderData<typeof loader>();
  return (
    <>
      <h2 className="govuk-heading-m" id="exemptions">
        Exemptions ({exemptions.length})
      </h2>
      <p className="govuk-body">
        Every exemption record is kept: ending, correcting or cancelling one adds a record that replaces it.
      </p>
      {exemptions.length > 0 ? (
        <Table
          caption="Exemption records, oldest first"
          captionClass="govuk-visually-hidden"
          columns={[
            {
              header: "Exempt from",
              rowHeader: true,
              cell: (x: (typeof exemptions)[number]) => x.requirementTitle ?? "Everything",
            },
            {
              header: "Reason",
              cell: (x) => `${EXEMPTION_REASON_LABELS[x.reason]}${x.reasonText ? `: ${x.reasonText}` : ""}`,
            },
            {
              header: "Dates",
              cell: (x) => `${formatDate(x.startsOn)} to ${x.endsOn ? formatDate(x.endsOn) : "no end date"}`,
            },
            { header: "Approved by", cell: (x) => x.approvedBy },
            {
              header: "Record",
              cell: (x) =>
                `${EXEMPTION_KIND_LABELS[x.kind]} by ${x.recordedBy}, ${formatDateTime(x.recordedAt)}${x.standing ? "" : x.kind === "cancelled" ? "" : " (replaced)"}`,
            },
            {
              header: <span className="govuk-visually-hidden">Action</span>,
              cell: (x) =>
                x.standing ? (
                  <Link className="govuk-link" to={`/hr/people/${personId}/exemptions/${x.id}`}>
                    End, correct or cancel<span className="govuk-visually-hidden"> this exemption</span>
                  </Link>
                ) : null,
            },
          ]}
          rows={exemptions}
          rowKey={(x) => x.id}
        />
      ) : null}
      <p className="govuk-body">
        <Link className="govuk-link" to={`/hr/people/${personId}/exemptions/new`}>
          Record an exemption
        </Link>
      </p>

      <h2 className="govuk-heading-m" id="earlier-training">
        Training completed elsewhere ({earlierTraining.length})
      </h2>
      {earlierTraining.length > 0 ? (
        <Table
          caption="Training completed elsewhere, newest first"
          captionClass="govuk-visually-hidden"
          columns={[
            {
              header: "Counts for",
              rowHeader: true,
              cell: (t: (typeof earlierTraining)[number]) => t.requirementTitle,
            },
            { header: "Completed", cell: (t) => formatDate(t.completedOn) },
            { header: "What it was", cell: (t) => t.description },
            { header: "Recorded", cell: (t) => `By ${t.recordedBy}, ${formatDateTime(t.recordedAt)}` },
            {
              header: "Evidence",
              cell: (t) => (
                <>
                  {t.file.deleted ? (
                    `${t.file.name} (deleted under the retention rule)`
                  ) : (
                    <a className="govuk-link" href={`/hr/people/${personId}/evidence-files/${t.file.id}`} download>
                      {t.file.name}
                    </a>
                  )}
                  <br />
                  <span className="govuk-body-s">
                    SHA-256 <Hash value={t.file.sha256} />
                  </span>
                </>
              ),
            },
          ]}
          rows={earlierTraining}
          rowKey={(t) => t.id}
        />
      ) : null}
      <p className="govuk-body">
        <Link className="govuk-link" to={`/hr/people/${personId}/earlier-training/new`}>
          Record training completed elsewhere
        </Link>
      </p>
    </>
  );
}

export default function PersonEvidencePage() {
  const { evidence } = useLoaderData<typeof loader>();
  const { person } = evidence;
  const saved = new URLSearchParams(useLocation().search).get("saved");
  return (
    <>
      {saved === "exemption" || saved === "earlier-training" ? (
        <NotificationBanner
          id="saved"
          success
          heading={saved === "exemption" ? "The exemption record has been saved." : "The training has been recorded."}
        />
      ) : null}
      <BackLink to="/hr/report">Completion report</BackLink>
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
          { key: "Email", value: person.email ?? "No email address" },
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
            {
              header: "Status",
              cell: (r) => (
                <StatusTag status={r.status} label={r.status === "exempt" ? exemptionSummary(r) : undefined} />
              ),
            },
            { header: "Since", cell: (r) => formatDate(r.since) },
            { header: "Due or renewal", cell: (r) => dueWords(r) },
          ]}
          rows={evidence.requirements}
          rowKey={(r) => r.requirementId}
        />
      ) : (
        <p className="govuk-body">{nothingRequired(person.leavingDate)}</p>
      )}

      <ExemptionsAndEarlierTraining personId={person.id} />

      {person.active ? (
        <>
          <h2 className="govuk-heading-m" id="assisted-signing">
            Assisted signing
          </h2>
          <p className="govuk-body">
            {person.email
              ? "Someone who cannot sign in on their own can sign on a shared device, witnessed, with a one-time code."
              : "They have no e-mail address, so they sign on a shared device, witnessed, with a one-time code."}{" "}
            The code&rsquo;s issuer cannot also be the witness.
          </p>
          <ul className="govuk-list">
            <li>
              <Link className="govuk-link" to={`/hr/people/${person.id}/one-time-code`}>
                Issue a one-time code<span className="govuk-visually-hidden"> for {person.name}</span>
              </Link>
            </li>
            <li>
              <Link className="govuk-link" to={`/assisted/start/${person.id}`}>
                Witness an assisted signing<span className="govuk-visually-hidden"> for {person.name}</span>
              </Link>
            </li>
          </ul>
        </>
      ) : null}

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
