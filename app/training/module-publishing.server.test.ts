import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { and, count, desc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { CurrentUser } from "~/auth/session.server";
import {
  auditLog,
  moduleUploads,
  moduleVersions,
  requirements,
  requirementSettings,
  trainingModules,
} from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aCouncil,
  aCouncilReadyForModules,
  aModuleContent,
  aPerson,
  asCurrentUser,
} from "../../test/support/factories";
import { startOrResumeAttempt } from "./attempts.server";
import type { TrainingModule } from "./content-schema";
import { syncTrainingModules } from "./content-sync.server";
import { moduleContentHash } from "./machine";
import { newPreview, previewPage } from "./module-preview.server";
import {
  changeModuleRequirement,
  moduleUploadFor,
  modulesFor,
  publishModuleUpload,
  uploadModuleFile,
} from "./module-publishing.server";

const database = await freshDatabase();
const db = database.db;
const at = (iso: string) => ({ ip: null, requestId: null, now: new Date(iso) });
let ready: Awaited<ReturnType<typeof aCouncilReadyForModules>>;
let admin: CurrentUser;
let otherAdmin: CurrentUser;
const bytes = (text: string) => new TextEncoder().encode(text);

beforeAll(async () => {
  ready = await aCouncilReadyForModules(db);
  admin = asCurrentUser(ready.admin, ready.organisation);
  const other = await aCouncil(db);
  otherAdmin = asCurrentUser(other.admin, other.organisation);
});

async function rows() {
  const [uploads] = await db.select({ n: count() }).from(moduleUploads);
  const [versions] = await db.select({ n: count() }).from(moduleVersions);
  const [audits] = await db.select({ n: count() }).from(auditLog);
  return { uploads: uploads.n, versions: versions.n, audits: audits.n };
}

describe("uploading a module file", () => {
  it("refuses a file with problems, listing each exactly as npm run content:check prints it, and writes nothing", async () => {
    const broken = ready.moduleFile((m) => {
      const slots = m.slots as { variants: { choices: { citation: { heading: string } }[]; title?: string }[] }[];
      slots[1].variants[0].choices[2].citation.heading = "No such heading";
      delete slots[2].variants[1].title;
      return { ...m, passMark: 2 };
    });
    const before = await rows();
    const result = await uploadModuleFile(
      db,
      admin,
      { name: "personal-use.json", bytes: bytes(broken) },
      at("2026-03-01T10:00:00Z"),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContain("personal-use.json: passMark: Too big: expected number to be <=1");
    expect(result.problems).toContain("personal-use.json: slots[2].variants[1].title: Required");
    expect(await rows()).toEqual(before);

    // The same file in a content folder, checked by the command line: the same lines, file name apart.
    const dir = mkdtempSync(join(tmpdir(), "smcoc-content-"));
    try {
      const slug = ready.organisation.slug;
      mkdirSync(join(dir, slug, "modules"), { recursive: true });
      writeFileSync(join(dir, slug, "policy.txt"), ready.policy.body);
      writeFileSync(join(dir, slug, "organisation.json"), JSON.stringify({ name: ready.organisation.name }));
      const file = join(dir, slug, "modules", "personal-use.json");
      writeFileSync(file, broken);
      const root = resolve(import.meta.dirname, "../..");
      const cli = spawnSync(join(root, "node_modules/.bin/tsx"), ["scripts/content-check.ts", dir], {
        cwd: root,
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(cli.status).toBe(1);
      const printed = cli.stderr
        .split("\n")
        .filter((line) => line.startsWith(file))
        .map((line) => line.replace(file, "personal-use.json"));
      expect(printed.length).toBeGreaterThan(0);
      expect(result.problems).toEqual(printed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("refuses a citation of a heading the council's code of conduct does not have, by its JSON path", async () => {
    const result = await uploadModuleFile(
      db,
      admin,
      {
        name: "m.json",
        bytes: bytes(
          ready.moduleFile((m) => {
            (
              m.slots as { variants: { choices: { citation: { heading: string } }[] }[] }[]
            )[0].variants[0].choices[0].citation.heading = "Made up";
            return m;
          }),
        ),
      },
      at("2026-03-01T10:00:00Z"),
    );
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(
        result.problems.some((p) => p.startsWith("m.json: slots[0].variants[0].choices[0].citation.heading: ")),
      ).toBe(true);
  });

  it("refuses a module of another council, a file that is not UTF-8, not JSON, empty or too large", async () => {
    const before = await rows();
    const upload = (name: string, content: Uint8Array) =>
      uploadModuleFile(db, admin, { name, bytes: content }, at("2026-03-01T10:00:00Z"));
    const otherCouncil = await upload(
      "a.json",
      bytes(ready.moduleFile((m) => ({ ...m, organisation: "somewhere-else" }))),
    );
    expect(otherCouncil).toMatchObject({
      ok: false,
      problems: [`a.json: organisation: Must be "${ready.organisation.slug}", your council`],
    });
    expect(await upload("b.json", new Uint8Array([0x7b, 0xff, 0x7d]))).toMatchObject({
      ok: false,
      error: expect.stringContaining("not UTF-8"),
    });
    const notJson = await upload("c.json", bytes("{ nope"));
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.problems[0]).toMatch(/^c\.json: \(module\): Not valid JSON: /);
    expect(await upload("d.json", new Uint8Array())).toMatchObject({ ok: false, error: "The selected file is empty" });
    expect(await upload("e.json", new Uint8Array(600 * 1024).fill(32))).toMatchObject({ ok: false });
    expect(await rows()).toEqual(before);
  });

  it("refuses every module while the council has no code of conduct in force", async () => {
    const result = await uploadModuleFile(
      db,
      otherAdmin,
      { name: "m.json", bytes: bytes(JSON.stringify(aModuleContent(otherAdmin.organisationSlug))) },
      at("2026-03-01T10:00:00Z"),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join("\n")).toContain("no code of conduct in force");
  });
});

describe("publishing a module", () => {
  let uploadId: string;
  const file = () => ready.moduleFile((m) => ({ ...m, id: "posting-online", title: "Posting online" }));

  it("keeps a file that passes, once however often it is uploaded, for the council's admins only", async () => {
    const first = await uploadModuleFile(
      db,
      admin,
      { name: "posting-online.json", bytes: bytes(file()) },
      at("2026-03-01T10:00:00Z"),
    );
    const again = await uploadModuleFile(
      db,
      admin,
      { name: "posting-online.json", bytes: bytes(file()) },
      at("2026-03-01T10:01:00Z"),
    );
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.uploadId).toBe(first.uploadId);
    uploadId = first.uploadId;
    expect(await moduleUploadFor(db, otherAdmin, uploadId)).toBeNull();
    const found = await moduleUploadFor(db, admin, uploadId);
    expect(found?.module).toBeNull();
    expect(found?.upload.content.title).toBe("Posting online");
    const [audit] = await db.select().from(auditLog).where(eq(auditLog.subjectId, uploadId));
    expect(audit).toMatchObject({ action: "module.uploaded", actorUserId: admin.id });
  });

  it("refuses another council's admin as not found, publishing nothing", async () => {
    const before = await rows();
    expect(
      await publishModuleUpload(
        db,
        otherAdmin,
        uploadId,
        { requiresRetake: false, required: true },
        at("2026-03-01T11:00:00Z"),
      ),
    ).toEqual({ outcome: "not-found" });
    expect(await rows()).toEqual(before);
  });

  it("publishes a new module as a version identified by its content hash, approved by the admin, required only when they say so", async () => {
    const outcome = await publishModuleUpload(
      db,
      admin,
      uploadId,
      { requiresRetake: false, required: false },
      at("2026-03-01T11:00:00Z"),
    );
    expect(outcome).toMatchObject({ outcome: "published", slug: "posting-online" });
    const [module] = await db
      .select()
      .from(trainingModules)
      .where(and(eq(trainingModules.organisationId, admin.organisationId), eq(trainingModules.slug, "posting-online")));
    expect(module.source).toBe("admin");
    const [version] = await db.select().from(moduleVersions).where(eq(moduleVersions.moduleId, module.id));
    expect(version).toMatchObject({ source: "admin", approvedBy: admin.id, requiresRetake: false });
    expect(version.createdAt.toISOString()).toBe("2026-03-01T11:00:00.000Z");
    expect(version.contentHash).toBe(moduleContentHash(version.content as TrainingModule));
    expect(await db.select().from(requirements).where(eq(requirements.moduleId, module.id))).toEqual([]);
    const [audit] = await db.select().from(auditLog).where(eq(auditLog.subjectId, version.id));
    expect(audit).toMatchObject({ action: "module.published", actorUserId: admin.id });
    expect(audit.details).toMatchObject({ contentHash: version.contentHash, slug: "posting-online" });
  });

  it("publishes nothing more on a second submit", async () => {
    const before = await rows();
    expect(
      await publishModuleUpload(
        db,
        admin,
        uploadId,
        { requiresRetake: false, required: false },
        at("2026-03-01T11:00:01Z"),
      ),
    ).toMatchObject({ outcome: "already-published" });
    expect(await rows()).toEqual(before);
  });

  it("makes an admin-published module required and not required when the admin says so, audited; never a content/ module", async () => {
    const [module] = await db.select().from(trainingModules).where(eq(trainingModules.slug, "posting-online"));
    expect(await changeModuleRequirement(db, admin, module.id, true, at("2026-03-02T09:00:00Z"))).toBe("changed");
    expect(await changeModuleRequirement(db, admin, module.id, true, at("2026-03-02T09:00:01Z"))).toBe("unchanged");
    const [requirement] = await db.select().from(requirements).where(eq(requirements.moduleId, module.id));
    expect(requirement.effectiveFrom).toBe("2026-03-02");
    expect(await changeModuleRequirement(db, otherAdmin, module.id, false, at("2026-03-02T09:01:00Z"))).toBe(
      "not-found",
    );
    expect(await changeModuleRequirement(db, admin, module.id, false, at("2026-03-02T10:00:00Z"))).toBe("changed");
    // Never deleted: the requirement is aimed at no team from that day, so past reports keep it (decision 0021).
    const [stopped] = await db
      .select()
      .from(requirementSettings)
      .where(eq(requirementSettings.requirementId, requirement.id))
      .orderBy(desc(requirementSettings.recordedAt))
      .limit(1);
    expect(stopped.teamIds).toEqual([]);
    expect((await modulesFor(db, admin.organisationId)).find((m) => m.id === module.id)?.required).toBe(false);
    const actions = (await db.select().from(auditLog).where(eq(auditLog.actorUserId, admin.id))).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["requirement.added", "requirement.removed"]));

    const fromContent = await syncTrainingModules(
      db,
      [JSON.parse(ready.moduleFile()) as TrainingModule],
      new Date("2026-03-01T08:00:00Z"),
    );
    expect(fromContent.newVersions).toBe(1);
    const [contentModule] = await db.select().from(trainingModules).where(eq(trainingModules.slug, "personal-use"));
    expect(contentModule.source).toBe("content");
    expect(await changeModuleRequirement(db, admin, contentModule.id, false, at("2026-03-02T10:00:00Z"))).toBe(
      "not-found",
    );
    expect(await db.select().from(requirements).where(eq(requirements.moduleId, contentModule.id))).toHaveLength(1);
  });

  it("publishes a new version of a content/ module that staff start from then, leaving attempts already begun on theirs", async () => {
    const staff = asCurrentUser(ready.staff, ready.organisation);
    const begun = (await startOrResumeAttempt(db, staff, "personal-use", new Date("2026-03-02T12:00:00Z")))!;
    const changed = ready.moduleFile((m) => ({ ...m, summary: "A rewritten summary of the module." }));
    const upload = await uploadModuleFile(
      db,
      admin,
      { name: "personal-use.json", bytes: bytes(changed) },
      at("2026-03-03T09:00:00Z"),
    );
    expect(upload.ok).toBe(true);
    if (!upload.ok) return;
    const found = await moduleUploadFor(db, admin, upload.uploadId);
    expect(found?.module).toMatchObject({ source: "content", required: true, sameAsLatest: false });
    expect(
      await publishModuleUpload(
        db,
        admin,
        upload.uploadId,
        { requiresRetake: true, required: null },
        at("2026-03-03T10:00:00Z"),
      ),
    ).toMatchObject({ outcome: "published" });
    const versions = await db
      .select()
      .from(moduleVersions)
      .innerJoin(trainingModules, eq(trainingModules.id, moduleVersions.moduleId))
      .where(eq(trainingModules.slug, "personal-use"))
      .orderBy(moduleVersions.createdAt);
    expect(versions.map((v) => [v.module_versions.source, v.module_versions.requiresRetake])).toEqual([
      ["content", false],
      ["admin", true],
    ]);
    expect((versions[1].module_versions.content as TrainingModule).requiresRetake).toBe(true);
    // The attempt begun before stays on the first version; a new attempt takes the new one.
    expect(await startOrResumeAttempt(db, staff, "personal-use", new Date("2026-03-03T11:00:00Z"))).toBe(begun);
    const { attempts } = await import("~db/schema");
    const [attempt] = await db.select().from(attempts).where(eq(attempts.id, begun));
    expect(attempt.moduleVersionId).toBe(versions[0].module_versions.id);
    const [other] = await db
      .select({ id: trainingModules.id })
      .from(trainingModules)
      .where(eq(trainingModules.slug, "personal-use"));
    const newcomer = asCurrentUser(ready.admin, ready.organisation);
    const fresh = (await startOrResumeAttempt(db, newcomer, "personal-use", new Date("2026-03-03T11:00:00Z")))!;
    const [freshRow] = await db.select().from(attempts).where(eq(attempts.id, fresh));
    expect(freshRow).toMatchObject({ moduleId: other.id, moduleVersionId: versions[1].module_versions.id });

    // content/ read again at the next start adds nothing over what the admin published, even changed content.
    const before = await rows();
    const sync = await syncTrainingModules(
      db,
      [JSON.parse(ready.moduleFile((m) => ({ ...m, summary: "Changed in content/ later." }))) as TrainingModule],
      new Date("2026-03-04T08:00:00Z"),
    );
    expect(sync).toMatchObject({ newVersions: 0, keptFromAdmin: 1 });
    expect(await rows()).toEqual(before);
    const listed = await modulesFor(db, admin.organisationId);
    expect(listed.find((m) => m.slug === "personal-use")?.latest).toMatchObject({
      source: "admin",
      approvedBy: ready.admin.name,
    });
  });
  it("publishes one module when two admins publish the same new module at once; the other is told it is published", async () => {
    const second = asCurrentUser(
      await aPerson(db, { organisationId: ready.organisation.id, role: "admin" }),
      ready.organisation,
    );
    // On PostgreSQL both look the module up before either adds it, in some of these rounds.
    for (let round = 0; round < 10; round++) {
      const slug = `both-admins-${round}`;
      const name = `${slug}.json`;
      const content = bytes(ready.moduleFile((m) => ({ ...m, id: slug, title: `Both admins ${round}` })));
      const uploads = await Promise.all(
        [admin, second].map((who) => uploadModuleFile(db, who, { name, bytes: content }, at("2026-03-05T09:00:00Z"))),
      );
      const outcomes = await Promise.all(
        uploads.map((upload, i) =>
          publishModuleUpload(
            db,
            [admin, second][i],
            upload.ok ? upload.uploadId : "",
            { requiresRetake: false, required: true },
            at("2026-03-05T09:01:00Z"),
          ),
        ),
      );
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(["already-published", "published"]);
      const [module] = await db.select().from(trainingModules).where(eq(trainingModules.slug, slug));
      expect(await db.select().from(moduleVersions).where(eq(moduleVersions.moduleId, module.id))).toHaveLength(1);
      expect(await db.select().from(requirements).where(eq(requirements.moduleId, module.id))).toHaveLength(1);
    }
  });
});

describe("previewing a module", () => {
  it("runs the module as staff take it, from the address alone, to a result", () => {
    const module = JSON.parse(ready.moduleFile()) as TrainingModule;
    let s = newPreview(module);
    let page = previewPage(module, s);
    let answered = 0;
    while (page.kind === "question") {
      expect(page.scenario.choices.length).toBeGreaterThanOrEqual(3);
      const scenarioId = page.scenario.id;
      const variant = module.slots.flatMap((slot) => slot.variants).find((v) => v.id === scenarioId);
      const right = page.scenario.choices.find((c) => variant?.choices.find((x) => x.id === c.id)?.correct);
      const choice = right ?? page.scenario.choices[0];
      const feedback = previewPage(module, s, choice.id);
      expect(feedback.kind).toBe("feedback");
      if (feedback.kind !== "feedback") return;
      s = feedback.next;
      page = previewPage(module, s);
      answered++;
    }
    expect(page.kind).toBe("result");
    if (page.kind === "result") {
      expect(page.passed).toBe(true);
      expect(page.answers.length).toBe(answered);
    }
  });

  it("asks again for an answer that is not a choice, and says an edited address does not fit", () => {
    const module = JSON.parse(ready.moduleFile()) as TrainingModule;
    const s = newPreview(module);
    expect(previewPage(module, s, "no-such-choice")).toMatchObject({ kind: "question", unanswered: true });
    expect(previewPage(module, "not-a-state")).toEqual({ kind: "invalid" });
    const state = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as { answers: string[] };
    const edited = Buffer.from(JSON.stringify({ ...state, answers: ["made-up"] })).toString("base64url");
    expect(previewPage(module, edited)).toEqual({ kind: "invalid" });
  });
});
