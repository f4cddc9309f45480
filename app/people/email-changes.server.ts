import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import { revokeAllSessions, type CurrentUser } from "~/auth/session.server";
import { formatDate } from "~/lib/dates";
import { enqueueMail } from "~/mail/mail-queue.server";
import { againIfRaced, type Db } from "~db/client.server";
import { emailChanges, passwordTokens, users } from "~db/schema";

/**
 * Changes of a person's e-mail address that a roster import asked for. The address is how an account is recovered
 * (a password reset goes to it), so changing it hands the account to whoever reads the new one: HR asks, an
 * administrator of the same council confirms or rejects. Confirming ends the person's sessions, retires their unused
 * password links and tells the old address; every decision is audited.
 */

const requester = alias(users, "requester");

export async function pendingEmailChanges(db: Db, admin: CurrentUser) {
  return db
    .select({
      id: emailChanges.id,
      personName: users.name,
      employeeNumber: users.employeeNumber,
      fromEmail: emailChanges.fromEmail,
      toEmail: emailChanges.toEmail,
      requestedBy: requester.name,
      requestedAt: emailChanges.requestedAt,
    })
    .from(emailChanges)
    .innerJoin(users, eq(users.id, emailChanges.userId))
    .innerJoin(requester, eq(requester.id, emailChanges.requestedBy))
    .where(and(eq(emailChanges.organisationId, admin.organisationId), isNull(emailChanges.decidedAt)))
    .orderBy(asc(emailChanges.requestedAt), asc(users.name))
    .limit(200);
}

export type EmailChangeDecision = "confirm" | "reject";

export type DecideOutcome =
  | { outcome: "not-found" }
  | { outcome: "rejected"; personName: string }
  | { outcome: "confirmed"; personName: string; hasPassword: boolean }
  | { outcome: "stale"; personName: string }
  | { outcome: "taken"; personName: string; holder: string };

function oldAddressNotice(person: { name: string }, from: string, to: string, organisationName: string, now: Date) {
  return {
    to: from,
    subject: "Your email address for the social media code of conduct has changed",
    text: [
      `Dear ${person.name},`,
      "",
      `On ${formatDate(now)} ${organisationName} changed the email address of your social media code of conduct account from ${from} to ${to}.`,
      "You have been signed out, and any password link sent to you before no longer works.",
      "",
      "If you did not expect this, tell your HR team or your council's administrator for this service at once.",
    ].join("\n"),
  };
}

/** Confirms or rejects one pending change of the admin's own council; anything else is not found. */
export async function decideEmailChange(
  db: Db,
  admin: CurrentUser,
  input: { changeId: string; decision: EmailChangeDecision },
  request: RequestInfo & { now: Date },
): Promise<DecideOutcome> {
  return againIfRaced(() =>
    db.transaction(async (transaction) => {
      const tx = transaction as unknown as Db;
      const [change] = await tx
        .select({
          id: emailChanges.id,
          userId: emailChanges.userId,
          fromEmail: emailChanges.fromEmail,
          toEmail: emailChanges.toEmail,
          requestedBy: emailChanges.requestedBy,
          rosterUploadId: emailChanges.rosterUploadId,
          personName: users.name,
          currentEmail: users.email,
          active: users.active,
          hasPassword: sql<boolean>`${users.passwordHash} is not null`,
        })
        .from(emailChanges)
        .innerJoin(users, eq(users.id, emailChanges.userId))
        .where(
          and(
            eq(emailChanges.id, input.changeId),
            eq(emailChanges.organisationId, admin.organisationId),
            isNull(emailChanges.decidedAt),
          ),
        )
        .for("update", { of: emailChanges });
      if (!change) return { outcome: "not-found" as const };
      const audit = {
        organisationId: admin.organisationId,
        actorUserId: admin.id,
        subjectType: "user",
        subjectId: change.userId,
        details: {
          from: change.fromEmail,
          to: change.toEmail,
          requestedBy: change.requestedBy,
          rosterUploadId: change.rosterUploadId,
        },
      };
      const decide = (decision: "confirmed" | "rejected") =>
        tx
          .update(emailChanges)
          .set({ decision, decidedBy: admin.id, decidedAt: request.now })
          .where(eq(emailChanges.id, change.id));

      if (input.decision === "reject") {
        await decide("rejected");
        await writeAudit(tx, { ...audit, action: "person.email-change-rejected" }, request);
        return { outcome: "rejected" as const, personName: change.personName };
      }
      if (!change.active || (change.currentEmail ?? "").toLowerCase() !== (change.fromEmail ?? "").toLowerCase())
        return { outcome: "stale" as const, personName: change.personName };
      const [holder] = await tx
        .select({ employeeNumber: users.employeeNumber })
        .from(users)
        .where(and(eq(sql`lower(${users.email})`, change.toEmail.toLowerCase()), ne(users.id, change.userId)));
      if (holder) return { outcome: "taken" as const, personName: change.personName, holder: holder.employeeNumber };

      await tx.update(users).set({ email: change.toEmail, updatedAt: request.now }).where(eq(users.id, change.userId));
      await revokeAllSessions(tx, change.userId, request.now);
      // A link e-mailed to the old address must not keep working for whoever reads that inbox now.
      await tx
        .update(passwordTokens)
        .set({ usedAt: request.now })
        .where(and(eq(passwordTokens.userId, change.userId), isNull(passwordTokens.usedAt)));
      // Someone who had no address has no old inbox to tell.
      if (change.currentEmail !== null)
        await enqueueMail(
          tx,
          {
            kind: "mail",
            payload: oldAddressNotice(
              { name: change.personName },
              change.currentEmail,
              change.toEmail,
              admin.organisationName,
              request.now,
            ),
          },
          request.now,
        );
      await decide("confirmed");
      await writeAudit(tx, { ...audit, action: "person.email-changed" }, request);
      return { outcome: "confirmed" as const, personName: change.personName, hasPassword: change.hasPassword };
    }),
  );
}
