import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { londonDate } from "~/lib/dates";
import { parseReportFilters, reportPage } from "~/reporting/report.server";
import {
  DAILY_SNAPSHOT_DAYS,
  dropAgedDaySnapshots,
  keepDaySnapshot,
  refreshStandings,
} from "~/tracking/standings.server";
import { openDatabase, queryRows, type Database, type Db } from "~db/client.server";
import { benchDatabase, machineLine, ms, percentileOf, writeSection } from "./lib";
import { seed } from "./tracking";

// `npm run bench -- report`: HR's report (`reportPage`: one page of 50 rows and the totals of every row the
// filters select) on the tracking benchmark's council of 100,000 staff, on PostgreSQL and PGlite.
type Timing = { p50: number; p95: number };

/**
 * Issue 17's records on the seeded council: 5 % of staff exempt (half from everything, half from one module; some
 * ended, some recorded weeks after the day they start) and 10 % with training completed elsewhere for one module
 * (recorded up to 60 days after the day it was done), each with its own small evidence file.
 */
export async function seedRecords(db: Db, org: string, today: string) {
  const people = sql`(select id, substring(employee_number from 2)::int as g from users
    where organisation_id = ${org}::uuid and leaving_date is null)`;
  const modules = sql`(select r.id, row_number() over (order by r.id) - 1 as n from requirements r
    where r.organisation_id = ${org}::uuid and r.kind = 'module')`;
  const [{ hr }] = await queryRows<{ hr: string }>(
    db,
    sql`select id as hr from users where organisation_id = ${org}::uuid order by employee_number limit 1`,
  );
  await db.execute(sql`
    insert into exemptions (organisation_id, user_id, kind, requirement_id, reason, starts_on, ends_on, approved_by, recorded_by, recorded_at)
    select ${org}::uuid, u.id, 'granted', case when u.g % 2 = 0 then m.id end,
      (array['parental_leave','long_term_absence','secondment','not_applicable_to_role'])[1 + u.g % 4]::exemption_reason,
      ${today}::date - (u.g % 300), case when u.g % 3 = 0 then ${today}::date - (u.g % 300) + 90 end, 'Head of HR', ${hr}::uuid,
      least(${today}::timestamptz, (${today}::date - (u.g % 300) + (u.g % 40))::timestamptz)
    from ${people} u join ${modules} m on m.n = u.g % 3
    where u.g % 20 = 3`);
  await db.execute(sql`
    with u as (select * from ${people} u where u.g % 10 = 7),
    f as (
      insert into evidence_files (organisation_id, user_id, file_name, media_type, byte_size, sha256, content, uploaded_by)
      select ${org}::uuid, u.id, 'certificate.pdf', 'application/pdf', 9, md5(u.id::text), '\x255044462d312e340a'::bytea, ${hr}::uuid from u
      returning id, user_id
    )
    insert into earlier_training (organisation_id, user_id, requirement_id, completed_on, description, evidence_file_id, recorded_by, recorded_at)
    select ${org}::uuid, u.id, m.id, ${today}::date - (u.g % 400), 'Classroom session', f.id, ${hr}::uuid,
      least(${today}::timestamptz, (${today}::date - (u.g % 400) + (u.g % 60))::timestamptz)
    from u join f on f.user_id = u.id join ${modules} m on m.n = u.g % 3`);
  await db.execute(sql`analyze`);
  return queryRows<{ exempt: number; earlier: number }>(
    db,
    sql`select (select count(distinct user_id) from exemptions)::int as exempt, (select count(*) from earlier_training)::int as earlier`,
  );
}
type Result = {
  database: string;
  rows: number;
  records: { exempt: number; earlier: number };
  rebuild: number;
  changed: number;
  council: Timing;
  deep: Timing;
  overdue: Timing;
  team: Timing;
  asAtRecords: Timing;
  asAtRecordsTeam: Timing;
  snapshot: number;
  snapshotRows: number;
  snapshotBytes: number;
  asAt: Timing;
  asAtOverdue: Timing;
  asAtTeam: Timing;
  drop: number;
};

async function measure(label: string, database: Database): Promise<Result> {
  const now = new Date();
  const clock = { now };
  console.error(`${label}: seeding the council…`);
  const seeded = await seed(database.db, londonDate(now), "not-used");
  const [records] = await seedRecords(database.db, seeded.org, londonDate(now));
  const teams = await queryRows<{ id: string }>(
    database.db,
    sql`select id from teams where organisation_id = ${seeded.org}::uuid order by name limit 50`,
  );
  // 90 days ago, or 91 when that is a month's last day: such a day is never dropped, and the drop is measured too.
  const dayAgo = (days: number) => londonDate(new Date(now.getTime() - days * 86_400_000));
  const past = dayAgo(90).slice(0, 7) === dayAgo(89).slice(0, 7) ? dayAgo(90) : dayAgo(91);
  let rows = 0;
  const pages: Record<string, unknown> = {};
  const time = async (n: number, query: (i: number) => string, at: Date = now): Promise<Timing> => {
    const durations: number[] = [];
    for (let i = 0; i < n; i++) {
      const filters = parseReportFilters(new URLSearchParams(query(i)), at);
      if (!filters.success) throw new Error(filters.error.message);
      const started = performance.now();
      const page = await reportPage(database.db, seeded.org, filters.data, at);
      durations.push(performance.now() - started);
      rows = Math.max(rows, page.totals.rows);
      pages[query(i)] = { rows: page.rows, totals: page.totals };
    }
    return { p50: percentileOf(durations, 50), p95: percentileOf(durations, 95) };
  };
  console.error(`${label}: the day's first refresh (a rebuild of the kept standings)…`);
  // The seed's own inserts were noted by the triggers; the first refresh of the day rebuilds whatever they say.
  let started = performance.now();
  await refreshStandings(database.db, seeded.org, clock);
  const rebuild = performance.now() - started;
  console.error(`${label}: 100 people pass a module, then the next refresh…`);
  await database.db.execute(sql`
    update attempts set status = 'passed', completed_at = ${now.toISOString()}::timestamptz
    where id in (select distinct on (user_id) id from attempts where status <> 'passed' order by user_id, id limit 100)
  `);
  started = performance.now();
  const refresh = await refreshStandings(database.db, seeded.org, { now: new Date(now.getTime() + 1000) });
  const changed = performance.now() - started;
  if (refresh.rebuilt || refresh.people !== 100)
    throw new Error(`expected 100 people worked out again, got ${JSON.stringify(refresh)}`);
  const later = new Date(now.getTime() + 2000);
  console.error(`${label}: the report as it stands now (kept standings)…`);
  const council = await time(20, (i) => `page=${i + 1}`, later);
  const deep = await time(10, (i) => `page=${4000 + i}`, later);
  const overdue = await time(20, (i) => `status=overdue&status=expired&page=${i + 1}`, later);
  const team = await time(100, (i) => `team=${teams[i % teams.length].id}`, later);
  console.error(`${label}: as at 90 days ago from the records (the old way, before the day's snapshot is kept)…`);
  const asAtRecords = await time(5, (i) => `asAt=${past}&page=${i + 1}`, later);
  const asAtRecordsTeam = await time(5, (i) => `asAt=${past}&team=${teams[i % teams.length].id}`, later);
  const fromRecords = JSON.stringify([1, 2, 3, 4, 5].map((i) => pages[`asAt=${past}&page=${i}`]));
  console.error(`${label}: keeping the day's snapshot, then as at 90 days ago from it…`);
  started = performance.now();
  if (!(await keepDaySnapshot(database.db, seeded.org, past, { now: later })))
    throw new Error("the snapshot was already kept");
  const snapshot = performance.now() - started;
  const [size] = await queryRows<{ rows: number; bytes: number }>(
    database.db,
    sql`select (select count(*) from standing_snapshots)::int as rows,
      (pg_total_relation_size('standing_snapshots') + pg_total_relation_size('standing_snapshot_summaries'))::bigint as bytes`,
  );
  const asAt = await time(20, (i) => `asAt=${past}&page=${i + 1}`, later);
  // The same pages as the records gave: the benchmark measures the same report, not a different one.
  if (JSON.stringify([1, 2, 3, 4, 5].map((i) => pages[`asAt=${past}&page=${i}`])) !== fromRecords)
    throw new Error("the report as at the day differs between its snapshot and the records");
  return {
    database: label,
    records,
    rebuild,
    changed,
    council,
    deep,
    overdue,
    team,
    asAtRecords,
    asAtRecordsTeam,
    snapshot,
    snapshotRows: Number(size.rows),
    snapshotBytes: Number(size.bytes),
    asAt,
    asAtOverdue: await time(20, (i) => `asAt=${past}&status=overdue&status=expired&page=${i + 1}`, later),
    asAtTeam: await time(100, (i) => `asAt=${past}&team=${teams[i % teams.length].id}`, later),
    drop: await (async () => {
      console.error(`${label}: dropping the day's snapshot once it is past the days kept…`);
      const at = performance.now();
      const dropped = await dropAgedDaySnapshots(database.db, seeded.org, {
        now: new Date(later.getTime() + 10 * 86_400_000),
      });
      if (dropped.join() !== past) throw new Error(`expected ${past} dropped, not ${dropped.join() || "nothing"}`);
      return performance.now() - at;
    })(),
    rows,
  };
}

export async function benchReport() {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");
  const results: Result[] = [];
  const pg = await benchDatabase(4);
  try {
    results.push(await measure("PostgreSQL 15", pg.database));
  } finally {
    await pg.drop();
  }
  const folder = mkdtempSync(join(tmpdir(), "smcoc-bench-report-"));
  try {
    const lite = await openDatabase({ pgliteDir: join(folder, "data") });
    await lite.migrate();
    try {
      results.push(await measure("PGlite (embedded)", lite));
    } finally {
      await lite.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const pair = (t: Timing) => `${ms(t.p50)} / ${ms(t.p95)}`;
  const table = [
    "| database | report rows (people × requirements) | exempt people / earlier-training records | the day's rebuild | refresh after 100 people changed | whole council, p50 / p95 | page 4,000 of 7,804, p50 / p95 | overdue or expired only, p50 / p95 | one team, p50 / p95 |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.database} | ${r.rows.toLocaleString("en-GB")} | ${r.records.exempt.toLocaleString("en-GB")} / ${r.records.earlier.toLocaleString("en-GB")} | ${(r.rebuild / 1000).toFixed(1)} s | ${ms(r.changed)} | ${pair(r.council)} | ${pair(r.deep)} | ${pair(r.overdue)} | ${pair(r.team)} |`,
    ),
  ].join("\n");
  const asAtTable = [
    "| database | from the records (the old way): whole council, p50 / p95 | from the records: one team, p50 / p95 | keeping the day's snapshot (once, by `npm run reminders`) | snapshot size (rows, with indexes) | from the snapshot: whole council, p50 / p95 | from the snapshot: overdue or expired only, p50 / p95 | from the snapshot: one team, p50 / p95 | dropping the day once aged (by `npm run reminders`) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.database} | ${pair(r.asAtRecords)} | ${pair(r.asAtRecordsTeam)} | ${(r.snapshot / 1000).toFixed(1)} s | ${r.snapshotRows.toLocaleString("en-GB")} rows, ${(r.snapshotBytes / 1048576).toFixed(0)} MB | ${pair(r.asAt)} | ${pair(r.asAtOverdue)} | ${pair(r.asAtTeam)} | ${(r.drop / 1000).toFixed(1)} s |`,
    ),
  ].join("\n");
  const after = loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");
  writeSection(
    "report",
    `## HR's report at 100,000 staff, now and as at a past day

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- report\` (scripts/bench/report.ts); load average ${load} when it began and ${after} when it ended:
the machine is shared with other engineers' tests and benchmarks, so the figures are of a loaded machine.
The council of the tracking benchmark (100,000 staff in 2,000 teams, a year of history), with issue 17's records: 5 % of the staff
still there exempt (half from everything, half from one module, a third of them ended, some recorded weeks after their first day)
and 10 % with training completed elsewhere (recorded up to 60 days after the day it was done). Each page figure is \`reportPage\`, the
report page's one domain call: one page of 50 rows and the totals of every row the filters select.

**Now** the report reads the kept standings (docs/decisions/0010): "the day's rebuild" is the first refresh of a London day (which
\`npm run reminders\` normally pays), and "refresh after 100 people changed" is the refresh a page view pays after 100 people passed a
module. Every page figure includes its refresh.

${table}

**As at 90 days ago** (the end of that London day). The old way works every status out from the records on each view; it is measured
first, in the same run, 5 views each (so its p95 is the slowest of five). Then the day's snapshot is kept as \`npm run reminders\` keeps
yesterday's (docs/decisions/0026), and the report reads it: the first five pages were checked equal to the records' before timing went on.
Last, ten days later by the clock, the day is past the ${DAILY_SNAPSHOT_DAYS} days kept and not a month's last day, and the daily run drops it.

${asAtTable}`,
  );
  console.log(table);
}
