import { createHash } from "node:crypto";
import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLog, policyVersions } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aPolicyVersion } from "../../test/support/factories";
import {
  decodePolicyFile,
  policyVersionDraft,
  publishPolicyVersion,
  publishPolicyVersionOnce,
  publishSchema,
  PublishError,
} from "./policies.server";
import { readPolicyForm } from "./policy-form.server";

const database = await freshDatabase();
const db = database.db;
let council: Awaited<ReturnType<typeof aCouncil>>;
const request = { ip: null, requestId: null };
const sha256 = (text: string) => createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");

beforeAll(async () => {
  council = await aCouncil(db);
  await aPolicyVersion(db, council.organisation.id, {
    label: "1",
    body: "Our code\n\n1. Personal use\n\nDo not accept service users as friends.\n",
    effectiveDate: "2026-01-01",
  });
});

function formOf(fields: Record<string, string | File>) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

const goodFields = {
  body: "Our code\r\n\r\n1. Personal use\r\n\r\nNever accept service users as friends.\r\n",
  versionLabel: "2",
  "effectiveDate-day": "1",
  "effectiveDate-month": "4",
  "effectiveDate-year": "2026",
  requiresReattestation: "yes",
};

async function versionRows() {
  const [row] = await db.select({ n: count() }).from(policyVersions);
  return row.n;
}

describe("the text of a version", () => {
  it("is stored with every line ending made LF, and hashed as exactly those UTF-8 bytes", async () => {
    const version = await publishPolicyVersion(
      db,
      council.organisation.id,
      { versionLabel: "0.9", effectiveDate: "2025-06-01", requiresReattestation: false, body: "A\r\nB\rC\n“D”" },
      { userId: null, request },
    );
    expect(version.body).toBe("A\nB\nC\n“D”");
    expect(version.sha256).toBe(sha256("A\nB\nC\n“D”"));
  });

  it("is refused when empty or only white space, and nothing is written", async () => {
    const before = await versionRows();
    for (const body of ["", " \r\n \t\n"]) {
      expect(publishSchema.safeParse({ ...publishInput(), body }).success).toBe(false);
      await expect(
        publishPolicyVersion(db, council.organisation.id, { ...publishInput(), body }, { userId: null, request }),
      ).rejects.toThrow(PublishError);
    }
    expect(await versionRows()).toBe(before);
  });

  it("is read from a file as UTF-8 only, without a byte-order mark", () => {
    expect(decodePolicyFile(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ ok: true, text: "A" });
    expect(decodePolicyFile(new Uint8Array([0x41, 0xe9, 0x42]))).toMatchObject({ ok: false });
  });
});

function publishInput() {
  return { versionLabel: "x", effectiveDate: "2026-05-01", requiresReattestation: true, body: "Text" };
}

describe("the publish form", () => {
  it("reads pasted text, label, date and answer, with line endings made LF", async () => {
    const read = await readPolicyForm(formOf(goodFields));
    expect(read).toMatchObject({
      ok: true,
      input: {
        versionLabel: "2",
        effectiveDate: "2026-04-01",
        requiresReattestation: true,
        body: "Our code\n\n1. Personal use\n\nNever accept service users as friends.\n",
      },
    });
  });

  it("reads an uploaded UTF-8 file, and refuses one that is not UTF-8 or comes with pasted text too", async () => {
    const file = (bytes: number[] | string) =>
      new File([typeof bytes === "string" ? bytes : new Uint8Array(bytes)], "policy.txt", { type: "text/plain" });
    const fromFile = await readPolicyForm(formOf({ ...goodFields, body: "", file: file("Line one\r\nLine two") }));
    expect(fromFile).toMatchObject({ ok: true, input: { body: "Line one\nLine two" } });
    const latin1 = await readPolicyForm(formOf({ ...goodFields, body: "", file: file([0x43, 0x61, 0x66, 0xe9]) }));
    expect(latin1).toMatchObject({ ok: false, errors: { file: expect.stringContaining("not UTF-8") } });
    const both = await readPolicyForm(formOf({ ...goodFields, file: file("Text") }));
    expect(both).toMatchObject({ ok: false, errors: { body: "Paste the text or upload a file, not both" } });
  });

  it("says what is wrong with each field, in the order the form asks", async () => {
    const read = await readPolicyForm(
      formOf({
        body: "  ",
        versionLabel: "two/three",
        "effectiveDate-day": "31",
        "effectiveDate-month": "2",
        "effectiveDate-year": "2026",
      }),
    );
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.errors).toEqual({
      body: "The policy text is empty",
      versionLabel: "Version label must be letters and numbers, with full stops, hyphens or spaces between, like 2.1",
      effectiveDate: "The date it takes effect must be a real date",
      requiresReattestation: "Select whether everyone must sign this version again",
    });
    const noDate = await readPolicyForm(
      formOf({ ...goodFields, "effectiveDate-day": "", "effectiveDate-month": "", "effectiveDate-year": "" }),
    );
    expect(noDate).toMatchObject({ ok: false, errors: { effectiveDate: "Enter the date it takes effect" } });
    const partDate = await readPolicyForm(formOf({ ...goodFields, "effectiveDate-month": "" }));
    expect(partDate).toMatchObject({
      ok: false,
      errors: { effectiveDate: "The date it takes effect must include a month" },
    });
  });
});

describe("checking and publishing from the admin pages", () => {
  it("shows the difference from the version in force, and a label already used", async () => {
    const read = await readPolicyForm(formOf(goodFields));
    if (!read.ok) throw new Error("the form should be valid");
    const draft = await policyVersionDraft(db, council.organisation.id, read.input, "2026-03-01");
    expect(draft.inForce?.versionLabel).toBe("1");
    expect(draft.inForce?.unchanged).toBe(false);
    const changed = draft.inForce!.diff.filter((row) => row.kind === "change");
    expect(JSON.stringify(changed)).toContain("Never");
    expect(draft.sha256).toBe(sha256(read.input.body));
    expect(draft.labelTaken).toBe(false);
    const taken = await policyVersionDraft(
      db,
      council.organisation.id,
      { ...read.input, versionLabel: "1" },
      "2026-03-01",
    );
    expect(taken.labelTaken).toBe(true);
  });

  it("publishes once however often the form is sent, audited as the admin; another text under the same label is refused", async () => {
    const read = await readPolicyForm(formOf(goodFields));
    if (!read.ok) throw new Error("the form should be valid");
    const actor = { userId: council.admin.id, request, now: new Date("2026-03-01T10:00:00Z") };
    const [first, second] = await Promise.all([
      publishPolicyVersionOnce(db, council.organisation.id, read.input, actor),
      publishPolicyVersionOnce(db, council.organisation.id, read.input, actor),
    ]);
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.version.id).toBe(first.version.id);
    const rows = await db.select().from(policyVersions).where(eq(policyVersions.versionLabel, "2"));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      publishedBy: council.admin.id,
      effectiveDate: "2026-04-01",
      requiresReattestation: true,
    });
    const audits = await db.select().from(auditLog).where(eq(auditLog.subjectId, rows[0].id));
    expect(audits).toMatchObject([{ action: "policy.published", actorUserId: council.admin.id }]);

    const before = await versionRows();
    const other = await publishPolicyVersionOnce(
      db,
      council.organisation.id,
      { ...read.input, body: "Something else" },
      actor,
    );
    expect(other).toEqual({ ok: false, error: "Version 2 already exists: give this version another label" });
    expect(await versionRows()).toBe(before);
  });
});
