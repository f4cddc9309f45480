import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { and, desc, eq, lte } from "drizzle-orm";
import { z } from "zod";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { ensurePolicyRequirement } from "~/tracking/requirements.server";
import type { Db } from "~db/client.server";
import { organisations, policies, policyVersions } from "~db/schema";

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

export const publishSchema = z.object({
  versionLabel: z
    .string()
    .trim()
    .min(1, "Enter a version label")
    .max(40, "Version label must be 40 characters or fewer"),
  effectiveDate: z.iso.date("Enter the date the version takes effect, like 2027-01-31"),
  requiresReattestation: z.boolean(),
  body: z.string().min(1, "The policy text is empty"),
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

/** Publishes a new version of an organisation's code of conduct: its exact text and the sha256 of its exact bytes. */
export async function publishPolicyVersion(
  db: Db,
  organisationId: string,
  input: PublishInput & { title?: string },
  actor: { userId: string | null; request: RequestInfo; now?: Date },
) {
  const now = actor.now ?? new Date();
  const policy = await ensurePolicy(db, organisationId, input.title ?? "Social media code of conduct", now);
  const [clash] = await db
    .select({ id: policyVersions.id })
    .from(policyVersions)
    .where(and(eq(policyVersions.policyId, policy.id), eq(policyVersions.versionLabel, input.versionLabel)));
  if (clash) throw new PublishError(`Version ${input.versionLabel} already exists`);
  const [version] = await db
    .insert(policyVersions)
    .values({
      policyId: policy.id,
      organisationId,
      versionLabel: input.versionLabel,
      body: input.body,
      sha256: sha256OfBytes(Buffer.from(input.body, "utf8")),
      effectiveDate: input.effectiveDate,
      requiresReattestation: input.requiresReattestation,
      publishedAt: now,
      publishedBy: actor.userId,
    })
    .returning();
  await writeAudit(
    db,
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
}

/** Loads each organisation's policy text from content/<slug>/policy.txt as version 1, once. The running product never reads ../shared. */
export async function syncPolicyContent(
  db: Db,
  contentDir: string,
  options: { now?: (effectiveDate: string) => Date } = {},
) {
  let published = 0;
  for (const org of await db.select().from(organisations)) {
    const textFile = join(contentDir, org.slug, "policy.txt");
    const metaFile = join(contentDir, org.slug, "policy.json");
    if (!existsSync(textFile) || !existsSync(metaFile)) continue;
    const meta = policyMetadata.parse(JSON.parse(readFileSync(metaFile, "utf8")));
    const [anyVersion] = await db
      .select({ id: policyVersions.id })
      .from(policyVersions)
      .where(eq(policyVersions.organisationId, org.id))
      .limit(1);
    if (anyVersion) continue;
    // The exact bytes, decoded as UTF-8: the hash is of what the council wrote, not a normalised copy.
    const body = readFileSync(textFile).toString("utf8");
    await publishPolicyVersion(
      db,
      org.id,
      { ...meta, body },
      { userId: null, request: { ip: null, requestId: null }, now: options.now?.(meta.effectiveDate) },
    );
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

export async function policyVersionById(db: Db, organisationId: string, id: string) {
  const [version] = await db
    .select()
    .from(policyVersions)
    .where(and(eq(policyVersions.id, id), eq(policyVersions.organisationId, organisationId)));
  return version ?? null;
}
