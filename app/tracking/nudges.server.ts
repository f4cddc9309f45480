import { and, desc, eq, gte, inArray, isNull, sql } from "drizzle-orm";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { CurrentUser } from "~/auth/session.server";
import { formatDate, londonDate } from "~/lib/dates";
import { MAIL_CONNECTIONS, type Mail, type Mailer } from "~/mail/mailer.server";
import { jsonValue, queryRows, type Db } from "~db/client.server";
import { nudgeDeliveries, nudges, teams, users } from "~db/schema";
import { requirementStatusQuery, STATUS_LABELS, type Status } from "./status.server";

export type NudgeInput = { target: "person" | "everyone"; personId?: string; message?: string };

type Outstanding = {
  userId: string;
  name: string;
  email: string | null;
  items: { title: string; status: Status; dueOn: string }[];
};

/** People of a team with something outstanding now, and what: one query over the status rows. */
async function outstandingInTeam(
  db: Db,
  organisationId: string,
  teamId: string,
  now: Date,
  userIds?: string[],
): Promise<Outstanding[]> {
  const rows = await queryRows<{
    user_id: string;
    name: string;
    email: string | null;
    items: Outstanding["items"] | string;
  }>(
    db,
    sql`
      select s.user_id, s.name, u.email,
        json_agg(json_build_object('title', s.title, 'status', s.status, 'dueOn', s.due_on) order by s.kind = 'policy', s.title) as items
      from (${requirementStatusQuery({ organisationId, teamId }, { now })}) s
      join users u on u.id = s.user_id
      where s.status not in ('complete', 'exempt') ${userIds ? sql`and s.user_id = any(${`{${userIds.join(",")}}`}::uuid[])` : sql``}
      group by s.user_id, s.name, u.email
      order by s.name, s.user_id
    `,
  );
  return rows.map((r) => ({ userId: r.user_id, name: r.name, email: r.email, items: jsonValue(r.items) }));
}

export function itemLines(items: Outstanding["items"]): string {
  return items
    .map(
      (i) =>
        `- ${i.title}: ${STATUS_LABELS[i.status].toLowerCase()}, ${i.status === "overdue" || i.status === "expired" ? "was due" : "due"} by ${formatDate(i.dueOn)}`,
    )
    .join("\n");
}

function nudgeMail(
  to: string,
  sender: string,
  teamName: string,
  items: Outstanding["items"],
  message: string | undefined,
  serviceUrl: string,
): Mail {
  return {
    to,
    subject: "Please complete your social media code of conduct training",
    text: [
      `${sender}, social media champion for ${teamName}, has asked you to complete your social media code of conduct training and signature.`,
      "",
      itemLines(items),
      ...(message ? ["", `Their message: ${message}`] : []),
      "",
      `Sign in to do it now: ${serviceUrl}/`,
    ].join("\n"),
  };
}

/** A null mail: the person has no e-mail address (decision 0025); the try is recorded as skipped, with this reason. */
type MailJob = { nudgeId: string; mail: Mail | null };

export const NO_EMAIL_ADDRESS = "The person has no email address";

/** The mail `build` makes for `to`, or null when there is no address to send it to. */
export function mailTo(to: string | null, build: (to: string) => Mail): Mail | null {
  return to === null ? null : build(to);
}

/** Sends each mail and records every try; one failure never stops the others. */
export async function deliverMails(
  db: Db,
  mailer: Mailer | null,
  jobs: MailJob[],
  now: () => Date,
  concurrency = MAIL_CONNECTIONS,
) {
  const unaddressed = jobs.filter((j) => j.mail === null);
  if (unaddressed.length > 0)
    await db.insert(nudgeDeliveries).values(
      unaddressed.map((j) => ({
        nudgeId: j.nudgeId,
        channel: "email" as const,
        status: "skipped" as const,
        error: NO_EMAIL_ADDRESS,
        at: now(),
      })),
    );
  const addressed = jobs.flatMap((j) => (j.mail === null ? [] : [{ nudgeId: j.nudgeId, mail: j.mail }]));
  return addUnaddressed(await deliverAddressed(db, mailer, addressed, now, concurrency), unaddressed.length);
}

function addUnaddressed(result: { sent: number; failed: number; skipped: number }, unaddressed: number) {
  return { ...result, skipped: result.skipped + unaddressed };
}

async function deliverAddressed(
  db: Db,
  mailer: Mailer | null,
  jobs: { nudgeId: string; mail: Mail }[],
  now: () => Date,
  concurrency: number,
) {
  let sent = 0;
  let failed = 0;
  if (!mailer) {
    if (jobs.length > 0)
      await db.insert(nudgeDeliveries).values(
        jobs.map((j) => ({
          nudgeId: j.nudgeId,
          channel: "email" as const,
          status: "skipped" as const,
          error: "SMTP is not configured",
          at: now(),
        })),
      );
    return { sent, failed, skipped: jobs.length };
  }
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      try {
        await mailer.send(job.mail);
        await db.insert(nudgeDeliveries).values({ nudgeId: job.nudgeId, channel: "email", status: "sent", at: now() });
        sent++;
      } catch (error) {
        await db.insert(nudgeDeliveries).values({
          nudgeId: job.nudgeId,
          channel: "email",
          status: "failed",
          error: String((error as Error).message ?? error).slice(0, 500),
          at: now(),
        });
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return { sent, failed, skipped: 0 };
}

export type NudgeResult =
  | { ok: true; nudged: string[]; alreadyToday: string[]; email: { sent: number; failed: number; skipped: number } }
  | { ok: false; status: number; errors: Record<string, string> };

/**
 * A champion (or HR or an admin) nudges one outstanding person of a team, or everyone outstanding in it.
 * At most one nudge per person per day, whoever sends it: a second is skipped and said so. The in-app
 * notice is delivered at once; the e-mail, when SMTP is configured, after the nudges are committed.
 */
export async function nudgeTeam(
  db: Db,
  mailer: Mailer | null,
  sender: CurrentUser,
  team: { id: string; name: string; organisationId: string },
  input: NudgeInput,
  request: RequestInfo & { now: Date; serviceUrl: string },
): Promise<NudgeResult> {
  if (input.target === "person" && !input.personId)
    return { ok: false, status: 400, errors: { personId: "Choose the person to nudge" } };
  const people = await outstandingInTeam(
    db,
    team.organisationId,
    team.id,
    request.now,
    input.target === "person" ? [input.personId!] : undefined,
  );
  if (people.length === 0) {
    return input.target === "person"
      ? { ok: false, status: 404, errors: { personId: "That person is not in this team or has nothing outstanding" } }
      : { ok: false, status: 409, errors: { target: "Nobody in this team has anything outstanding" } };
  }
  const day = londonDate(request.now);
  const created = await db.transaction(async (tx) => {
    const rows = await tx
      .insert(nudges)
      .values(
        people.map((p) => ({
          organisationId: team.organisationId,
          kind: "nudge" as const,
          recipientUserId: p.userId,
          senderUserId: sender.id,
          teamId: team.id,
          day,
          message: input.message ?? null,
          details: { items: p.items },
          createdAt: request.now,
        })),
      )
      .onConflictDoNothing()
      .returning({ id: nudges.id, recipientUserId: nudges.recipientUserId });
    if (rows.length > 0) {
      await tx.insert(nudgeDeliveries).values(
        rows.map((r) => ({
          nudgeId: r.id,
          channel: "in-app" as const,
          status: "delivered" as const,
          at: request.now,
        })),
      );
    }
    await writeAudit(
      tx,
      {
        action: "nudge.sent",
        organisationId: team.organisationId,
        actorUserId: sender.id,
        subjectType: "team",
        subjectId: team.id,
        details: { target: input.target, nudged: rows.length, alreadyToday: people.length - rows.length },
      },
      request,
    );
    return rows;
  });
  const byId = new Map(people.map((p) => [p.userId, p]));
  const email = await deliverMails(
    db,
    mailer,
    created.map((r) => {
      const p = byId.get(r.recipientUserId)!;
      return {
        nudgeId: r.id,
        mail: mailTo(p.email, (to) =>
          nudgeMail(to, sender.name, team.name, p.items, input.message, request.serviceUrl),
        ),
      };
    }),
    () => new Date(),
  );
  const createdFor = new Set(created.map((r) => r.recipientUserId));
  return {
    ok: true,
    nudged: people.filter((p) => createdFor.has(p.userId)).map((p) => p.name),
    alreadyToday: people.filter((p) => !createdFor.has(p.userId)).map((p) => p.name),
    email,
  };
}

/** Who a nudge form may name: an outstanding person of the team, for the confirmation page. */
export async function nudgeCandidate(
  db: Db,
  team: { id: string; organisationId: string },
  personId: string,
  now: Date,
) {
  const [person] = await outstandingInTeam(db, team.organisationId, team.id, now, [personId]);
  return person ? { id: person.userId, name: person.name, items: person.items } : null;
}

export async function outstandingCount(db: Db, team: { id: string; organisationId: string }, now: Date) {
  return (await outstandingInTeam(db, team.organisationId, team.id, now)).length;
}

export type Notice = {
  id: string;
  senderName: string | null;
  teamName: string | null;
  message: string | null;
  createdAt: string;
};

/**
 * The notice a person sees on their next page: their latest nudge, until they dismiss it or act on it
 * (start or answer training, or sign) after it was sent. Older than 30 days, it no longer shows.
 */
export async function activeNotice(db: Db, userId: string, now: Date): Promise<Notice | null> {
  const since = new Date(now.getTime() - 30 * 86_400_000);
  const [row] = await db
    .select({
      id: nudges.id,
      senderName: users.name,
      teamName: teams.name,
      message: nudges.message,
      createdAt: nudges.createdAt,
    })
    .from(nudges)
    .leftJoin(users, eq(users.id, nudges.senderUserId))
    .leftJoin(teams, eq(teams.id, nudges.teamId))
    .where(
      and(
        eq(nudges.recipientUserId, userId),
        eq(nudges.kind, "nudge"),
        isNull(nudges.dismissedAt),
        gte(nudges.createdAt, since),
        sql`not exists (select 1 from attempts a where a.user_id = ${nudges.recipientUserId} and a.updated_at >= ${nudges.createdAt})`,
        sql`not exists (select 1 from attestations x where x.user_id = ${nudges.recipientUserId} and x.kind = 'signed' and x.recorded_at >= ${nudges.createdAt})`,
      ),
    )
    .orderBy(desc(nudges.createdAt))
    .limit(1);
  return row ? { ...row, createdAt: row.createdAt.toISOString() } : null;
}

/** The person hides their notice (and any older ones still showing). Only their own. */
export async function dismissNotices(db: Db, userId: string, nudgeId: string, now: Date): Promise<boolean> {
  const [target] = await db
    .select({ createdAt: nudges.createdAt })
    .from(nudges)
    .where(and(eq(nudges.id, nudgeId), eq(nudges.recipientUserId, userId)));
  if (!target) return false;
  await db
    .update(nudges)
    .set({ dismissedAt: now })
    .where(
      and(
        eq(nudges.recipientUserId, userId),
        eq(nudges.kind, "nudge"),
        isNull(nudges.dismissedAt),
        sql`${nudges.createdAt} <= ${target.createdAt.toISOString()}::timestamptz`,
      ),
    );
  return true;
}

/** The nudges a team's people were sent, newest first, with how each was delivered: the log a champion can read. */
export async function teamNudgeLog(db: Db, teamId: string, limit = 20) {
  const rows = await db
    .select({
      id: nudges.id,
      recipient: users.name,
      recipientUserId: nudges.recipientUserId,
      day: nudges.day,
      createdAt: nudges.createdAt,
      message: nudges.message,
      senderUserId: nudges.senderUserId,
    })
    .from(nudges)
    .innerJoin(users, eq(users.id, nudges.recipientUserId))
    .where(and(eq(nudges.teamId, teamId), eq(nudges.kind, "nudge")))
    .orderBy(desc(nudges.createdAt))
    .limit(limit);
  if (rows.length === 0) return [];
  const senders = await db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(inArray(users.id, [...new Set(rows.map((r) => r.senderUserId).filter((x): x is string => !!x))]));
  const deliveries = await db
    .select({
      nudgeId: nudgeDeliveries.nudgeId,
      channel: nudgeDeliveries.channel,
      status: nudgeDeliveries.status,
      error: nudgeDeliveries.error,
      at: nudgeDeliveries.at,
    })
    .from(nudgeDeliveries)
    .where(
      inArray(
        nudgeDeliveries.nudgeId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(nudgeDeliveries.at);
  return rows.map((r) => {
    const email = deliveries.filter((d) => d.nudgeId === r.id && d.channel === "email").at(-1);
    return {
      id: r.id,
      recipient: r.recipient,
      recipientUserId: r.recipientUserId,
      sender: senders.find((s) => s.id === r.senderUserId)?.name ?? "Automatic",
      createdAt: r.createdAt.toISOString(),
      message: r.message,
      email: email?.error === NO_EMAIL_ADDRESS ? ("no-address" as const) : (email?.status ?? null),
    };
  });
}
