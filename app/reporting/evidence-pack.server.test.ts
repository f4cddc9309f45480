import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { verifyLedger } from "~/attestation/ledger.server";
import { certificateFor } from "~/attestation/records.server";
import { withdrawAttestation } from "~/attestation/signing.server";
import { attestations, auditLog } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aPerson,
  aPolicyVersion,
  aRequiredModule,
  aSignature,
  aTeam,
  anAttempt,
  anOrganisation,
  asCurrentUser,
} from "../../test/support/factories";
import { MANIFEST_FORMAT, startEvidencePack } from "./evidence-pack.server";
import { startExport, type ExportJob } from "./export.server";
import { parseReportFilters } from "./report.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-05-01T12:00:00Z");

let org: Awaited<ReturnType<typeof anOrganisation>>;
let hr: Awaited<ReturnType<typeof aPerson>>;
let red: Awaited<ReturnType<typeof aTeam>>;
const references: Record<string, string> = {};

const job = (query = ""): ExportJob => {
  const parsed = parseReportFilters(new URLSearchParams(query), now);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  return {
    organisationId: org.id,
    filters: parsed.data,
    now,
    serviceUrl: "https://smcoc.example",
    actor: { userId: hr.id, via: "web" },
    request: { ip: null, requestId: null },
  };
};

async function collect(chunks: AsyncIterable<Buffer>) {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Every file of a ZIP, read back with yauzl (which checks each entry's CRC-32). */
function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error || !file) return reject(error);
      const files = new Map<string, Buffer>();
      file.on("entry", (entry: yauzl.Entry) => {
        file.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const parts: Buffer[] = [];
          stream.on("data", (c: Buffer) => parts.push(c));
          stream.on("end", () => {
            files.set(entry.fileName, Buffer.concat(parts));
            file.readEntry();
          });
        });
      });
      file.on("end", () => resolve(files));
      file.on("error", reject);
      file.readEntry();
    });
  });
}

async function pack(query = "") {
  const started = await startEvidencePack(db, job(query));
  if (!started.ok) throw new Error(started.reason);
  return { ...started, files: await unzip(await collect(started.chunks)) };
}

type Manifest = {
  format: string;
  ledger: { chainHead: { seq: number; reference: string; hash: string } | null; records: number };
  files: {
    path: string;
    sha256: string;
    bytes: number;
    rows?: number;
    reference?: string;
    recordHash?: string;
    withdrawn?: boolean;
  }[];
  filters: Record<string, unknown>;
};

beforeAll(async () => {
  org = await anOrganisation(db);
  red = await aTeam(db, org.id, "Red");
  const blue = await aTeam(db, org.id, "Blue");
  hr = await aPerson(db, {
    organisationId: org.id,
    teamId: blue.id,
    role: "hr",
    name: "Harriet",
    startDate: "2026-01-05",
  });
  const required = await aRequiredModule(db, org.id, { title: "Personal use" });
  const v1 = await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2026-01-01" });
  for (const [name, team] of [
    ["Ada", red],
    ["Ben", red],
    ["Cai", blue],
  ] as const) {
    const person = await aPerson(db, { organisationId: org.id, teamId: team.id, name, startDate: "2026-01-05" });
    await anAttempt(db, person, required, {
      status: "passed",
      startedAt: new Date("2026-02-01T09:00:00Z"),
      completedAt: new Date("2026-02-01T09:20:00Z"),
    });
    references[name] = (
      await aSignature(db, person, v1, new Date(`2026-02-0${name.length + Object.keys(references).length}T10:00:00Z`))
    ).reference;
  }
  const withdrawn = await withdrawAttestation(
    db,
    asCurrentUser(hr, org),
    { reference: references.Ben, reason: "Signed by mistake" },
    { ip: null, requestId: null, now: new Date("2026-03-01T10:00:00Z") },
  );
  if (!withdrawn.ok) throw new Error("could not withdraw");
});

describe("the evidence pack", () => {
  it("holds the report, the statements, the certificates, a README and a manifest whose hashes match every file", async () => {
    const { files, filename, contentType } = await pack(`team=${red.id}`);
    expect(contentType).toBe("application/zip");
    expect(filename).toBe(`${org.slug}-evidence-pack-2026-05-01.zip`);
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest;
    expect(manifest.format).toBe(MANIFEST_FORMAT);
    expect(manifest.filters).toEqual({ team: red.id });
    expect([...files.keys()].sort()).toEqual(
      [
        "README.txt",
        "manifest.json",
        "report.csv",
        "statements.jsonl",
        `certificates/${references.Ada}.pdf`,
        `certificates/${references.Ben}.pdf`,
      ].sort(),
    );
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      [...files.keys()].filter((p) => p !== "manifest.json").sort(),
    );
    for (const entry of manifest.files) {
      const bytes = files.get(entry.path)!;
      expect(createHash("sha256").update(bytes).digest("hex"), entry.path).toBe(entry.sha256);
      expect(bytes.length).toBe(entry.bytes);
    }
    expect(manifest.files.find((f) => f.reference === references.Ben)).toMatchObject({ withdrawn: true });
    expect(manifest.files.find((f) => f.reference === references.Ada)).toMatchObject({ withdrawn: false });
  });

  it("names the ledger's chain head, as ledger:verify reports it", async () => {
    const { files } = await pack();
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest;
    const report = await verifyLedger(db, { organisationId: org.id });
    expect(report.ok).toBe(true);
    expect(manifest.ledger.chainHead).toMatchObject(report.chains[0].head!);
    expect(manifest.ledger.records).toBe(report.chains[0].records);
    expect(files.get("README.txt")!.toString("utf8")).toContain(report.chains[0].head!.hash);
  });

  it("carries the same CSV and statements as the exports, and each certificate's frozen bytes", async () => {
    const { files } = await pack();
    const csv = await startExport(db, "csv", job());
    const statements = await startExport(db, "xapi", job());
    if (!csv.ok || !statements.ok) throw new Error("refused");
    expect(files.get("report.csv")!.equals(await collect(csv.chunks))).toBe(true);
    expect(files.get("statements.jsonl")!.equals(await collect(statements.chunks))).toBe(true);
    const [record] = await db.select().from(attestations).where(eq(attestations.reference, references.Cai));
    const certificate = await certificateFor(db, record, {
      organisationName: org.name,
      versionLabel: "1",
      policySha256: record.policySha256,
    });
    expect(files.get(`certificates/${references.Cai}.pdf`)!.equals(certificate.pdf)).toBe(true);
  });

  it("is written to the audit log with its filters, counts and the manifest's own hash", async () => {
    const { files } = await pack(`team=${red.id}`);
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "evidence-pack.exported"))
      .orderBy(sql`${auditLog.id} desc`)
      .limit(1);
    expect(entry).toMatchObject({ organisationId: org.id, actorUserId: hr.id });
    expect(entry.details).toMatchObject({
      format: "evidence-pack",
      filters: { team: red.id },
      rows: 4,
      certificates: 2,
      files: 6,
      outcome: "completed",
      manifestSha256: createHash("sha256").update(files.get("manifest.json")!).digest("hex"),
    });
  });
});
