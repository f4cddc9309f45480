import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { and, desc, eq, lte } from "drizzle-orm";
import { z } from "zod";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { ensurePolicyRequirement } from "~/tracking/requirements.server";
import { policyDiff } from "./policy-diff.server";
import { policyBlocks } from "./policy-text";
import { isUniqueViolation, type Db } from "~db/client.server";
import { organisations, policies, policyVersions, users } from "~db/schema";

export const POLICY_SLUG = "social-media-code-of-conduct";

export function sha256OfBytes(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const policyMetadata = z.object({
  title: z.string().min(1),
  versionLabel: z.string().min(1).max(40),
  effectiveDate: z.iso.date(),
  requiresReattestation: z.boolean(),
});

/** A version label's form: letters and numbers, with full stops, hyphens or spaces between, like "2", "2.1" or "2027 A". */
export const VERSION_LABEL = /^[A-Za-z0-9]+(?:[ .-][A-Za-z0-9]+)*$/;

/** Every line ending made LF, for the command line and the admin pages alike: the exact text stored, shown and hashed. */
export function normalisePolicyText(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** A policy file's bytes as text: UTF-8 only (a byte-order mark is dropped), refused with a sentence otherwise. */
export function decodePolicyFile(bytes: Uint8Array): { ok: true; text: string } | { ok: false; error: string } {
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, error: "The file is not UTF-8 text. Save it as UTF-8 text (.txt) and upload it again" };
  }
}

export const publishSchema = z.object({
  versionLabel: z
    .string()
    .trim()
    .min(1, "Enter a version label")
    .max(40, "Version label must be 40 characters or fewer")
    .regex(
      VERSION_LABEL,
      "Version label must be letters and numbers, with full stops, hyphens or spaces between, like 2.1",
    ),
  effectiveDate: z.iso.date("Enter the date the version takes effect, like 2027-01-31"),
  requiresReattestation: z.boolean(),
  body: z
    .string()
    .transform(normalisePolicyText)
    .refine((body) => body.trim().length > 0, "The policy text is empty"),
});

export type PublishInput = z.infer<typeof publishSchema>;

/** The organisation's code of conduct, created with its signing requirement on first publication. */
async function ensurePolicy(db: Db, organisationId: string, title: string, now: Date) {
  const [existing] = await db
    .select()
    .from(policies)
    .where(and(eq(policies.organisationId, organisationId), eq(policies.slug, POLICY_SLUG)));
  if (existing) return existing;
  const [created] = await db
    .insert(policies)
    .values({ organisationId, slug: POLICY_SLUG, title })
    .onConflictDoNothing()
    .returning();
  const policy =
    created ??
    (
      await db
        .select()
        .from(policies)
        .where(and(eq(policies.organisationId, organisationId), eq(policies.slug, POLICY_SLUG)))
    )[0];
  await ensurePolicyRequirement(db, organisationId, policy.id, now);
  return policy;
}

export class PublishError extends Error {}

/**
 * Publishes a new version of an organisation's code of conduct: its text with line endings made LF, and the
 * sha256 of exactly those UTF-8 bytes. The one way to publish: the command line, content/ and the admin pages.
 */
export async function publishPolicyVersion(
  db: Db,
  organisationId: string,
  input: PublishInput & { title?: string },
  actor: { userId: string | null; request: RequestInfo; now?: Date },
) {
  return db.transaction(async (tx) => {
    const now = actor.now ?? new Date();
    const body = normalisePolicyText(input.body);
    if (body.trim().length === 0) throw new PublishError("The policy text is empty");
    const policy = await ensurePolicy(tx, organisationId, input.title ?? "Social media code of conduct", now);
    const [clash] = await tx
      .select({ id: policyVersions.id })
      .from(policyVersions)
      .where(and(eq(policyVersions.policyId, policy.id), eq(policyVersions.versionLabel, input.versionLabel)));
    if (clash) throw new PublishError(`Version ${input.versionLabel} already exists`);
    const [version] = await tx
      .insert(policyVersions)
      .values({
        policyId: policy.id,
        organisationId,
        versionLabel: input.versionLabel,
        body,
        sha256: sha256OfBytes(Buffer.from(body, "utf8")),
        effectiveDate: input.effectiveDate,
        requiresReattestation: input.requiresReattestation,
        publishedAt: now,
        publishedBy: actor.userId,
      })
      .returning();
    await writeAudit(
      tx,
      {
        action: "policy.published",
        organisationId,
        actorUserId: actor.userId,
        subjectType: "policy_version",
        subjectId: version.id,
        details: {
          versionLabel: version.versionLabel,
          sha256: version.sha256,
          requiresReattestation: version.requiresReattestation,
        },
      },
      actor.request,
    );
    return version;
  });
}

/** An organisation's code of conduct in content/<slug>/ (policy.txt and policy.json), or null when it has none. */
export function readPolicyContent(contentDir: string, slug: string): (PublishInput & { title: string }) | null {
  const textFile = join(contentDir, slug, "policy.txt");
  const metaFile = join(contentDir, slug, "policy.json");
  if (!existsSync(textFile) || !existsSync(metaFile)) return null;
  const meta = policyMetadata.parse(JSON.parse(readFileSync(metaFile, "utf8")));
  // Decoded as UTF-8; publishPolicyVersion makes its line endings LF, as for every other way of publishing.
  return { ...meta, body: readFileSync(textFile).toString("utf8") };
}

/** Loads each organisation's policy text from content/<slug>/policy.txt as version 1, once. The running product never reads ../shared. */
export async function syncPolicyContent(
  db: Db,
  contentDir: string,
  options: { now?: (effectiveDate: string) => Date } = {},
) {
  let published = 0;
  for (const org of await db.select().from(organisations)) {
    const content = readPolicyContent(contentDir, org.slug);
    if (!content) continue;
    const [anyVersion] = await db
      .select({ id: policyVersions.id })
      .from(policyVersions)
      .where(eq(policyVersions.organisationId, org.id))
      .limit(1);
    if (anyVersion) continue;
    await publishPolicyVersion(db, org.id, content, {
      userId: null,
      request: { ip: null, requestId: null },
      now: options.now?.(content.effectiveDate),
    });
    published++;
  }
  return { published };
}

/** The version in force on a day: the latest published whose effective date has come. */
export async function currentPolicyVersion(db: Db, organisationId: string, today: string) {
  const [version] = await db
    .select()
    .from(policyVersions)
    .where(and(eq(policyVersions.organisationId, organisationId), lte(policyVersions.effectiveDate, today)))
    .orderBy(desc(policyVersions.effectiveDate), desc(policyVersions.publishedAt))
    .limit(1);
  return version ?? null;
}

/** Every version of the organisation's code of conduct, newest first, with who published it (null: the command line or content/). */
export async function policyVersionsFor(db: Db, organisationId: string) {
  return db
    .select({
      id: policyVersions.id,
      versionLabel: policyVersions.versionLabel,
      effectiveDate: policyVersions.effectiveDate,
      requiresReattestation: policyVersions.requiresReattestation,
      sha256: policyVersions.sha256,
      publishedAt: policyVersions.publishedAt,
      publishedBy: users.name,
    })
    .from(policyVersions)
    .leftJoin(users, eq(users.id, policyVersions.publishedBy))
    .where(eq(policyVersions.organisationId, organisationId))
    .orderBy(desc(policyVersions.publishedAt), desc(policyVersions.effectiveDate));
}

/** The longest policy text the admin pages take: far beyond any council's code of conduct, within the form limit. */
export const POLICY_MAX_BYTES = 500 * 1024;

async function versionByLabel(db: Db, organisationId: string, versionLabel: string) {
  const [version] = await db
    .select()
    .from(policyVersions)
    .innerJoin(policies, eq(policies.id, policyVersions.policyId))
    .where(
      and(
        eq(policyVersions.organisationId, organisationId),
        eq(policies.slug, POLICY_SLUG),
        eq(policyVersions.versionLabel, versionLabel),
      ),
    );
  return version?.policy_versions ?? null;
}

/**
 * What an admin sees before publishing: the text as it will be stored (and its sha256), how it reads, and what
 * changed from the version in force today. A label already used is a problem to put right first.
 */
export async function policyVersionDraft(db: Db, organisationId: string, input: PublishInput, today: string) {
  const body = normalisePolicyText(input.body);
  const inForce = await currentPolicyVersion(db, organisationId, today);
  const clash = await versionByLabel(db, organisationId, input.versionLabel);
  return {
    body,
    sha256: sha256OfBytes(Buffer.from(body, "utf8")),
    blocks: policyBlocks(body),
    labelTaken: clash !== null,
    inForce: inForce
      ? {
          versionLabel: inForce.versionLabel,
          effectiveDate: inForce.effectiveDate,
          unchanged: inForce.body === body,
          diff: policyDiff(inForce.body, body),
        }
      : null,
  };
}

/**
 * Publishing from a form, where a second submit must not fail nor publish twice: the version with this label and
 * exactly this text and these terms, published already, is the answer; any other clash is refused.
 */
export async function publishPolicyVersionOnce(
  db: Db,
  organisationId: string,
  input: PublishInput,
  actor: { userId: string; request: RequestInfo; now: Date },
): Promise<{ ok: true; version: typeof policyVersions.$inferSelect } | { ok: false; error: string }> {
  try {
    return { ok: true, version: await publishPolicyVersion(db, organisationId, input, actor) };
  } catch (error) {
    if (!(error instanceof PublishError) && !isUniqueViolation(error)) throw error;
    const existing = await versionByLabel(db, organisationId, input.versionLabel);
    const body = normalisePolicyText(input.body);
    if (
      existing &&
      existing.sha256 === sha256OfBytes(Buffer.from(body, "utf8")) &&
      existing.effectiveDate === input.effectiveDate &&
      existing.requiresReattestation === input.requiresReattestation &&
      existing.publishedBy === actor.userId
    )
      return { ok: true, version: existing };
    return { ok: false, error: `Version ${input.versionLabel} already exists: give this version another label` };
  }
}
