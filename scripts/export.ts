import { createWriteStream } from "node:fs";
import { userInfo } from "node:os";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { and, eq } from "drizzle-orm";
import { EXPORT_FORMATS, startExport, type ExportFormat } from "~/reporting/export.server";
import { parseReportFilters } from "~/reporting/report.server";
import type { Db } from "~db/client.server";
import { organisations, policyVersions, teams } from "~db/schema";
import { FatalError, openConfiguredDatabase, runCli } from "./lib/runtime";

const USAGE = `npm run export -- --organisation SLUG --format csv|xlsx|xapi|evidence-pack [--out FILE]
  [--team NAME-OR-ID] [--status STATUS ...] [--policy-version LABEL-OR-ID]
  [--completed-from YYYY-MM-DD] [--completed-to YYYY-MM-DD] [--as-at YYYY-MM-DD]
Writes the same file as the HR exports page (to standard output without --out), with progress on standard error.`;

const VALUE_OPTIONS = [
  "organisation",
  "format",
  "out",
  "team",
  "status",
  "policy-version",
  "completed-from",
  "completed-to",
  "as-at",
];

function parseArgs(argv: string[]) {
  const options = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") throw new FatalError(USAGE);
    const name = arg.startsWith("--") ? arg.slice(2) : "";
    if (!VALUE_OPTIONS.includes(name)) throw new FatalError(`Unknown option ${arg}\n${USAGE}`);
    const value = argv[++i];
    if (value === undefined || value.startsWith("--")) throw new FatalError(`--${name} needs a value`);
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  return options;
}

const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

async function teamId(db: Db, organisationId: string, value: string) {
  const [team] = await db
    .select({ id: teams.id })
    .from(teams)
    .where(and(eq(teams.organisationId, organisationId), isUuid(value) ? eq(teams.id, value) : eq(teams.name, value)));
  if (!team) throw new FatalError(`No team "${value}" in this organisation`);
  return team.id;
}

async function policyVersionId(db: Db, organisationId: string, value: string) {
  const [version] = await db
    .select({ id: policyVersions.id })
    .from(policyVersions)
    .where(
      and(
        eq(policyVersions.organisationId, organisationId),
        isUuid(value) ? eq(policyVersions.id, value) : eq(policyVersions.versionLabel, value),
      ),
    );
  if (!version) throw new FatalError(`No version "${value}" of the code of conduct in this organisation`);
  return version.id;
}

/** One line on standard error, rewritten in place on a terminal, every 10 s otherwise (for scheduled runs). */
function progressReporter(label: string, progress: { rows: number }) {
  const started = performance.now();
  const tty = process.stderr.isTTY;
  const line = () => {
    const seconds = (performance.now() - started) / 1000;
    return `${label}: ${progress.rows.toLocaleString("en-GB")} rows in ${seconds.toFixed(1)} s (${Math.round(progress.rows / Math.max(seconds, 0.001)).toLocaleString("en-GB")} rows/s)`;
  };
  const timer = setInterval(() => process.stderr.write(tty ? `\r${line()}` : `${line()}\n`), tty ? 250 : 10_000);
  return () => {
    clearInterval(timer);
    process.stderr.write(`${tty ? "\r" : ""}${line()}\n`);
  };
}

await runCli(async (config) => {
  const options = parseArgs(process.argv.slice(2));
  const one = (name: string) => options.get(name)?.at(-1);
  const format = one("format");
  if (!format || ![...EXPORT_FORMATS, "evidence-pack"].includes(format))
    throw new FatalError(`--format must be one of ${[...EXPORT_FORMATS, "evidence-pack"].join(", ")}\n${USAGE}`);
  const slug = one("organisation");
  if (!slug) throw new FatalError(`--organisation is needed\n${USAGE}`);
  const database = await openConfiguredDatabase(config);
  try {
    const db = database.db;
    const [org] = await db
      .select({ id: organisations.id, xapiIriBase: organisations.xapiIriBase })
      .from(organisations)
      .where(eq(organisations.slug, slug));
    if (!org) {
      const known = await db.select({ slug: organisations.slug }).from(organisations);
      throw new FatalError(`No organisation "${slug}". Known: ${known.map((o) => o.slug).join(", ") || "none"}`);
    }
    const params = new URLSearchParams();
    if (one("team")) params.set("team", await teamId(db, org.id, one("team")!));
    for (const status of options.get("status") ?? []) params.append("status", status);
    if (one("policy-version")) params.set("policyVersion", await policyVersionId(db, org.id, one("policy-version")!));
    if (one("completed-from")) params.set("completedFrom", one("completed-from")!);
    if (one("completed-to")) params.set("completedTo", one("completed-to")!);
    if (one("as-at")) params.set("asAt", one("as-at")!);
    const now = new Date();
    const filters = parseReportFilters(params, now);
    if (!filters.success)
      throw new FatalError(
        filters.error.issues
          .map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`)
          .join("\n"),
      );
    const serviceUrl = config.serviceUrl ?? `http://localhost:${config.port}`;
    if (!config.serviceUrl && !org.xapiIriBase && (format === "xapi" || format === "evidence-pack")) {
      // Outside production only: production requires SERVICE_URL.
      process.stderr.write(
        `SERVICE_URL is not set: this council's xAPI identifiers are now fixed under ${serviceUrl}. Set SERVICE_URL to the service's public address before its first xAPI export.\n`,
      );
    }
    const job = {
      organisationId: org.id,
      filters: filters.data,
      now,
      serviceUrl,
      actor: { userId: null, via: "command line" as const, operator: userInfo().username },
      request: { ip: null, requestId: null },
    };
    // The evidence pack (with pdfkit and yazl) is loaded only when asked for, to keep the other exports small.
    const started =
      format === "evidence-pack"
        ? await (await import("~/reporting/evidence-pack.server")).startEvidencePack(db, job)
        : await startExport(db, format as ExportFormat, job);
    if (!started.ok) {
      if (started.reason === "too-many-rows")
        throw new FatalError(
          `This selection has ${started.rows.toLocaleString("en-GB")} rows: an XLSX export holds at most ${started.max.toLocaleString("en-GB")}. Use --format csv, or narrow the selection.`,
        );
      throw new FatalError("The team or policy version is not this organisation's");
    }
    const out: Writable = one("out") ? createWriteStream(one("out")!) : process.stdout;
    const done = progressReporter(one("out") ?? started.filename, started.progress);
    try {
      // Bytes, not objects: Readable.from would otherwise read up to 16 chunks ahead of the file.
      await pipeline(Readable.from(started.chunks, { objectMode: false, highWaterMark: 1 << 16 }), out);
    } finally {
      done();
    }
  } finally {
    await database.close();
  }
});
