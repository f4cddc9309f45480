import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { londonDate } from "~/lib/dates";
import { parseReportFilters, reportPage } from "~/reporting/report.server";
import { openDatabase, queryRows, type Database } from "~db/client.server";
import { benchDatabase, machineLine, ms, percentileOf, writeSection } from "./lib";
import { seed } from "./tracking";

// `npm run bench -- report`: HR's report (`reportPage`: one page of 50 rows and the totals of every row the
// filters select) on the tracking benchmark's council of 100,000 staff, on PostgreSQL and PGlite.
type Timing = { p50: number; p95: number };
type Result = { database: string; rows: number; council: Timing; asAt: Timing; overdue: Timing; team: Timing };

async function measure(label: string, database: Database): Promise<Result> {
  const now = new Date();
  console.error(`${label}: seeding the council…`);
  const seeded = await seed(database.db, londonDate(now), "not-used");
  const teams = await queryRows<{ id: string }>(database.db, sql`select id from teams where organisation_id = ${seeded.org}::uuid order by name limit 50`);
  const past = londonDate(new Date(now.getTime() - 90 * 86_400_000));
  let rows = 0;
  const time = async (n: number, query: (i: number) => string): Promise<Timing> => {
    const durations: number[] = [];
    for (let i = 0; i < n; i++) {
      const filters = parseReportFilters(new URLSearchParams(query(i)), now);
      if (!filters.success) throw new Error(filters.error.message);
      const started = performance.now();
      const page = await reportPage(database.db, seeded.org, filters.data, now);
      durations.push(performance.now() - started);
      rows = Math.max(rows, page.totals.rows);
    }
    return { p50: percentileOf(durations, 50), p95: percentileOf(durations, 95) };
  };
  console.error(`${label}: the report, council-wide, as at 90 days ago, overdue only, and one team…`);
  return {
    database: label,
    council: await time(10, (i) => `page=${i + 1}`),
    asAt: await time(10, (i) => `asAt=${past}&page=${i + 1}`),
    overdue: await time(10, (i) => `status=overdue&status=expired&page=${i + 1}`),
    team: await time(100, (i) => `team=${teams[i % teams.length].id}`),
    rows,
  };
}

export async function benchReport() {
  const load = loadavg().map((l) => l.toFixed(2)).join(" / ");
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
    "| database | report rows (people × requirements) | whole council, p50 / p95 | as at 90 days ago, p50 / p95 | overdue or expired only, p50 / p95 | one team, p50 / p95 |",
    "| --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) => `| ${r.database} | ${r.rows.toLocaleString("en-GB")} | ${ms(r.council.p50)} / ${ms(r.council.p95)} | ${ms(r.asAt.p50)} / ${ms(r.asAt.p95)} | ${ms(r.overdue.p50)} / ${ms(r.overdue.p95)} | ${ms(r.team.p50)} / ${ms(r.team.p95)} |`,
    ),
  ].join("\n");
  writeSection(
    "report",
    `## HR's report at 100,000 staff

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- report\` (scripts/bench/report.ts); load average ${load} when it began.
The council of the tracking benchmark (100,000 staff in 2,000 teams, a year of history). Each figure is \`reportPage\`, the report page's one
domain call: one page of 50 rows and the totals of every row the filters select, computed in one pass over the status rows.
Council-wide, every one of the ~390,000 person-and-requirement rows has its status computed and is sorted; filtered by team, the status query
only reads that team's people.

${table}`,
  );
  console.log(table);
}
