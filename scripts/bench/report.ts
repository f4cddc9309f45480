import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { londonDate } from "~/lib/dates";
import { parseReportFilters, reportPage } from "~/reporting/report.server";
import { refreshStandings } from "~/tracking/standings.server";
import { openDatabase, queryRows, type Database } from "~db/client.server";
import { benchDatabase, machineLine, ms, percentileOf, writeSection } from "./lib";
import { seed } from "./tracking";

// `npm run bench -- report`: HR's report (`reportPage`: one page of 50 rows and the totals of every row the
// filters select) on the tracking benchmark's council of 100,000 staff, on PostgreSQL and PGlite.
type Timing = { p50: number; p95: number };
type Result = {
  database: string;
  rows: number;
  rebuild: number;
  changed: number;
  council: Timing;
  deep: Timing;
  overdue: Timing;
  team: Timing;
  asAt: Timing;
};

async function measure(label: string, database: Database): Promise<Result> {
  const now = new Date();
  const clock = { now };
  console.error(`${label}: seeding the council…`);
  const seeded = await seed(database.db, londonDate(now), "not-used");
  const teams = await queryRows<{ id: string }>(
    database.db,
    sql`select id from teams where organisation_id = ${seeded.org}::uuid order by name limit 50`,
  );
  const past = londonDate(new Date(now.getTime() - 90 * 86_400_000));
  let rows = 0;
  const time = async (n: number, query: (i: number) => string, at: Date = now): Promise<Timing> => {
    const durations: number[] = [];
    for (let i = 0; i < n; i++) {
      const filters = parseReportFilters(new URLSearchParams(query(i)), at);
      if (!filters.success) throw new Error(filters.error.message);
      const started = performance.now();
      const page = await reportPage(database.db, seeded.org, filters.data, at);
      durations.push(performance.now() - started);
      rows = Math.max(rows, page.totals.rows);
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
  console.error(
    `${label}: the report as it stands (kept standings), as at 90 days ago and one team's from the records…`,
  );
  return {
    database: label,
    rebuild,
    changed,
    council: await time(20, (i) => `page=${i + 1}`, later),
    deep: await time(10, (i) => `page=${4000 + i}`, later),
    overdue: await time(20, (i) => `status=overdue&status=expired&page=${i + 1}`, later),
    team: await time(100, (i) => `team=${teams[i % teams.length].id}`, later),
    asAt: await time(10, (i) => `asAt=${past}&page=${i + 1}`, later),
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
  const table = [
    "| database | report rows (people × requirements) | the day's rebuild | refresh after 100 people changed | whole council, p50 / p95 | page 4,000 of 7,804, p50 / p95 | overdue or expired only, p50 / p95 | one team, p50 / p95 | as at 90 days ago (from the records), p50 / p95 |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.database} | ${r.rows.toLocaleString("en-GB")} | ${(r.rebuild / 1000).toFixed(1)} s | ${ms(r.changed)} | ${ms(r.council.p50)} / ${ms(r.council.p95)} | ${ms(r.deep.p50)} / ${ms(r.deep.p95)} | ${ms(r.overdue.p50)} / ${ms(r.overdue.p95)} | ${ms(r.team.p50)} / ${ms(r.team.p95)} | ${ms(r.asAt.p50)} / ${ms(r.asAt.p95)} |`,
    ),
  ].join("\n");
  writeSection(
    "report",
    `## HR's report at 100,000 staff

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- report\` (scripts/bench/report.ts); load average ${load} when it began.
The council of the tracking benchmark (100,000 staff in 2,000 teams, a year of history). Each page figure is \`reportPage\`, the report page's one
domain call: one page of 50 rows and the totals of every row the filters select. As it stands now, the report reads the kept standings
(docs/decisions/0010): "the day's rebuild" is the first refresh of a London day (which \`npm run reminders\` normally pays), and "refresh after
100 people changed" is the refresh a page view pays after 100 people passed a module. Every page figure includes its refresh. As at a past day,
the report works every status out from the records.

${table}`,
  );
  console.log(table);
}
