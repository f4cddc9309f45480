import { eq, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { passwordLinkUrl } from "~/auth/password-links.server";
import { passwordSignInAllowed, providerOf } from "~/auth/sso-settings.server";
import type { CurrentUser } from "~/auth/session.server";
import type { Mailer } from "~/mail/mailer.server";
import { type Db } from "~db/client.server";
import { rosterUploads } from "~db/schema";
import { applyRosterUpload, type ApplyOutcome, type LinkRecipient } from "./roster-apply.server";
import { json, STORED_PROBLEMS, type LinkDelivery } from "./roster-plan.server";

// After an import commits: each new person's one-time link to set a password, by e-mail or through an admin.
const MAIL_CONCURRENCY = 4;

/** E-mails each new person their one-time link, after the import has committed: a failed e-mail never undoes it. */
async function emailLinks(
  db: Db,
  mailer: Mailer,
  hr: CurrentUser,
  uploadId: string,
  people: LinkRecipient[],
  baseUrl: string,
  request: RequestInfo & { now: Date },
) {
  const failed: { employeeNumber: string; name: string; email: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(MAIL_CONCURRENCY, people.length) }, async () => {
      while (next < people.length) {
        const person = people[next++];
        try {
          await mailer.send({
            to: person.email,
            subject: "Set your password for the social media code of conduct",
            text: [
              `Dear ${person.name},`,
              "",
              `${hr.organisationName} has added you to its social media code of conduct service, where you take short training modules and sign the code of conduct.`,
              "Use this link within 7 days to choose your password. It works once:",
              "",
              passwordLinkUrl(baseUrl, person.token!),
              "",
              `Then sign in with this email address: ${person.email}`,
              "If the link has expired, ask your administrator for a new one.",
            ].join("\n"),
          });
        } catch {
          failed.push({ employeeNumber: person.employeeNumber, name: person.name, email: person.email });
        }
      }
    }),
  );
  const links: LinkDelivery = { mode: "email", sent: people.length - failed.length, failed };
  await db
    .update(rosterUploads)
    .set({ summary: sql`${rosterUploads.summary} || ${json({ links })}` })
    .where(eq(rosterUploads.id, uploadId));
  await writeAudit(
    db,
    {
      organisationId: hr.organisationId,
      actorUserId: hr.id,
      action: "roster.links-emailed",
      subjectType: "roster-upload",
      subjectId: uploadId,
      details: {
        sent: links.sent,
        failed: failed.length,
        failedEmployeeNumbers: failed.slice(0, STORED_PROBLEMS).map((f) => f.employeeNumber),
      },
    },
    request,
  );
}

/** Applies an upload and then hands each person who needs one a set-password link: by e-mail with SMTP, otherwise through an admin. */
export async function applyRoster(
  db: Db,
  mailer: Mailer | null,
  hr: CurrentUser,
  uploadId: string,
  input: { planDigest: string },
  baseUrl: string,
  request: RequestInfo & { now: Date },
): Promise<ApplyOutcome> {
  // A council whose staff sign in only through its provider gives new people no password (decision 0022).
  const providerOnly = !passwordSignInAllowed(await providerOf(db, hr.organisationId), "staff");
  const result = await applyRosterUpload(
    db,
    hr,
    uploadId,
    input,
    { withLinks: mailer !== null && !providerOnly },
    request,
  );
  if (result.outcome !== "applied" || result.linkRecipients.length === 0 || providerOnly) return result;
  if (mailer) {
    await emailLinks(db, mailer, hr, uploadId, result.linkRecipients, baseUrl, request);
  } else {
    const links: LinkDelivery = { mode: "admin", people: result.linkRecipients.length };
    await db
      .update(rosterUploads)
      .set({ summary: sql`${rosterUploads.summary} || ${json({ links })}` })
      .where(eq(rosterUploads.id, uploadId));
  }
  return result;
}
