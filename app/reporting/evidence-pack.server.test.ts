import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { verifyLedger } from "~/attestation/ledger.server";
import { certificateFor } from "~/attestation/records.server";
import { withdrawAttestation } from "~/attestation/signing.server";
import { withdrawalNoticePdf } from "~/attestation/withdrawal-notice.server";
import { attestations, auditLog, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { pdfText } from "../../test/support/pdf";
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
let blue: Awaited<ReturnType<typeof aTeam>>;
let v1: Awaited<ReturnType<typeof aPolicyVersion>>;
let v2: Awaited<ReturnType<typeof aPolicyVersion>>;
const people: Record<string, Awaited<ReturnType<typeof aPerson>>> = {};
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
    withdrawalNotice?: string;
    withdraws?: string;
    person?: { userId: string; employeeNumber: string; name: string; team: { id: string; name: string } | null };
    policyVersion?: { id: string; label: string; sha256: string; text: string };
  }[];
  filters: Record<string, unknown>;
  teams: { id: string; name: string }[];
};

beforeAll(async () => {
  org = await anOrganisation(db);
  red = await aTeam(db, org.id, "Red");
  blue = await aTeam(db, org.id, "Blue");
  hr = await aPerson(db, {
    organisationId: org.id,
    teamId: blue.id,
    role: "hr",
    name: "Harriet",
    startDate: "2026-01-05",
  });
  const required = await aRequiredModule(db, org.id, { title: "Personal use" });
  v1 = await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2026-01-01" });
  for (const [name, team] of [
    ["Ada", red],
    ["Ben", red],
    ["Cai", blue],
  ] as const) {
    const person = await aPerson(db, { organisationId: org.id, teamId: team.id, name, startDate: "2026-01-05" });
    people[name] = person;
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
  // A second version, whose label would not do as a file name, signed by Cai: two texts, each once.
  v2 = await aPolicyVersion(db, org.id, {
    label: "2 (March/2026)",
    body: "1. Personal use\n\nDo not accept service users or their families as friends.\n",
    effectiveDate: "2026-03-01",
  });
  references.Cai2 = (await aSignature(db, people.Cai, v2, new Date("2026-03-05T10:00:00Z"))).reference;
  // Cai's name changes after signing: the certificate keeps the name typed then, the manifest gives the name now.
  await db.update(users).set({ name: "Cai Jones" }).where(eq(users.id, people.Cai.id));
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
        `certificates/${references.Ben}-withdrawal-notice.pdf`,
        `policies/version-1-${v1.sha256}.txt`,
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

  it("carries a withdrawn record's frozen notice of withdrawal beside its certificate, and its README explains the flag", async () => {
    const { files } = await pack(`team=${red.id}`);
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest;
    const [withdrawal] = await db.select().from(attestations).where(eq(attestations.subjectReference, references.Ben));
    const [record] = await db.select().from(attestations).where(eq(attestations.reference, references.Ben));
    const noticePath = `certificates/${references.Ben}-withdrawal-notice.pdf`;
    expect(manifest.files.find((f) => f.reference === references.Ben)).toMatchObject({
      withdrawn: true,
      withdrawalNotice: noticePath,
    });
    expect(manifest.files.find((f) => f.path === noticePath)).toMatchObject({
      reference: withdrawal.reference,
      recordHash: withdrawal.hash,
      withdraws: references.Ben,
    });
    expect(manifest.files.find((f) => f.reference === references.Ada)).not.toHaveProperty("withdrawalNotice");
    const notice = files.get(noticePath)!;
    expect(notice.toString("latin1")).toContain("/StructTreeRoot");
    const words = pdfText(notice);
    expect(words).toContain(`withdrew record ${references.Ben} on 1 March 2026`);
    expect(words).toContain("Reason given: Signed by mistake");
    expect(words).toContain(withdrawal.hash);
    const again = await withdrawalNoticePdf(db, { record, withdrawal, organisationName: org.name, versionLabel: "1" });
    expect(again.pdf.equals(notice)).toBe(true);
    // The certificate is the one first issued: it says nothing of the withdrawal.
    expect(pdfText(files.get(`certificates/${references.Ben}.pdf`)!)).not.toMatch(/withdr/i);
    const readme = files.get("README.txt")!.toString("utf8");
    expect(readme).toContain('"withdrawn": true');
    expect(readme).toContain("certificates/REFERENCE-withdrawal-notice.pdf");
  });

  it("holds the exact text each person signed, once per version, named by version and sha256 and cited by each record", async () => {
    const { files } = await pack();
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest;
    const texts = [...files.keys()].filter((p) => p.startsWith("policies/")).sort();
    expect(texts).toEqual(
      [`policies/version-1-${v1.sha256}.txt`, `policies/version-2-March-2026-${v2.sha256}.txt`].sort(),
    );
    expect(files.get(`policies/version-1-${v1.sha256}.txt`)!.toString("utf8")).toBe(v1.body);
    expect(files.get(`policies/version-2-March-2026-${v2.sha256}.txt`)!.toString("utf8")).toBe(v2.body);
    const certificates = manifest.files.filter(
      (f) => f.path.startsWith("certificates/") && f.reference && !f.withdraws,
    );
    expect(certificates).toHaveLength(4);
    const signed = await db.select().from(attestations).where(eq(attestations.kind, "signed"));
    for (const entry of certificates) {
      const record = signed.find((r) => r.reference === entry.reference)!;
      expect(entry.policyVersion).toMatchObject({ id: record.policyVersionId, sha256: record.policySha256 });
      // The file it cites hashes to the sha256 the signed record holds.
      const text = files.get(entry.policyVersion!.text)!;
      expect(createHash("sha256").update(text).digest("hex")).toBe(record.policySha256);
    }
    expect(manifest.files.find((f) => f.reference === references.Cai2)!.policyVersion).toMatchObject({
      label: "2 (March/2026)",
      text: `policies/version-2-March-2026-${v2.sha256}.txt`,
    });
    expect(files.get("README.txt")!.toString("utf8")).toContain("policies/");
  });

  it("names teams, and each certificate's person by employee number and name now, as the report does", async () => {
    const { files } = await pack();
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest;
    expect(manifest.teams).toEqual([
      { id: blue.id, name: "Blue" },
      { id: red.id, name: "Red" },
    ]);
    const cai = manifest.files.find((f) => f.reference === references.Cai)!;
    expect(cai.person).toEqual({
      userId: people.Cai.id,
      employeeNumber: people.Cai.employeeNumber,
      name: "Cai Jones",
      team: { id: blue.id, name: "Blue" },
    });
    // The certificate has the name typed at signing; the report matches it to the person by employee number.
    expect(pdfText(files.get(`certificates/${references.Cai}.pdf`)!)).toContain("Cai");
    const report = files.get("report.csv")!.toString("utf8");
    const caiLines = report.split("\r\n").filter((l) => l.includes(people.Cai.employeeNumber));
    expect(caiLines.length).toBeGreaterThan(0);
    for (const line of caiLines) expect(line).toContain('"Cai Jones"');
    expect(caiLines.some((l) => l.includes(references.Cai2))).toBe(true);
    const onlyRed = JSON.parse((await pack(`team=${red.id}`)).files.get("manifest.json")!.toString("utf8")) as Manifest;
    expect(onlyRed.teams).toEqual([{ id: red.id, name: "Red" }]);
    expect(files.get("README.txt")!.toString("utf8")).toContain("employee number");
  });

  it("leaves out a withdrawal recorded after the pack's as-at day", async () => {
    const { files } = await pack(`team=${red.id}&asAt=2026-02-20`);
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest;
    expect(manifest.files.find((f) => f.reference === references.Ben)).toMatchObject({ withdrawn: false });
    expect(files.has(`certificates/${references.Ben}-withdrawal-notice.pdf`)).toBe(false);
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
      serviceUrl: "https://elsewhere.example",
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
      withdrawalNotices: 1,
      policyTexts: 1,
      files: 8,
      outcome: "completed",
      manifestSha256: createHash("sha256").update(files.get("manifest.json")!).digest("hex"),
    });
  });
});
