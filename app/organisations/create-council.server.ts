import { join, sep } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { publishPolicyVersion, readPolicyContent } from "~/attestation/policies.server";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { createPasswordLink, LINK_LIFETIME_MS, passwordLinkUrl } from "~/auth/password-links.server";
import { londonDate } from "~/lib/dates";
import type { Mail } from "~/mail/mailer.server";
import { organisationSlugSchema, type TrainingModule } from "~/training/content-schema";
import { ContentError, syncTrainingModules } from "~/training/content-sync.server";
import { loadModules } from "~/training/load-content";
import { againIfRaced, type Db } from "~db/client.server";
import { organisations, users } from "~db/schema";

/** What `npm run council:create` takes. */
export const createCouncilSchema = z.object({
  slug: organisationSlugSchema,
  name: z.string().trim().min(1, "Give the council's name").max(200, "Use at most 200 characters for the name"),
  adminEmail: z
    .email("Give the first admin's e-mail address, like name@council.gov.uk")
    .max(254, "The e-mail address is too long"),
  adminName: z
    .string()
    .trim()
    .min(1, "Give the first admin's name")
    .max(200, "Use at most 200 characters for the admin's name"),
  /** As in the council's HR roster, so a later roster import matches this person; a placeholder otherwise. */
  adminEmployeeNumber: z.string().trim().min(1).max(40).optional(),
});

export type CreateCouncilInput = z.infer<typeof createCouncilSchema>;

/** The first admin's employee number when none is given; a roster import naming their address says which to use. */
export const PLACEHOLDER_EMPLOYEE_NUMBER = "ADMIN-1";

type Council = { id: string; slug: string; name: string };
type Admin = { id: string; name: string; email: string };

export type CreateCouncilResult =
  | {
      outcome: "created";
      organisation: Council;
      admin: Admin;
      /** The one-time link's raw token: stored only hashed, so this is the one chance to pass it on. */
      token: string;
      content: { policyVersion: string | null; modules: number };
    }
  | { outcome: "unchanged"; organisation: Council; admin: Admin };

/** A refusal that changed nothing, in one line. */
export class CouncilRefused extends Error {}

/** The training modules and code of conduct in content/<slug>/, checked before anything is written. */
async function councilContent(contentDir: string, slug: string) {
  const { modules, problems } = await loadModules(contentDir);
  const folder = join(contentDir, slug) + sep;
  const own = problems.filter((p) => p.file.startsWith(folder));
  if (own.length > 0)
    throw new ContentError(
      `${join(contentDir, slug)} has ${own.length} problem(s); nothing was changed. Run npm run content:check:\n${own
        .map(String)
        .slice(0, 20)
        .join("\n")}`,
    );
  return {
    policy: readPolicyContent(contentDir, slug),
    modules: modules.filter((m): m is TrainingModule => m.organisation === slug),
  };
}

const sameText = (a: string, b: string) => a.trim() === b.trim();

/** Whether an existing council is the one asked for: same name, and this address is its admin with this name. */
async function existingCouncil(db: Db, input: CreateCouncilInput): Promise<CreateCouncilResult | null> {
  const [organisation] = await db
    .select({ id: organisations.id, slug: organisations.slug, name: organisations.name })
    .from(organisations)
    .where(eq(organisations.slug, input.slug));
  if (!organisation) return null;
  const [admin] = await db
    .select({
      id: users.id,
      name: users.name,
      email: users.email,
      role: users.role,
      employeeNumber: users.employeeNumber,
    })
    .from(users)
    .where(
      and(eq(users.organisationId, organisation.id), eq(sql`lower(${users.email})`, input.adminEmail.toLowerCase())),
    );
  const differences = [
    !sameText(organisation.name, input.name) && `its name is "${organisation.name}"`,
    !admin && `${input.adminEmail} is not one of its people`,
    admin && admin.role !== "admin" && `${admin.email} is not its admin`,
    admin && !sameText(admin.name, input.adminName) && `${admin.email} is named "${admin.name}"`,
    admin &&
      input.adminEmployeeNumber !== undefined &&
      admin.employeeNumber !== input.adminEmployeeNumber &&
      `${admin.email} has employee number ${admin.employeeNumber}`,
  ].filter(Boolean);
  if (differences.length > 0)
    throw new CouncilRefused(
      `The slug "${input.slug}" is already taken with other details (${differences.join("; ")}): nothing was changed.`,
    );
  return {
    outcome: "unchanged",
    organisation,
    admin: { id: admin!.id, name: admin!.name, email: admin!.email ?? input.adminEmail },
  };
}

/**
 * Creates a council (an organisation), its first admin and their one-time set-password link, and records the
 * code of conduct and training modules of content/<slug>/ when there are any; all in one transaction, audited.
 * The same request again changes nothing and makes no new link; a slug or address taken otherwise is refused.
 */
export async function createCouncil(
  db: Db,
  input: CreateCouncilInput,
  options: { contentDir: string; delivery: "email" | "printed"; request: RequestInfo; now: Date },
): Promise<CreateCouncilResult> {
  const existing = await existingCouncil(db, input);
  if (existing) return existing;
  const content = await councilContent(options.contentDir, input.slug);
  const { now, request } = options;
  // Another run creating the same slug or address at the same moment makes this one run again, and come second.
  return againIfRaced(() =>
    db.transaction(async (tx) => {
      const txDb = tx as unknown as Db;
      // Another run may have committed since the first look. The address is looked up first: a council committed
      // after that look-up is still found by the next, and its admin's address is then not taken by someone else.
      const [taken] = await tx
        .select({ id: users.id })
        .from(users)
        .where(eq(sql`lower(${users.email})`, input.adminEmail.toLowerCase()));
      const committed = await existingCouncil(txDb, input);
      if (committed) return committed;
      if (taken) throw emailTaken(input.adminEmail);
      const [organisation] = await tx
        .insert(organisations)
        .values({ slug: input.slug, name: input.name.trim() })
        .returning({ id: organisations.id, slug: organisations.slug, name: organisations.name });
      const [inserted] = await tx
        .insert(users)
        .values({
          organisationId: organisation.id,
          role: "admin",
          employeeNumber: input.adminEmployeeNumber ?? PLACEHOLDER_EMPLOYEE_NUMBER,
          name: input.adminName.trim(),
          email: input.adminEmail,
          startDate: londonDate(now),
        })
        .returning({ id: users.id, name: users.name });
      const admin = { ...inserted, email: input.adminEmail };
      await writeAudit(
        txDb,
        {
          action: "organisation.created",
          organisationId: organisation.id,
          subjectType: "organisation",
          subjectId: organisation.id,
          details: { slug: organisation.slug, name: organisation.name, by: "council:create" },
        },
        request,
      );
      await writeAudit(
        txDb,
        {
          action: "people.admin-created",
          organisationId: organisation.id,
          subjectType: "user",
          subjectId: admin.id,
          details: { email: admin.email, name: admin.name, role: "admin", by: "council:create" },
        },
        request,
      );
      const version = content.policy
        ? await publishPolicyVersion(txDb, organisation.id, content.policy, { userId: null, request, now })
        : null;
      if (content.modules.length > 0) await syncTrainingModules(txDb, content.modules, now);
      const token = await createPasswordLink(txDb, admin.id, "set", now);
      await writeAudit(
        txDb,
        {
          action: "people.password-link-issued",
          organisationId: organisation.id,
          subjectType: "user",
          subjectId: admin.id,
          details: { purpose: "set", delivery: options.delivery, by: "council:create" },
        },
        request,
      );
      const created: CreateCouncilResult = {
        outcome: "created",
        organisation,
        admin,
        token,
        content: { policyVersion: version?.versionLabel ?? null, modules: content.modules.length },
      };
      return created;
    }),
  );
}

function emailTaken(email: string) {
  return new CouncilRefused(
    `${email} is already used by another account (an e-mail address belongs to one person across the whole service): nothing was changed.`,
  );
}

/** The first admin's e-mail: the link, how long it lasts, and what to do next. */
export function firstAdminMail(result: Extract<CreateCouncilResult, { outcome: "created" }>, serviceUrl: string): Mail {
  return {
    to: result.admin.email,
    subject: `Set your password: ${result.organisation.name}'s social media code of conduct service`,
    text: [
      `Dear ${result.admin.name},`,
      "",
      `${result.organisation.name} has been set up on the social media code of conduct service, with you as its administrator.`,
      `Use this link within ${LINK_LIFETIME_MS.set / 86_400_000} days to choose your password. It works once:`,
      "",
      passwordLinkUrl(serviceUrl, result.token),
      "",
      `Then sign in with this email address: ${result.admin.email}`,
    ].join("\n"),
  };
}
