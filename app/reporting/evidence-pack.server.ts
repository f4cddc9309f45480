import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { eq, inArray, sql, type SQL } from "drizzle-orm";
import yazl from "yazl";
import { ledgerCheckpointForHr } from "~/attestation/checkpoints.server";
import { chainHead } from "~/attestation/ledger.server";
import { assistanceOf, certificateFor } from "~/attestation/records.server";
import { withdrawalNoticePdf } from "~/attestation/withdrawal-notice.server";
import { queryRows, type Db } from "~db/client.server";
import { attestations, evidenceFiles, organisations, policyVersions, teams } from "~db/schema";
import { exemptionReasonWords, type ExportCounter } from "./export-csv.server";
import { streamRows } from "./export-rows.server";
import { audited, chosenFilters, filtersBelongTo, formatChunks, type ExportJob } from "./export.server";
import { exportRowsQuery, reportClock, type ReportRow } from "./report.server";
import { XAPI_RULE } from "./xapi.server";

/**
 * An evidence pack for a team (or the whole organisation) and a period, in one ZIP streamed as it is made:
 * the report as CSV, the xAPI statements, each selected person's certificate PDFs (the frozen bytes) with, beside
 * a withdrawn one, its notice of withdrawal (frozen too), the evidence files of training completed elsewhere that
 * the report's rows count, a README, and manifest.json listing every other file with its sha256 and the ledger's chain head, so an
 * auditor can check that nothing in it was changed and that every record is in the ledger.
 */
export const MANIFEST_FORMAT = "evidence-pack/1";

type Team = { id: string; name: string };

type ManifestFile = {
  path: string;
  sha256: string;
  bytes: number;
  rows?: number;
  reference?: string;
  recordHash?: string;
  /** A certificate's: the person as they are now (names change; the certificate has the name typed at signing). */
  person?: { userId: string; employeeNumber: string; name: string; team: Team | null };
  /** A certificate's: the exact text signed, its sha256 as the record gives it, and the file holding it. */
  policyVersion?: { id: string; label: string; sha256: string; text: string };
  withdrawn?: boolean;
  withdrawalNotice?: string;
  withdraws?: string;
  /** A policy text's: the version it is. */
  textOf?: { id: string; label: string };
  /** An evidence file's: the training completed elsewhere it is the evidence of. */
  evidenceOf?: string;
};

type Person = { userId: string; employeeNumber: string; name: string; team: Team | null };

/** An exempt report row: who, from what, why (in words, with HR's text for "other") and for which days. */
type ExemptionEntry = {
  exemptionId: string;
  person: Person;
  requirement: { id: string; title: string };
  reason: string;
  from: string;
  until: string | null;
};

/**
 * Training completed elsewhere that completes a report row: never a pass of our module nor a signature
 * (docs/decisions/0021). Its evidence file is in the pack unless the retention rule deleted its content; its
 * sha256 is kept either way.
 */
type EarlierTrainingEntry = {
  id: string;
  person: Person;
  requirement: { id: string; title: string };
  completedOn: string;
  description: string;
  recordedBy: string | null;
  evidence: { mediaType: string; bytes: number; sha256: string; file: string | null; deleted: boolean };
};

type ExemptOrEarlierRow = {
  user_id: string;
  employee_number: string;
  name: string;
  team_id: string | null;
  team: string | null;
  requirement_id: string;
  requirement: string;
  status: string;
  exemption_id: string | null;
  exemption_reason: ReportRow["exemption_reason"];
  exemption_reason_text: string | null;
  exempt_from: string | null;
  exempt_until: string | null;
  earlier_training_id: string | null;
  earlier_training: string | null;
  earlier_training_completed_on: string | null;
  earlier_training_recorded_by: string | null;
  file_id: string | null;
  media_type: string | null;
  byte_size: number | null;
  sha256: string | null;
  deleted: boolean | null;
};

const EVIDENCE_EXTENSIONS: Record<string, string> = {
  "application/pdf": "pdf",
  "image/png": "png",
  "image/jpeg": "jpg",
};

/** The report rows of the pack that are exempt or completed by training elsewhere, with that training's evidence file. */
function exemptOrEarlierQuery(job: ExportJob): SQL {
  return sql`
    select r.user_id::text, r.employee_number, r.name, r.team_id::text, r.team, r.requirement_id::text, r.requirement, r.status,
      r.exemption_id::text, r.exemption_reason, r.exemption_reason_text, r.exempt_from, r.exempt_until,
      r.earlier_training_id::text, r.earlier_training, r.earlier_training_completed_on, r.earlier_training_recorded_by,
      f.id::text as file_id, f.media_type, f.byte_size, f.sha256, (f.content is null) as deleted
    from (${exportRowsQuery(job.organisationId, job.filters, job.now)}) r
    left join earlier_training et on et.id = r.earlier_training_id
    left join evidence_files f on f.id = et.evidence_file_id
    where r.status = 'exempt' or r.earlier_training_id is not null
  `;
}

/** A policy version's text file: named by its label (made safe for a file name) and the sha256 of its bytes. */
export function policyTextPath(label: string, sha256: string): string {
  const safe = label.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-.]+|-+$/g, "");
  return `policies/version-${safe || "unlabelled"}-${sha256}.txt`;
}

/**
 * Signed records of the people whose code of conduct rows the report selects, in the period, up to the chain head,
 * each with its withdrawal if one was recorded by the as-at time (and up to the head).
 */
function certificateRecordsQuery(job: ExportJob, headSeq: number) {
  const clock = reportClock(job.filters, job.now);
  const at = clock.now.toISOString();
  const period = [sql`t.recorded_at <= ${at}::timestamptz`];
  if (job.filters.completedFrom)
    period.push(sql`(t.recorded_at at time zone 'Europe/London')::date >= ${job.filters.completedFrom}::date`);
  if (job.filters.completedTo)
    period.push(sql`(t.recorded_at at time zone 'Europe/London')::date <= ${job.filters.completedTo}::date`);
  return sql`
    with sel as (
      select distinct on (r.user_id) r.user_id, r.employee_number, r.name, r.team_id, r.team
      from (${exportRowsQuery(job.organisationId, job.filters, job.now)}) r where r.kind = 'policy'
      order by r.user_id, r.team
    )
    select t.id::text as id, sel.user_id::text, sel.employee_number, sel.name, sel.team_id::text, sel.team, (
      select w.id::text from attestations w
      where w.organisation_id = t.organisation_id and w.subject_reference = t.reference and w.kind = 'withdrawn'
        and w.recorded_at <= ${at}::timestamptz and w.seq <= ${headSeq}
      order by w.seq limit 1
    ) as withdrawal_id
    from attestations t
    join sel on sel.user_id = t.user_id
    where t.organisation_id = ${job.organisationId}::uuid and t.kind = 'signed' and t.seq <= ${headSeq} and ${sql.join(period, sql` and `)}
    order by t.seq
  `;
}

type CertificateRow = {
  id: string;
  user_id: string;
  employee_number: string;
  name: string;
  team_id: string | null;
  team: string | null;
  withdrawal_id: string | null;
};

/** Every team the pack's report rows name (the chosen one, if a team was chosen), by name. */
async function teamsOf(db: Db, job: ExportJob): Promise<Team[]> {
  const rows = await queryRows<Team>(
    db,
    sql`select distinct r.team_id::text as id, r.team as name from (${exportRowsQuery(job.organisationId, job.filters, job.now)}) r
      where r.team_id is not null order by name, id`,
  );
  if (job.filters.team && !rows.some((t) => t.id === job.filters.team)) {
    const [chosen] = await db
      .select({ id: teams.id, name: teams.name })
      .from(teams)
      .where(eq(teams.id, job.filters.team));
    if (chosen) rows.push(chosen);
  }
  return rows;
}

const README = (head: string) => `Evidence pack

manifest.json lists every other file in this pack with its SHA-256 and size. To check the pack, compute the
SHA-256 of each file (for example \`sha256sum report.csv\`) and compare it with the manifest.

The report (report.csv) gives each person's employee number and name as they are now; a certificate gives
the name typed at signing. Each certificate's entry in manifest.json names its person ("person": user id,
employee number, name now and team), so certificates and people can be matched even when a name has changed.
manifest.json's "teams" names every team the pack covers.

The exact text each person signed is in policies/, once per version, as version-LABEL-SHA256.txt (UTF-8). Its
SHA-256 is the one the signed record and the certificate give; each certificate's entry names it in
"policyVersion" ("text" is the file).

Each certificate names a record of the attestation ledger by its reference and record hash; anyone can check
one at the service's /verify page. The manifest gives the ledger's chain head when the pack was made:
${head}
The service's operators can confirm with \`npm run ledger:verify -- --expect-head REFERENCE:HASH\` that the
chain is intact and still contains that head, so no record up to it was removed or changed.

The ledger's records are the leaves of a Merkle tree whose checkpoints the service signs. ledger/checkpoint.txt is
the latest signed checkpoint when the pack was made (it may cover a few records fewer than the head above, signed in
the minute after them): keep it, and the operators can prove with
\`npm run ledger:verify -- --checkpoint checkpoint.txt\` that the ledger still extends it, so no record it covers was
removed or rewritten. ledger/verifier-keys.txt holds the keys that check the checkpoint and each record's receipt
(downloaded from the record's page), and ledger/verify-receipt.html checks a receipt in a browser, offline.

Exemptions. A person HR exempted from a requirement (for parental leave, long-term absence, a secondment, because
it does not apply to their role, or for another reason HR wrote down) has the status "Exempt" in report.csv, with
the reason in words and the first and last day of the exemption (no last day: until HR ends it). An exempt row is
not outstanding, and it is neither a pass nor a signature: nothing was done, and nothing was owed. manifest.json's
"exemptions" lists each exempt row with the same reason and days and the exemption record's id. Exemptions are not
xAPI statements.

Training completed elsewhere. Training a person did before or outside this service (another council's course, a
classroom session), recorded by HR with an evidence file, completes a training module requirement until it
expires like a pass. It is never shown as a pass of our module nor as a signature: report.csv gives it as the
evidence "Training completed elsewhere", with what it was, the day it was completed and who recorded it, and no
attempt. In statements.jsonl it is a statement of its own verb (".../xapi/verbs/completed-elsewhere"), never
"completed" or "passed". manifest.json's "earlierTraining" lists each such record with its evidence file: in
earlier-training/ID.EXT (PDF, PNG or JPEG), with its SHA-256, unless the council's retention rule has deleted the
file's content after the person left ("deleted": true, "file": null; the SHA-256 of what was uploaded is kept).

Withdrawn records. HR can withdraw a signed record (for example one signed by mistake); the withdrawal is a
record of its own in the ledger, and the signed record is never changed. A certificate is kept exactly as it was
first issued, so it never shows a withdrawal. In manifest.json each certificate's entry says "withdrawn": true
if the record had been withdrawn by the pack's "asAt" time, and false if not. A withdrawn record no longer counts
as a signature of the code of conduct. Its notice of withdrawal is beside the certificate, as
certificates/REFERENCE-withdrawal-notice.pdf (named in the certificate's entry as "withdrawalNotice"); the notice's
own entry gives the withdrawal's reference and record hash, which /verify checks too, and "withdraws": the
reference of the certificate it withdraws. Checking a withdrawn certificate's reference and hash on /verify says
that the record is genuine and the day it was withdrawn.
`;

export type EvidencePackStart =
  | { ok: true; filename: string; contentType: string; chunks: AsyncGenerator<Buffer>; progress: ExportCounter }
  | { ok: false; reason: "not-found" };

export async function startEvidencePack(db: Db, job: ExportJob): Promise<EvidencePackStart> {
  if (!(await filtersBelongTo(db, job.organisationId, job.filters))) return { ok: false, reason: "not-found" };
  const [org] = await db
    .select({ id: organisations.id, name: organisations.name, slug: organisations.slug })
    .from(organisations)
    .where(eq(organisations.id, job.organisationId));
  if (!org) return { ok: false, reason: "not-found" };
  const clock = reportClock(job.filters, job.now);
  const counter: ExportCounter = { rows: 0 };
  const details: Record<string, unknown> = {
    format: "evidence-pack",
    filters: chosenFilters(job.filters),
    asAt: clock.now.toISOString(),
    xapiRule: XAPI_RULE,
  };
  const chunks = await audited(db, packChunks(db, job, org, counter, details), counter, {
    action: "evidence-pack.exported",
    organisationId: job.organisationId,
    actor: job.actor,
    request: job.request,
    details,
  });
  const day = job.filters.asAt ?? clock.now.toISOString().slice(0, 10);
  return {
    ok: true,
    filename: `${org.slug}-evidence-pack-${day}.zip`,
    contentType: "application/zip",
    chunks,
    progress: counter,
  };
}

async function* packChunks(
  db: Db,
  job: ExportJob,
  org: { id: string; name: string; slug: string },
  counter: ExportCounter,
  details: Record<string, unknown>,
): AsyncGenerator<Buffer> {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  const mtime = job.now;
  const files: ManifestFile[] = [];
  let stopped = false;
  const entry: { current: Readable | null } = { current: null };

  /** Adds one entry from chunks, hashing them on the way in; resolves once the zip has taken all of it. */
  const addEntry = async (
    path: string,
    source: AsyncIterable<Buffer> | Iterable<Buffer>,
    extra: Partial<ManifestFile> = {},
    compress = true,
  ) => {
    const hash = createHash("sha256");
    let bytes = 0;
    const stream = Readable.from(
      (async function* () {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
    entry.current = stream;
    zip.addReadStream(stream, path, { mtime, compress });
    await finished(stream);
    entry.current = null;
    files.push({ path, sha256: hash.digest("hex"), bytes, ...extra });
  };

  const producing = (async () => {
    const head = await chainHead(db, org.id);
    await addEntry("report.csv", formatChunks(db, "csv", job, counter));
    files[files.length - 1].rows = counter.rows;
    const statements: ExportCounter = { rows: 0 };
    await addEntry("statements.jsonl", formatChunks(db, "xapi", job, statements));
    files[files.length - 1].rows = statements.rows;
    let certificates = 0;
    let withdrawalNotices = 0;
    const texts = new Set<string>();
    if (head) {
      for await (const batch of streamRows<CertificateRow>(db, certificateRecordsQuery(job, head.seq), 100)) {
        if (stopped) return;
        const ids = batch.flatMap((b) => [Number(b.id), ...(b.withdrawal_id ? [Number(b.withdrawal_id)] : [])]);
        const rows = await db
          .select({ record: attestations, versionLabel: policyVersions.versionLabel })
          .from(attestations)
          .innerJoin(policyVersions, eq(policyVersions.id, attestations.policyVersionId))
          .where(inArray(attestations.id, ids))
          .orderBy(attestations.seq);
        const byId = new Map(rows.map((r) => [r.record.id, r.record]));
        const withdrawalOf = new Map(
          batch.map((b) => [Number(b.id), b.withdrawal_id ? byId.get(Number(b.withdrawal_id)) : undefined]),
        );
        const personOf = new Map(batch.map((b) => [Number(b.id), b]));
        for (const { record, versionLabel } of rows) {
          if (stopped) return;
          if (record.kind !== "signed") continue;
          const { pdf } = await certificateFor(db, record, {
            organisationName: org.name,
            versionLabel,
            policySha256: record.policySha256,
            serviceUrl: job.serviceUrl,
            assistance: await assistanceOf(db, record),
          });
          const withdrawal = withdrawalOf.get(record.id);
          const noticePath = `certificates/${record.reference}-withdrawal-notice.pdf`;
          const textPath = policyTextPath(versionLabel, record.policySha256);
          if (!texts.has(textPath)) {
            texts.add(textPath);
            const [version] = await db
              .select({ body: policyVersions.body })
              .from(policyVersions)
              .where(eq(policyVersions.id, record.policyVersionId));
            await addEntry(textPath, [Buffer.from(version.body, "utf8")], {
              textOf: { id: record.policyVersionId, label: versionLabel },
            });
            // The signed record's hash of the text is the one that counts: a stored text that differs is named as such.
            const written = files[files.length - 1];
            if (written.sha256 !== record.policySha256)
              throw new Error(`The stored text of policy version ${versionLabel} does not match its signed sha256`);
          }
          const person = personOf.get(record.id)!;
          // PDFs are compressed already.
          await addEntry(
            `certificates/${record.reference}.pdf`,
            [pdf],
            {
              reference: record.reference,
              recordHash: record.hash,
              person: {
                userId: person.user_id,
                employeeNumber: person.employee_number,
                name: person.name,
                team: person.team_id ? { id: person.team_id, name: person.team ?? "" } : null,
              },
              policyVersion: {
                id: record.policyVersionId,
                label: versionLabel,
                sha256: record.policySha256,
                text: textPath,
              },
              withdrawn: Boolean(withdrawal),
              ...(withdrawal ? { withdrawalNotice: noticePath } : {}),
            },
            false,
          );
          certificates++;
          if (withdrawal) {
            const notice = await withdrawalNoticePdf(db, {
              record,
              withdrawal,
              organisationName: org.name,
              versionLabel,
            });
            await addEntry(
              noticePath,
              [notice.pdf],
              { reference: withdrawal.reference, recordHash: withdrawal.hash, withdraws: record.reference },
              false,
            );
            withdrawalNotices++;
          }
        }
      }
    }
    const exemptionEntries: ExemptionEntry[] = [];
    const earlierEntries: EarlierTrainingEntry[] = [];
    for await (const batch of streamRows<ExemptOrEarlierRow>(db, exemptOrEarlierQuery(job), 100)) {
      for (const row of batch) {
        if (stopped) return;
        const person: Person = {
          userId: row.user_id,
          employeeNumber: row.employee_number,
          name: row.name,
          team: row.team_id ? { id: row.team_id, name: row.team ?? "" } : null,
        };
        const requirement = { id: row.requirement_id, title: row.requirement };
        if (row.status === "exempt" && row.exemption_id) {
          exemptionEntries.push({
            exemptionId: row.exemption_id,
            person,
            requirement,
            reason: exemptionReasonWords(row) ?? "",
            from: row.exempt_from!,
            until: row.exempt_until,
          });
          continue;
        }
        if (!row.earlier_training_id || !row.file_id) continue;
        let file: string | null = null;
        if (!row.deleted) {
          file = `earlier-training/${row.earlier_training_id}.${EVIDENCE_EXTENSIONS[row.media_type ?? ""] ?? "bin"}`;
          const [stored] = await db
            .select({ content: evidenceFiles.content })
            .from(evidenceFiles)
            .where(eq(evidenceFiles.id, row.file_id));
          if (!stored?.content) file = null;
          else await addEntry(file, [Buffer.from(stored.content)], { evidenceOf: row.earlier_training_id }, false);
        }
        earlierEntries.push({
          id: row.earlier_training_id,
          person,
          requirement,
          completedOn: row.earlier_training_completed_on!,
          description: row.earlier_training ?? "",
          recordedBy: row.earlier_training_recorded_by,
          evidence: {
            mediaType: row.media_type ?? "",
            bytes: Number(row.byte_size ?? 0),
            sha256: row.sha256 ?? "",
            file,
            deleted: file === null,
          },
        });
      }
    }
    // The council's latest signed checkpoint, the keys that check it and the offline receipt checker: a copy of the
    // checkpoint outside the service, and everything needed to check a receipt (docs/ledger-proofs.md).
    const { checkpoint, verifierKeys } = await ledgerCheckpointForHr(db, org.id);
    if (checkpoint) await addEntry("ledger/checkpoint.txt", [Buffer.from(checkpoint.signedNote, "utf8")]);
    await addEntry("ledger/verifier-keys.txt", [Buffer.from(verifierKeys.map((k) => `${k}\n`).join(""), "utf8")]);
    await addEntry("ledger/verify-receipt.html", [readFileSync(resolve("public/verify-receipt.html"))]);
    const headLine = head
      ? `sequence ${head.seq}, reference ${head.reference}, hash ${head.hash}`
      : "the ledger had no records";
    await addEntry("README.txt", [Buffer.from(README(headLine), "utf8")]);
    const manifest = {
      format: MANIFEST_FORMAT,
      organisation: org,
      generatedAt: job.now.toISOString(),
      asAt: reportClock(job.filters, job.now).now.toISOString(),
      filters: chosenFilters(job.filters),
      teams: await teamsOf(db, job),
      ledger: {
        chainHead: head,
        records: head?.seq ?? 0,
        checkpoint: checkpoint && {
          origin: checkpoint.origin,
          treeSize: checkpoint.treeSize,
          file: "ledger/checkpoint.txt",
        },
      },
      exemptions: exemptionEntries,
      earlierTraining: earlierEntries,
      files,
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
    zip.addBuffer(manifestBytes, "manifest.json", { mtime });
    zip.end();
    Object.assign(details, {
      statements: statements.rows,
      certificates,
      withdrawalNotices,
      policyTexts: texts.size,
      exemptions: exemptionEntries.length,
      earlierTraining: earlierEntries.length,
      files: files.length + 1,
      chainHead: head,
      manifestSha256: createHash("sha256").update(manifestBytes).digest("hex"),
    });
  })().catch((error: unknown) => {
    output.destroy(error as Error);
  });

  let ended = false;
  try {
    for await (const chunk of output.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
    ended = true;
    await producing;
  } finally {
    stopped = true;
    if (!ended) {
      entry.current?.destroy();
      output.destroy();
      await producing;
    }
  }
}
