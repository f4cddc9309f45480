import { sql, type SQL } from "drizzle-orm";
import { formatDate, londonDate } from "~/lib/dates";
import type { Mail, Mailer } from "~/mail/mailer.server";
import { jsonValue, queryRows, type Db } from "~db/client.server";
import { organisations } from "~db/schema";
import { deliverMails, itemLines, mailTo } from "./nudges.server";
import {
  DAILY_SNAPSHOT_DAYS,
  dropAgedDaySnapshots,
  keepMissedDaySnapshots,
  MAX_SNAPSHOT_DAYS_PER_RUN,
  refreshStandings,
} from "./standings.server";
import { keptStatusQuery, STATUS_LABELS, type Status } from "./status.server";

/** A failed e-mail is tried again on later runs, this many times in all, for a week at most. */
export const MAX_EMAIL_TRIES = 5;
const RETRY_WINDOW_DAYS = 7;

export type RemindersReport = {
  reminders: number;
  escalations: number;
  retried: number;
  email: { sent: number; failed: number; skipped: number };
};

type Item = { title: string; status: Status; dueOn: string };

/** Monday of the London week a day falls in (YYYY-MM-DD). */
export function weekStart(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

function reminderMail(to: string, name: string, items: Item[], serviceUrl: string): Mail {
  const urgent = items.some((i) => i.status === "overdue" || i.status === "expired");
  return {
    to,
    subject: urgent
      ? "Your social media code of conduct training is overdue"
      : "Your social media code of conduct training is due soon",
    text: [
      `Dear ${name},`,
      "",
      urgent
        ? "Some of your social media code of conduct training is overdue:"
        : "Some of your social media code of conduct training is due soon:",
      "",
      itemLines(items),
      "",
      `Sign in to do it now: ${serviceUrl}/`,
    ].join("\n"),
  };
}

function escalationMail(
  to: string,
  name: string,
  overdueDays: number,
  people: { name: string; team: string; items: Item[] }[],
  serviceUrl: string,
): Mail {
  const lines = people.map(
    (p) =>
      `- ${p.name} (${p.team}): ${p.items.map((i) => `${i.title}, ${STATUS_LABELS[i.status].toLowerCase()} since ${formatDate(i.dueOn)}`).join("; ")}`,
  );
  return {
    to,
    subject: `${people.length} ${people.length === 1 ? "person" : "people"} in your teams ${people.length === 1 ? "is" : "are"} more than ${overdueDays} days overdue`,
    text: [
      `Dear ${name},`,
      "",
      `As social media champion, this is your weekly list of people in your teams whose social media code of conduct training or signature is more than ${overdueDays} days overdue:`,
      "",
      ...lines,
      "",
      `See your teams and nudge them: ${serviceUrl}/teams`,
    ].join("\n"),
  };
}

/**
 * Under the weekly rhythm, whether this person (due.user_id, with due.items) is overdue or expired and was already
 * reminded of something overdue or expired in the 6 days before today: so the first reminder once someone is overdue
 * goes at once, then one every 7 days. Reminders of something only due soon do not count.
 */
function overdueRemindedWithinAWeek(today: string): SQL {
  const urgent = sql`(select bool_or(i->>'status' in ('overdue', 'expired')) from json_array_elements(due.items) i)`;
  return sql`(${urgent} and exists (
    select 1 from nudges p
    where p.recipient_user_id = due.user_id and p.kind = 'reminder'
      and p.day > ${today}::date - 7 and p.day < ${today}::date
      and exists (select 1 from jsonb_array_elements(p.details->'items') pi where pi->>'status' in ('overdue', 'expired'))
  ))`;
}

/**
 * The automatic reminders, safe to run as often as a cron line likes: each person gets at most one reminder
 * a day (due soon, overdue or expired; under the organisation's weekly rhythm, one a week once overdue), each
 * champion at most one summary a week of their teams' people overdue by more than the organisation's escalation threshold, and e-mails that failed on an earlier run are
 * tried again. Which reminders are due is decided in SQL, organisation by organisation; the unique index on
 * (recipient, kind, day) is what makes a second run a no-op, even when two runs overlap.
 */
export async function runReminders(
  db: Db,
  mailer: Mailer | null,
  clock: { now: Date },
  options: { serviceUrl: string; log?: (line: string) => void },
): Promise<RemindersReport> {
  const now = clock.now;
  const today = londonDate(now);
  const week = weekStart(today);
  const report: RemindersReport = {
    reminders: 0,
    escalations: 0,
    retried: 0,
    email: { sent: 0, failed: 0, skipped: 0 },
  };
  const add = (r: { sent: number; failed: number; skipped: number }) => {
    report.email.sent += r.sent;
    report.email.failed += r.failed;
    report.email.skipped += r.skipped;
  };

  // E-mails that failed before are retried first, so a new run's failures wait for the next one.
  const retries = await queryRows<{
    nudge_id: string;
    kind: string;
    email: string | null;
    name: string;
    details:
      { items?: Item[]; people?: { name: string; team: string; items: Item[] }[]; overdueDays?: number } | string;
  }>(
    db,
    sql`
      select n.id as nudge_id, n.kind::text as kind, u.email, u.name, n.details
      from nudges n
      join users u on u.id = n.recipient_user_id
      where n.created_at > ${now.toISOString()}::timestamptz - make_interval(days => ${RETRY_WINDOW_DAYS}) and u.active
        and exists (select 1 from nudge_deliveries d where d.nudge_id = n.id and d.channel = 'email' and d.status = 'failed')
        and not exists (select 1 from nudge_deliveries d where d.nudge_id = n.id and d.channel = 'email' and d.status = 'sent')
        and (select count(*) from nudge_deliveries d where d.nudge_id = n.id and d.channel = 'email') < ${MAX_EMAIL_TRIES}
    `,
  );
  if (mailer && retries.length > 0) {
    const jobs = retries.map((r) => {
      const details = jsonValue(r.details);
      const mail = mailTo(r.email, (to) =>
        r.kind === "escalation"
          ? escalationMail(to, r.name, details.overdueDays ?? 14, details.people ?? [], options.serviceUrl)
          : r.kind === "reminder"
            ? reminderMail(to, r.name, details.items ?? [], options.serviceUrl)
            : {
                ...reminderMail(to, r.name, details.items ?? [], options.serviceUrl),
                subject: "Please complete your social media code of conduct training",
              },
      );
      return { nudgeId: r.nudge_id, mail };
    });
    const result = await deliverMails(db, mailer, jobs, () => new Date());
    report.retried = jobs.length;
    add(result);
  }

  for (const org of await db
    .select({
      id: organisations.id,
      slug: organisations.slug,
      escalationOverdueDays: organisations.escalationOverdueDays,
      reminderRhythm: organisations.reminderRhythm,
    })
    .from(organisations)) {
    // The daily run also keeps the past days' standings not yet kept (HR's report as at a day reads them,
    // docs/decisions/0026), drops those aged out, and brings the day's up to date, so HR's first report of the day
    // need not wait for them.
    const snapshots = await keepMissedDaySnapshots(db, org.id, clock);
    for (const day of snapshots.kept) options.log?.(`${org.slug}: standings kept as at ${day}`);
    if (snapshots.left > 0)
      options.log?.(
        `${org.slug}: ${snapshots.left} more past day(s) to keep on later runs (at most ${MAX_SNAPSHOT_DAYS_PER_RUN} a run)`,
      );
    const dropped = await dropAgedDaySnapshots(db, org.id, clock);
    if (dropped.length > 0)
      options.log?.(
        `${org.slug}: standings of ${dropped.length} past day(s) from ${dropped[0]} to ${dropped.at(-1)} dropped (only a month's last day is kept after ${DAILY_SNAPSHOT_DAYS} days)`,
      );
    await refreshStandings(db, org.id, clock);
    const status = keptStatusQuery({ organisationId: org.id }, clock);
    const created = await queryRows<{
      id: string;
      email: string | null;
      name: string;
      details: { items: Item[] } | string;
    }>(
      db,
      sql`
        with due as (
          select s.user_id, json_agg(json_build_object('title', s.title, 'status', s.status, 'dueOn', s.due_on) order by s.kind = 'policy', s.title) as items
          from (${status}) s
          where s.status in ('due_soon', 'overdue', 'expired')
          group by s.user_id
        ),
        inserted as (
          insert into nudges (organisation_id, kind, recipient_user_id, day, details, created_at)
          select ${org.id}::uuid, 'reminder', due.user_id, ${today}::date, json_build_object('items', due.items)::jsonb, ${now.toISOString()}::timestamptz
          from due join users u on u.id = due.user_id
          where u.active ${org.reminderRhythm === "weekly" ? sql`and not ${overdueRemindedWithinAWeek(today)}` : sql``}
          on conflict (recipient_user_id, kind, day) do nothing
          returning id, recipient_user_id, details
        )
        select inserted.id, u.email, u.name, inserted.details from inserted join users u on u.id = inserted.recipient_user_id
      `,
    );
    report.reminders += created.length;
    add(
      await deliverMails(
        db,
        mailer,
        created.map((r) => ({
          nudgeId: r.id,
          mail: mailTo(r.email, (to) => reminderMail(to, r.name, jsonValue(r.details).items, options.serviceUrl)),
        })),
        () => new Date(),
      ),
    );

    const escalations = await queryRows<{
      id: string;
      email: string | null;
      name: string;
      details: { people: { name: string; team: string; items: Item[] }[] } | string;
    }>(
      db,
      sql`
        with s as (${status}),
        late as (
          select s.user_id, s.name, s.team_id,
            json_agg(json_build_object('title', s.title, 'status', s.status, 'dueOn', s.due_on) order by s.kind = 'policy', s.title) as items
          from s
          where s.status in ('overdue', 'expired') and s.due_on::date < ${today}::date - ${org.escalationOverdueDays}::int
          group by s.user_id, s.name, s.team_id
        ),
        per_champion as (
          select c.user_id as champion_id,
            json_agg(json_build_object('name', late.name, 'team', t.name, 'items', late.items) order by t.name, late.name) as people
          from team_champions c
          join late on late.team_id = c.team_id
          join teams t on t.id = c.team_id
          group by c.user_id
        ),
        inserted as (
          insert into nudges (organisation_id, kind, recipient_user_id, day, details, created_at)
          select ${org.id}::uuid, 'escalation', pc.champion_id, ${week}::date,
            json_build_object('people', pc.people, 'overdueDays', ${org.escalationOverdueDays}::int)::jsonb, ${now.toISOString()}::timestamptz
          from per_champion pc join users u on u.id = pc.champion_id
          where u.active and u.organisation_id = ${org.id}::uuid
          on conflict (recipient_user_id, kind, day) do nothing
          returning id, recipient_user_id, details
        )
        select inserted.id, u.email, u.name, inserted.details from inserted join users u on u.id = inserted.recipient_user_id
      `,
    );
    report.escalations += escalations.length;
    add(
      await deliverMails(
        db,
        mailer,
        escalations.map((r) => {
          const details = jsonValue(r.details);
          return {
            nudgeId: r.id,
            mail: mailTo(r.email, (to) =>
              escalationMail(to, r.name, org.escalationOverdueDays, details.people, options.serviceUrl),
            ),
          };
        }),
        () => new Date(),
      ),
    );
    options.log?.(`${org.slug}: ${created.length} reminder(s), ${escalations.length} champion summary(ies)`);
  }
  return report;
}
