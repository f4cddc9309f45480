// Roster import at 50,000 rows: the domain functions the pages call (uploadRoster, then applyRosterUpload), timed
// directly on PostgreSQL and on PGlite. Mail is not sent (links are made in the transaction, as with SMTP set up).
import { loadavg } from "node:os";
import { PGlite } from "@electric-sql/pglite";
import { count, eq } from "drizzle-orm";
import { applyRosterUpload } from "~/people/roster-apply.server";
import { uploadRoster } from "~/people/roster-plan.server";
import { openDatabase, type Database } from "~db/client.server";
import { passwordTokens, teamMemberships, users } from "~db/schema";
import { aCouncil, asCurrentUser } from "../../test/support/factories";
import { benchDatabase, machineLine, rssMb, writeSection } from "./lib";

const TEAMS = 40;
const NOW = new Date("2026-06-15T10:00:00Z");

type Person = { n: number; name: string; team: number; start: string; leaving: string };

function roster(people: Person[]): Uint8Array {
  const lines = ["Employee number,Name,Email,Team,Start date,Leaving date"];
  for (const p of people)
    lines.push(
      `R${String(p.n).padStart(6, "0")},${p.name},person.${p.n}@bench.example,Team ${p.team},${p.start},${p.leaving}`,
    );
  // As Excel's "CSV UTF-8" writes it: a byte order mark and CRLF line ends.
  return new TextEncoder().encode(`\uFEFF${lines.join("\r\n")}\r\n`);
}

function population(rows: number): Person[] {
  return Array.from({ length: rows }, (_, i) => ({
    n: i + 1,
    name: i % 7 === 0 ? `Zoë O’Brien-Ñúñez ${i + 1}` : `Person ${i + 1}`,
    team: (i % TEAMS) + 1,
    start:
      i % 2 === 0
        ? `${String((i % 28) + 1).padStart(2, "0")}/0${(i % 9) + 1}/2024`
        : `2025-0${(i % 9) + 1}-${String((i % 28) + 1).padStart(2, "0")}`,
    leaving: "",
  }));
}

/** The second file a month later: 5 % moved team, 2 % renamed, 1 % leaving today or earlier, 2 % new. */
function nextMonth(people: Person[]): Person[] {
  const next = people.map((p, i) => ({
    ...p,
    team: i % 20 === 0 ? (p.team % TEAMS) + 1 : p.team,
    name: i % 50 === 1 ? `${p.name} Renamed` : p.name,
    leaving: i % 100 === 2 ? "2026-06-01" : p.leaving,
  }));
  const extra = Math.round(people.length * 0.02);
  for (let i = 0; i < extra; i++)
    next.push({
      n: people.length + i + 1,
      name: `Newcomer ${i}`,
      team: (i % TEAMS) + 1,
      start: "2026-06-01",
      leaving: "",
    });
  return next;
}

async function timed<T>(task: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await task();
  return [result, (performance.now() - started) / 1000];
}

async function importOnce(database: Database, hr: ReturnType<typeof asCurrentUser>, bytes: Uint8Array, name: string) {
  const info = { ip: null, requestId: null, now: NOW };
  const [uploaded, upload] = await timed(() => uploadRoster(database.db, hr, { name, bytes }, info));
  if (!uploaded.ok) throw new Error(uploaded.error);
  if (uploaded.summary.status !== "ready")
    throw new Error(
      `${name}: ${uploaded.summary.problemCount} problems, first ${JSON.stringify(uploaded.summary.problems[0])}`,
    );
  const [applied, apply] = await timed(() =>
    applyRosterUpload(
      database.db,
      hr,
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      { withLinks: true },
      info,
    ),
  );
  if (applied.outcome !== "applied") throw new Error(`${name}: ${applied.outcome}`);
  return { counts: uploaded.summary.counts, upload, apply, total: upload + apply, bytes: bytes.length };
}

async function measure(database: Database, rows: number) {
  const council = await aCouncil(database.db);
  const hr = asCurrentUser(council.hr, council.organisation);
  const first = population(rows);
  const second = nextMonth(first);
  const results = {
    first: await importOnce(database, hr, roster(first), "first.csv"),
    second: await importOnce(database, hr, roster(second), "second.csv"),
    again: await importOnce(database, hr, roster(second), "second-again.csv"),
  };
  const [[people], [memberships], [links]] = await Promise.all([
    database.db.select({ n: count() }).from(users).where(eq(users.organisationId, council.organisation.id)),
    database.db.select({ n: count() }).from(teamMemberships),
    database.db.select({ n: count() }).from(passwordTokens),
  ]);
  return { ...results, people: people.n, memberships: memberships.n, links: links.n, rss: rssMb() };
}

export async function benchRoster(options: { rows: number }) {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
  console.error(`roster: ${options.rows} rows on PostgreSQL…`);
  const bench = await benchDatabase(10);
  let onPostgres;
  try {
    onPostgres = await measure(bench.database, options.rows);
  } finally {
    await bench.drop();
  }
  console.error(`roster: ${options.rows} rows on PGlite…`);
  const pglite = await PGlite.create();
  const embedded = await openDatabase({ pglite });
  await embedded.migrate();
  const onPglite = await measure(embedded, options.rows);
  await embedded.close();

  const s = (v: number) => `${v.toFixed(1)} s`;
  const row = (database: string, what: string, r: Awaited<ReturnType<typeof importOnce>>) =>
    `| ${database} | ${what} | ${(r.bytes / 2 ** 20).toFixed(1)} MB | ${r.counts.added} / ${r.counts.changed} / ${r.counts.deactivated} / ${r.counts.unchanged} | ${s(r.upload)} | ${s(r.apply)} | **${s(r.total)}** |`;
  const table = (database: string, r: typeof onPostgres) =>
    [
      row(database, "first import (everyone new)", r.first),
      row(database, "a month later (moves, renames, leavers, new)", r.second),
      row(database, "the same file again", r.again),
    ].join("\n");
  const markdown = `## Staff roster import (${options.rows.toLocaleString("en-GB")} rows)

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- roster\` (scripts/bench/roster.ts;
\`--roster-rows N\` for another size). Load average before the run: ${load} (other engineers' tests and benchmarks share the machine).
It calls the domain functions the pages call, directly (no HTTP): **upload** is \`uploadRoster\` (decode, CSV parse, zod
validation of every row, the plan against the organisation's people and everyone's e-mail addresses, the preview summary,
storing the file); **apply** is \`applyRosterUpload\` (lock, re-read and re-check the stored file against the people as
they are then, then every write in one transaction: teams, people, memberships, leavers, sessions, one set-password
link per new person; no e-mail is sent). The file is generated as Excel's "CSV UTF-8" writes it (BOM, CRLF, accented
names, ISO and UK dates). The second file moves 5 % of people to another team, renames 2 %, gives 1 % a leaving date
in the past and adds 2 %; the third is the second again.

| database | import | file | added / changed / deactivated / unchanged | upload (parse, validate, preview) | apply | total |
| --- | --- | --- | --- | --- | --- | --- |
${table("PostgreSQL 15", onPostgres)}
${table("PGlite (embedded)", onPglite)}

Afterwards: ${onPostgres.people.toLocaleString("en-GB")} people (PostgreSQL) and ${onPglite.people.toLocaleString("en-GB")} (PGlite), ${onPostgres.links.toLocaleString("en-GB")} set-password links made; process RSS at the end ${onPglite.rss} MB.
Target: a 50,000-row roster imported (upload and apply) in under 30 s.

Most of a first import's apply is inserting 50,000 people (three unique indexes on users), their memberships and
their links. Later imports are dominated by checking the file twice, at upload and again inside the apply
transaction (so that what is applied is exactly what the preview showed); a file that changes nothing still pays
for both checks.`;
  writeSection("roster", markdown);
  console.log(markdown);
}
