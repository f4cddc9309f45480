import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { hashPassword } from "~/auth/password.server";
import { runReminders } from "~/tracking/reminders.server";
import { completionFigures, peopleStatus, personStatus } from "~/tracking/status.server";
import { londonDate } from "~/lib/dates";
import { createMailer } from "~/mail/mailer.server";
import { openDatabase, queryRows, type Database, type Db } from "~db/client.server";
import { startSmtpServer } from "../../test/support/smtp";
import { benchDatabase, machineLine, ms, percentileOf, signedInCookie, startApp, writeSection } from "./lib";

// `npm run bench -- tracking`: a council of 100,000 staff in 2,000 teams with a year of history, on PostgreSQL
// and on PGlite: the champion's team page, one person's status, the council-wide figures, and a reminders run.
let STAFF = 100_000;
let TEAMS = 2_000;
const PASSWORD = "bench-password-long-enough";

/** Bulk history in SQL (generate_series), so 100,000 people take seconds, not hours. */
export async function seed(db: Db, today: string, passwordHash: string) {
  const [{ id: org }] = await queryRows<{ id: string }>(
    db,
    sql`insert into organisations (slug, name) values ('bench', 'Bench Council') returning id`,
  );
  await db.execute(
    sql`insert into teams (organisation_id, name) select ${org}::uuid, 'Team ' || lpad(g::text, 4, '0') from generate_series(1, ${TEAMS}) g`,
  );
  await db.execute(sql`
    with t as (select id, row_number() over (order by name) as n from teams where organisation_id = ${org}::uuid),
    p as (
      select g, (${today}::date - ((g * 7919) % 1800 + 20))::date as start_date from generate_series(1, ${STAFF}) g
    )
    insert into users (organisation_id, team_id, role, employee_number, name, email, password_hash, start_date, leaving_date, active)
    select ${org}::uuid, t.id, 'staff', 'B' || p.g, 'Person ' || lpad(p.g::text, 6, '0'), 'p' || p.g || '@bench.example',
      case when p.g <= ${TEAMS} then ${passwordHash} end, p.start_date,
      case when p.g % 40 = 0 and p.g > ${TEAMS} then least(${today}::date, p.start_date + 30 + p.g % 400) end,
      not (p.g % 40 = 0 and p.g > ${TEAMS})
    from p join t on t.n = ((p.g - 1) % ${TEAMS}) + 1`);
  // Everyone's membership; one in 25 moved team 60 days ago, so they have a closed one too.
  await db.execute(sql`
    with u as (select id, team_id, start_date, leaving_date, substring(employee_number from 2)::int as g from users where organisation_id = ${org}::uuid),
    t as (select id, row_number() over (order by name) as n from teams where organisation_id = ${org}::uuid)
    insert into team_memberships (user_id, team_id, started_on, ended_on)
    select u.id, u.team_id, case when u.g % 25 = 0 and u.leaving_date is null and u.start_date < ${today}::date - 60 then ${today}::date - 60 else u.start_date end, u.leaving_date from u
    union all
    select u.id, t.id, u.start_date, ${today}::date - 60 from u join t on t.n = (u.g % ${TEAMS}) + 1
    where u.g % 25 = 0 and u.leaving_date is null and u.start_date < ${today}::date - 60`);
  await db.execute(sql`
    insert into team_champions (team_id, user_id)
    select u.team_id, u.id from users u where u.organisation_id = ${org}::uuid and substring(u.employee_number from 2)::int <= ${TEAMS}`);
  const modules = await queryRows<{ id: string; version_id: string; n: number }>(
    db,
    sql`
      with m as (
        insert into training_modules (organisation_id, slug, title)
        select ${org}::uuid, 'module-' || g, 'Module ' || g from generate_series(1, 3) g returning id, slug
      ),
      v as (
        insert into module_versions (module_id, content_hash, content, title, pass_mark_percent)
        select id, md5(slug), '{}'::jsonb, slug, 80 from m returning id, module_id
      )
      select m.id, v.id as version_id, substring(m.slug from 8)::int as n from m join v on v.module_id = m.id`,
  );
  await db.execute(sql`
    insert into requirements (organisation_id, kind, module_id, effective_from)
    select ${org}::uuid, 'module', id, ${today}::date - 500 from training_modules where organisation_id = ${org}::uuid`);
  const [{ policy, version }] = await queryRows<{ policy: string; version: string }>(
    db,
    sql`
      with p as (insert into policies (organisation_id, slug, title) values (${org}::uuid, 'social-media-code-of-conduct', 'Social media code of conduct') returning id),
      v as (
        insert into policy_versions (policy_id, organisation_id, version_label, body, sha256, effective_date, published_at)
        select p.id, ${org}::uuid, '1', 'The code.', md5('The code.'), ${today}::date - 365, (${today}::date - 365)::timestamptz from p returning id, policy_id
      )
      select policy_id as policy, id as version from v`,
  );
  await db.execute(
    sql`insert into requirements (organisation_id, kind, policy_id, effective_from) values (${org}::uuid, 'policy', ${policy}::uuid, ${today}::date - 365)`,
  );
  for (const m of modules) {
    // 65 % passed within the last 14 months (so some have expired), 10 % failed first then passed, 10 % in progress.
    await db.execute(sql`
      with u as (select id, substring(employee_number from 2)::int as g from users where organisation_id = ${org}::uuid),
      r as (select id, g, (g * 31 + ${m.n} * 17) % 100 as roll, (g * 13 + ${m.n} * 7) % 420 as ago from u)
      insert into attempts (user_id, module_id, module_version_id, status, snapshot, step, score, answered, started_at, updated_at, completed_at)
      select id, ${m.id}::uuid, ${m.version_id}::uuid, 'passed'::attempt_status, '{}'::jsonb, 12, 11, 12,
        ${today}::timestamptz - make_interval(days => ago) , ${today}::timestamptz - make_interval(days => ago), ${today}::timestamptz - make_interval(days => ago) + interval '20 minutes'
      from r where roll < 75
      union all
      select id, ${m.id}::uuid, ${m.version_id}::uuid, 'failed'::attempt_status, '{}'::jsonb, 12, 6, 12,
        ${today}::timestamptz - make_interval(days => ago + 3), ${today}::timestamptz - make_interval(days => ago + 3), ${today}::timestamptz - make_interval(days => ago + 3) + interval '20 minutes'
      from r where roll >= 65 and roll < 75
      union all
      select id, ${m.id}::uuid, ${m.version_id}::uuid, 'in_progress'::attempt_status, '{}'::jsonb, 4, 3, 4,
        ${today}::timestamptz - make_interval(days => g % 20), ${today}::timestamptz - make_interval(days => g % 20), null
      from r where roll >= 75 and roll < 85`);
  }
  // Six in ten people signed (a stand-in chain: the bench reads status, it does not verify the ledger).
  await db.execute(sql`
    with u as (
      select id, substring(employee_number from 2)::int as g, row_number() over (order by employee_number) as seq
      from users where organisation_id = ${org}::uuid and substring(employee_number from 2)::int % 10 < 6
    )
    insert into attestations (organisation_id, seq, reference, kind, user_id, policy_version_id, policy_sha256, declaration_text, typed_name,
      recorded_at, qualifying_attempt_ids, previous_hash, hash)
    select ${org}::uuid, seq, 'ATT-B' || seq, 'signed', id, ${version}::uuid, md5('The code.'), 'I have read it.', 'Person',
      ${today}::timestamptz - make_interval(days => (g * 11) % 360), '[]'::jsonb, lpad(to_hex(seq - 1), 64, '0'), lpad(to_hex(seq), 64, '0')
    from u`);
  await db.execute(sql`analyze`);
  const counts = await queryRows<{ users: number; attempts: number; attestations: number }>(
    db,
    sql`select (select count(*) from users)::int as users, (select count(*) from attempts)::int as attempts, (select count(*) from attestations)::int as attestations`,
  );
  return { org, ...counts[0] };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await f();
  return [result, performance.now() - started];
}

async function samples(n: number, f: (i: number) => Promise<unknown>) {
  const durations: number[] = [];
  for (let i = 0; i < n; i++) durations.push((await timed(() => f(i)))[1]);
  return { p50: percentileOf(durations, 50), p95: percentileOf(durations, 95) };
}

type Result = {
  database: string;
  seeded: { users: number; attempts: number; attestations: number; ms: number };
  teamPage: { p50: number; p95: number };
  teamPageQueries: { p50: number; p95: number };
  person: { p50: number; p95: number };
  council: { p50: number; p95: number; people: number; complete: number };
  reminders: { ms: number; reminders: number; escalations: number; sent: number; again: number };
};

async function measure(
  label: string,
  database: Database,
  appEnv: Record<string, string | undefined>,
  port: number,
  reopen?: () => Promise<Database>,
): Promise<Result> {
  const now = new Date();
  const today = londonDate(now);
  console.error(`${label}: seeding ${STAFF.toLocaleString("en-GB")} staff in ${TEAMS.toLocaleString("en-GB")} teams…`);
  const [seeded, seedMs] = await timed(async () => seed(database.db, today, await hashPassword(PASSWORD)));
  const champions = await queryRows<{ id: string; email: string; team_id: string }>(
    database.db,
    sql`select u.id, u.email, c.team_id from team_champions c join users u on u.id = c.user_id order by u.employee_number limit 20`,
  );
  const people = await queryRows<{ id: string }>(
    database.db,
    sql`select id from users where organisation_id = ${seeded.org}::uuid and active order by md5(id::text) limit 300`,
  );
  const clock = { now };
  console.error(`${label}: one person's status, the team page's queries and the council's figures…`);
  const person = await samples(300, (i) => personStatus(database.db, seeded.org, people[i].id, clock));
  const teamPageQueries = await samples(200, (i) =>
    Promise.all([
      completionFigures(
        database.db,
        { organisationId: seeded.org, teamId: champions[i % champions.length].team_id },
        clock,
      ),
      peopleStatus(
        database.db,
        { organisationId: seeded.org, teamId: champions[i % champions.length].team_id },
        {},
        clock,
      ),
    ]),
  );
  let councilFigures = await completionFigures(database.db, { organisationId: seeded.org }, clock);
  const council = await samples(5, async () => {
    councilFigures = await completionFigures(database.db, { organisationId: seeded.org }, clock);
  });

  // The page itself, over HTTP, as production serves it (one request at a time, so this is its own time).
  if (reopen) await database.close();
  const app = await startApp(
    {
      ...appEnv,
      NODE_ENV: "production",
      SESSION_SECRET: randomBytes(32).toString("hex"),
      SERVICE_URL: "https://bench.example",
      LOG_LEVEL: "warn",
    },
    port,
  );
  let teamPage: { p50: number; p95: number };
  try {
    const cookies: { cookie: string; team: string }[] = [];
    for (const c of champions.slice(0, 10))
      cookies.push({ cookie: await signedInCookie(app.url, c.email, PASSWORD), team: c.team_id });
    for (let i = 0; i < 20; i++)
      await fetch(`${app.url}/teams/${cookies[i % cookies.length].team}`, {
        headers: { cookie: cookies[i % cookies.length].cookie },
      });
    console.error(`${label}: the champion's team page over HTTP…`);
    teamPage = await samples(300, async (i) => {
      const c = cookies[i % cookies.length];
      const response = await fetch(`${app.url}/teams/${c.team}`, { headers: { cookie: c.cookie } });
      if (response.status !== 200) throw new Error(`team page answered ${response.status}`);
      await response.text();
    });
  } finally {
    await app.stop();
  }
  const db = reopen ? await reopen() : database;

  console.error(`${label}: a full reminders run, e-mailing a real SMTP server on loopback…`);
  const smtp = await startSmtpServer();
  const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, mailFrom: "bench@example.test" });
  const [report, remindersMs] = await timed(() =>
    runReminders(db.db, mailer, clock, { serviceUrl: "http://localhost" }),
  );
  const [again, againMs] = await timed(() => runReminders(db.db, mailer, clock, { serviceUrl: "http://localhost" }));
  mailer?.close();
  await smtp.close();
  if (again.reminders !== 0) throw new Error("A second reminders run the same day sent reminders again");
  if (reopen) await db.close();
  return {
    database: label,
    seeded: { users: seeded.users, attempts: seeded.attempts, attestations: seeded.attestations, ms: seedMs },
    teamPage,
    teamPageQueries,
    person,
    council: { ...council, people: councilFigures.people, complete: councilFigures.peopleComplete },
    reminders: {
      ms: remindersMs,
      reminders: report.reminders,
      escalations: report.escalations,
      sent: report.email.sent,
      again: againMs,
    },
  };
}

export async function benchTracking(options: { staff?: number } = {}) {
  STAFF = options.staff ?? STAFF;
  TEAMS = Math.max(10, Math.round(STAFF / 50));
  const load = (await import("node:os")).loadavg()[0].toFixed(2);
  const results: Result[] = [];
  const pg = await benchDatabase(10);
  try {
    results.push(await measure("PostgreSQL 15", pg.database, { DATABASE_URL: pg.url }, 3911));
  } finally {
    await pg.drop();
  }
  const folder = mkdtempSync(join(tmpdir(), "smcoc-bench-tracking-"));
  try {
    const dir = join(folder, "data");
    const lite = await openDatabase({ pgliteDir: dir });
    await lite.migrate();
    results.push(
      await measure("PGlite (embedded)", lite, { DATABASE_URL: undefined, PGLITE_DIR: dir }, 3912, () =>
        openDatabase({ pgliteDir: dir }),
      ),
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const table = [
    "| database | seeded (people / attempts / signatures) | champion team page over HTTP, p50 / p95 | its two status queries, p50 / p95 | one person's status, p50 / p95 | council-wide figures, p50 / p95 | full reminders run (reminders, summaries, e-mails) | second run the same day |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.database} | ${r.seeded.users.toLocaleString("en-GB")} / ${r.seeded.attempts.toLocaleString("en-GB")} / ${r.seeded.attestations.toLocaleString("en-GB")} in ${(r.seeded.ms / 1000).toFixed(1)} s | ${ms(r.teamPage.p50)} / ${ms(r.teamPage.p95)} | ${ms(r.teamPageQueries.p50)} / ${ms(r.teamPageQueries.p95)} | ${ms(r.person.p50)} / ${ms(r.person.p95)} | ${ms(r.council.p50)} / ${ms(r.council.p95)} | ${(r.reminders.ms / 1000).toFixed(1)} s (${r.reminders.reminders.toLocaleString("en-GB")}, ${r.reminders.escalations.toLocaleString("en-GB")}, ${r.reminders.sent.toLocaleString("en-GB")} sent) | ${(r.reminders.again / 1000).toFixed(1)} s |`,
    ),
  ].join("\n");
  writeSection(
    "tracking",
    `## Tracking: team pages, status and reminders at 100,000 staff

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- tracking\` (scripts/bench/tracking.ts); load average ${load} when it began.
One council of ${STAFF.toLocaleString("en-GB")} staff in ${TEAMS.toLocaleString("en-GB")} teams (50 each; one in 40 has left, one in 25 moved team 60 days ago), three
required modules and the code of conduct, with a year of history written in SQL: about three quarters passed each module at some point in the last 14 months
(so some have expired), one in ten failed first, one in ten is part way through, six in ten signed. The team page is requested one at a time over HTTP from the
production server (\`NODE_ENV=production\`, 10 champions' teams in turn, 300 requests); the status figures call the domain functions directly. HR's report at the same size: \`npm run bench -- report\`. The reminders run
e-mails a real SMTP server on loopback (smtp-server, in the bench's own process) through the app's pooled transport, 8 e-mails at a time (\`MAIL_CONNECTIONS\`); each e-mail waits on several SMTP round trips, so the run's time is mostly the mail server's.

${table}

Target: the champion's team page under 50 ms (p95) on PostgreSQL.`,
  );
  console.log(table);
}
