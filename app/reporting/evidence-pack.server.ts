import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { eq, inArray, sql } from "drizzle-orm";
import yazl from "yazl";
import { chainHead } from "~/attestation/ledger.server";
import { certificateFor } from "~/attestation/records.server";
import type { Db } from "~db/client.server";
import { attestations, organisations, policyVersions } from "~db/schema";
import type { ExportCounter } from "./export-csv.server";
import { streamRows } from "./export-rows.server";
import { audited, chosenFilters, filtersBelongTo, formatChunks, type ExportJob } from "./export.server";
import { reportClock, reportRowsQuery } from "./report.server";

/**
 * An evidence pack for a team (or the whole organisation) and a period, in one ZIP streamed as it is made:
 * the report as CSV, the xAPI statements, each selected person's certificate PDFs (the frozen bytes), a
 * README, and manifest.json listing every other file with its sha256 and the ledger's chain head, so an
 * auditor can check that nothing in it was changed and that every record is in the ledger.
 */
export const MANIFEST_FORMAT = "evidence-pack/1";

type ManifestFile = {
  path: string;
  sha256: string;
  bytes: number;
  rows?: number;
  reference?: string;
  recordHash?: string;
  withdrawn?: boolean;
};

/** Signed records of the people whose code of conduct rows the report selects, in the period, up to the chain head. */
function certificateRecordsQuery(job: ExportJob, headSeq: number) {
  const clock = reportClock(job.filters, job.now);
  const at = clock.now.toISOString();
  const period = [sql`t.recorded_at <= ${at}::timestamptz`];
  if (job.filters.completedFrom)
    period.push(sql`(t.recorded_at at time zone 'Europe/London')::date >= ${job.filters.completedFrom}::date`);
  if (job.filters.completedTo)
    period.push(sql`(t.recorded_at at time zone 'Europe/London')::date <= ${job.filters.completedTo}::date`);
  return sql`
    with sel as (select distinct r.user_id from (${reportRowsQuery(job.organisationId, job.filters, clock)}) r where r.kind = 'policy')
    select t.id::text as id, exists (
      select 1 from attestations w where w.subject_reference = t.reference and w.kind = 'withdrawn' and w.recorded_at <= ${at}::timestamptz
    ) as withdrawn
    from attestations t
    join sel on sel.user_id = t.user_id
    where t.organisation_id = ${job.organisationId}::uuid and t.kind = 'signed' and t.seq <= ${headSeq} and ${sql.join(period, sql` and `)}
    order by t.seq
  `;
}

const README = (head: string) => `Evidence pack

manifest.json lists every other file in this pack with its SHA-256 and size. To check the pack, compute the
SHA-256 of each file (for example \`sha256sum report.csv\`) and compare it with the manifest.

Each certificate names a record of the attestation ledger by its reference and record hash; anyone can check
one at the service's /verify page. The manifest gives the ledger's chain head when the pack was made:
${head}
The service's operators can confirm with \`npm run ledger:verify -- --expect-head REFERENCE:HASH\` that the
chain is intact and still contains that head, so no record up to it was removed or changed.
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
  };
  const chunks = audited(db, packChunks(db, job, org, counter, details), counter, {
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
    if (head) {
      for await (const batch of streamRows<{ id: string; withdrawn: boolean }>(
        db,
        certificateRecordsQuery(job, head.seq),
        100,
      )) {
        if (stopped) return;
        const rows = await db
          .select({ record: attestations, versionLabel: policyVersions.versionLabel })
          .from(attestations)
          .innerJoin(policyVersions, eq(policyVersions.id, attestations.policyVersionId))
          .where(
            inArray(
              attestations.id,
              batch.map((b) => Number(b.id)),
            ),
          )
          .orderBy(attestations.seq);
        const withdrawn = new Map(batch.map((b) => [Number(b.id), b.withdrawn]));
        for (const { record, versionLabel } of rows) {
          if (stopped) return;
          const { pdf } = await certificateFor(db, record, {
            organisationName: org.name,
            versionLabel,
            policySha256: record.policySha256,
          });
          // PDFs are compressed already.
          await addEntry(
            `certificates/${record.reference}.pdf`,
            [pdf],
            { reference: record.reference, recordHash: record.hash, withdrawn: withdrawn.get(record.id) ?? false },
            false,
          );
          certificates++;
        }
      }
    }
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
      ledger: { chainHead: head, records: head?.seq ?? 0 },
      files,
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
    zip.addBuffer(manifestBytes, "manifest.json", { mtime });
    zip.end();
    Object.assign(details, {
      statements: statements.rows,
      certificates,
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
