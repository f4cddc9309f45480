import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { checkpointLedger, latestCheckpoint } from "~/attestation/checkpoints.server";
import { verifyLedger } from "~/attestation/ledger.server";
import { serviceKeys } from "~/attestation/service-key.server";
import { openCheckpoint } from "~/ledger-proof/checkpoint";
import { noteVerifier } from "~/ledger-proof/note";
import { certificateFor } from "~/attestation/records.server";
import { withdrawAttestation } from "~/attestation/signing.server";
import { withdrawalNoticePdf } from "~/attestation/withdrawal-notice.server";
import { recordEarlierTraining } from "~/tracking/earlier-training.server";
import { recordExemption } from "~/tracking/exemptions.server";
import { exemptionSchema } from "~/tracking/forms";
import { attestations, auditLog, earlierTraining, evidenceFiles, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { pdfText } from "../../test/support/pdf";
import { collect } from "../../test/support/streams";
import { unzip } from "../../test/support/zip";
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

async function pack(query = "") {
  const started = await startEvidencePack(db, job(query));
  if (!started.ok) throw new Error(started.reason);
  return { ...started, files: await unzip(await collect(started.chunks)) };
}

type Manifest = {
  format: string;
  ledger: {
    chainHead: { seq: number; reference: string; hash: string } | null;
    records: number;
    checkpoint: { origin: string; treeSize: number; file: string } | null;
  };
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
        // No checkpoint yet: the keys and the receipt checker only.
        "ledger/verifier-keys.txt",
        "ledger/verify-receipt.html",
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
      files: 10, // with the ledger's verifier keys and receipt checker
      outcome: "completed",
      manifestSha256: createHash("sha256").update(files.get("manifest.json")!).digest("hex"),
    });
  });
});

describe("the evidence pack's exemptions and training completed elsewhere", () => {
  it("lists exempt rows with their reason and days, and training completed elsewhere as what it is, with its evidence file", async () => {
    const council = await anOrganisation(db);
    const office = await aTeam(db, council.id, "Office");
    const required = await aRequiredModule(db, council.id, { title: "Personal use" });
    await aPolicyVersion(db, council.id, { label: "1", effectiveDate: "2026-01-01" });
    const hrRow = await aPerson(db, {
      organisationId: council.id,
      teamId: office.id,
      role: "hr",
      name: "Hazel Records",
      startDate: "2026-01-05",
    });
    const hrUser = asCurrentUser(hrRow, council);
    const away = await aPerson(db, {
      organisationId: council.id,
      teamId: office.id,
      name: "Away",
      startDate: "2026-01-05",
    });
    const trained = await aPerson(db, {
      organisationId: council.id,
      teamId: office.id,
      name: "Trained",
      startDate: "2026-01-05",
    });
    // Left at the end of March; their evidence's content is deleted by the retention rule afterwards.
    const leaver = await aPerson(db, {
      organisationId: council.id,
      teamId: office.id,
      name: "Leaver",
      startDate: "2026-01-05",
      leavingDate: "2026-04-01",
    });
    const at = (iso: string) => ({ ip: null, requestId: null, now: new Date(iso) });
    expect(
      await recordExemption(
        db,
        hrUser,
        away.id,
        exemptionSchema.parse({
          requirementId: required.requirement.id,
          reason: "other",
          reasonText: "On a sabbatical",
          startsOn: "2026-03-01",
          endsOn: "2026-09-30",
          approvedBy: "Head of HR",
        }),
        at("2026-02-20T10:00:00Z"),
      ),
    ).toMatchObject({ ok: true });
    const pdf = Buffer.from("%PDF-1.4\ncertificate of a classroom course\n%%EOF\n");
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    for (const [person, bytes] of [
      [trained, pdf],
      [leaver, png],
    ] as const)
      expect(
        (
          await recordEarlierTraining(
            db,
            hrUser,
            person.id,
            {
              requirementId: required.requirement.id,
              completedOn: "2026-02-10",
              description: "Classroom course at Barset Council",
              file: { name: "evidence", bytes: new Uint8Array(bytes) },
            },
            at("2026-02-12T10:00:00Z"),
          )
        ).ok,
      ).toBe(true);
    const records = await db.select().from(earlierTraining).where(eq(earlierTraining.organisationId, council.id));
    const trainedRecord = records.find((r) => r.userId === trained.id)!;
    const leaverRecord = records.find((r) => r.userId === leaver.id)!;
    await db
      .update(evidenceFiles)
      .set({ content: null, deletedAt: new Date("2026-04-30T00:00:00Z") })
      .where(eq(evidenceFiles.id, leaverRecord.evidenceFileId));

    const started = await startEvidencePack(db, { ...job("asAt=2026-03-15"), organisationId: council.id });
    if (!started.ok) throw new Error(started.reason);
    const files = await unzip(await collect(started.chunks));
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest & {
      exemptions: unknown[];
      earlierTraining: { id: string; evidence: { file: string | null } }[];
    };
    const personOf = (p: typeof away) => ({
      userId: p.id,
      employeeNumber: p.employeeNumber,
      name: p.name,
      team: { id: office.id, name: "Office" },
    });
    expect(manifest.exemptions).toEqual([
      {
        exemptionId: expect.any(String),
        person: personOf(away),
        requirement: { id: required.requirement.id, title: "Personal use" },
        reason: "Other: On a sabbatical",
        from: "2026-03-01",
        until: "2026-09-30",
      },
    ]);
    const evidenceSha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
    expect(manifest.earlierTraining.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [
        {
          id: trainedRecord.id,
          person: personOf(trained),
          requirement: { id: required.requirement.id, title: "Personal use" },
          completedOn: "2026-02-10",
          description: "Classroom course at Barset Council",
          recordedBy: "Hazel Records",
          evidence: {
            mediaType: "application/pdf",
            bytes: pdf.length,
            sha256: evidenceSha(pdf),
            file: `earlier-training/${trainedRecord.id}.pdf`,
            deleted: false,
          },
        },
        {
          id: leaverRecord.id,
          person: personOf(leaver),
          requirement: { id: required.requirement.id, title: "Personal use" },
          completedOn: "2026-02-10",
          description: "Classroom course at Barset Council",
          recordedBy: "Hazel Records",
          // Deleted by the retention rule: the hash of what was uploaded stays.
          evidence: { mediaType: "image/png", bytes: png.length, sha256: evidenceSha(png), file: null, deleted: true },
        },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    // The evidence file is in the pack, listed with its hash like every other file.
    expect(files.get(`earlier-training/${trainedRecord.id}.pdf`)!.equals(pdf)).toBe(true);
    expect(manifest.files.find((f) => f.path === `earlier-training/${trainedRecord.id}.pdf`)).toMatchObject({
      sha256: evidenceSha(pdf),
      evidenceOf: trainedRecord.id,
    });
    expect([...files.keys()].filter((f) => f.startsWith("earlier-training/"))).toHaveLength(1);
    // The report in the pack: exempt with the reason, trained elsewhere as what it is, never a pass nor a signature.
    const report = files.get("report.csv")!.toString("utf8");
    const lineOf = (p: typeof away) =>
      report.split("\r\n").find((l) => l.includes(p.id) && l.includes("Training module"))!;
    expect(lineOf(away)).toContain(",Exempt,");
    expect(lineOf(away)).toContain('"Other: On a sabbatical",2026-03-01,2026-09-30');
    expect(lineOf(trained)).toContain(",Training completed elsewhere,");
    expect(lineOf(trained)).toContain(`,${trainedRecord.id},`);
    expect(lineOf(trained)).not.toContain("Passed attempt");
    // The statements say "completed elsewhere", never completed or passed.
    const statements = files.get("statements.jsonl")!.toString("utf8");
    expect(statements).toContain("/xapi/verbs/completed-elsewhere");
    expect(statements).not.toContain("http://adlnet.gov/expapi/verbs/passed");
    const readme = files.get("README.txt")!.toString("utf8");
    for (const words of [
      '"exemptions"',
      '"earlierTraining"',
      "Training completed elsewhere",
      "earlier-training/ID.EXT",
    ])
      expect(readme).toContain(words);
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "evidence-pack.exported"))
      .orderBy(sql`${auditLog.id} desc`)
      .limit(1);
    expect(entry.details).toMatchObject({ exemptions: 1, earlierTraining: 2 });
  });

  it("carries the latest signed checkpoint, the keys that check it and the offline receipt checker", async () => {
    await checkpointLedger(db, org.id);
    const latest = (await latestCheckpoint(db, org.id))!;
    const { files } = await pack();
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Manifest;
    expect(manifest.ledger.checkpoint).toEqual({
      origin: latest.origin,
      treeSize: manifest.ledger.records,
      file: "ledger/checkpoint.txt",
    });
    const keys = files.get("ledger/verifier-keys.txt")!.toString("utf8");
    expect(keys).toBe(`${serviceKeys().signer.verifierKey}\n`);
    const opened = await openCheckpoint(
      files.get("ledger/checkpoint.txt")!.toString("utf8"),
      await Promise.all(
        keys
          .trim()
          .split("\n")
          .map((k) => noteVerifier(k)),
      ),
    );
    expect(opened.checkpoint.size).toBe(latest.treeSize);
    expect(files.get("ledger/verify-receipt.html")!.equals(readFileSync("public/verify-receipt.html"))).toBe(true);
    expect(files.get("README.txt")!.toString("utf8")).toContain("npm run ledger:verify -- --checkpoint checkpoint.txt");
  });
});
