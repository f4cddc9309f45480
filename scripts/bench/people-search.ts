import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { searchPeople, SEARCH_PAGE_SIZE } from "~/people/people-search.server";
import { openDatabase, queryRows, type Database } from "~db/client.server";
import { benchDatabase, loadLine, machineLine, ms, percentileOf, writeSection } from "./lib";

// `npm run bench -- people-search`: an admin's person search (`searchPeople`, the people page's one domain call) in
// a council of 100,000 people (and a second council of 20,000 in the same tables), on PostgreSQL and PGlite,
// against a baseline measured in the same run: the same search as a case-insensitive substring scan (ILIKE), as a
// search without the index would be written.
const FIRST = (
  "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Willow Florence Emily Ella Poppy Evie " +
  "Elsie Charlotte Evelyn Sienna Sofia Daisy Phoebe Harper Alice Ruby Matilda Sophie Muhammad Noah Oliver George " +
  "Leo Arthur Oscar Harry Theodore Jack Henry Charlie Freddie Alfie Archie Thomas Jacob Teddy Finley Lucas Isaac " +
  "Joshua James William Edward Samuel Joseph Daniel Aisha Priya Siobhan Niamh Aoife Ciaran Dylan Rhys Gethin Bethan"
).split(" ");
const LAST = (
  "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson Evans Walker White Roberts " +
  "Green Hall Thomas Clarke Jackson Wood Harris Edwards Turner Martin Cooper Hill Ward Hughes Moore Clark King Harrison " +
  "Lewis Baker Lee Allen Morris Khan Scott Watson Davis Parker James Bennett Young Phillips Richardson Mitchell Bailey " +
  "Carter Cook Singh Shaw Bell Collins Morgan Kelly Begum Miller Cox Hussain Marshall Simpson Price Anderson Adams " +
  "Wilkinson Ali Ahmed Foster Ellis Murphy Chapman Mason Gray Richards Webb Griffiths Hunt Palmer Campbell Holmes " +
  "Mills Rogers Barnes Knight Matthews Barker Powell Stevens Kaur Fisher Butler Dixon Russell Harvey Pearson Graham " +
  "OBrien Fletcher Gallagher Doherty Nolan Quinn Byrne McCarthy Kennedy Lynch Murray Reid Stewart Ferguson Fraser"
).split(" ");

async function seed(database: Database, people: number) {
  const db = database.db;
  const [org] = await queryRows<{ id: string }>(
    db,
    sql`insert into organisations (slug, name) values ('search-bench', 'Search Bench Council') returning id`,
  );
  const [other] = await queryRows<{ id: string }>(
    db,
    sql`insert into organisations (slug, name) values ('search-other', 'Another Council') returning id`,
  );
  const first = sql`${`{${FIRST.join(",")}}`}::text[]`;
  const last = sql`${`{${LAST.join(",")}}`}::text[]`;
  await db.execute(sql`insert into teams (organisation_id, name)
    select ${org.id}::uuid, 'Team ' || t from generate_series(1, 200) t`);
  for (const [organisationId, count, prefix] of [
    [org.id, people, "E"],
    [other.id, Math.round(people / 5), "X"],
  ] as const)
    await db.execute(sql`
      insert into users (organisation_id, team_id, employee_number, name, email, start_date)
      select ${organisationId}::uuid,
             (select id from teams where organisation_id = ${org.id}::uuid and name = 'Team ' || (1 + i % 200)),
             ${prefix} || lpad(i::text, 6, '0'),
             f || ' ' || l,
             lower(f) || '.' || lower(l) || i || '@' || ${prefix === "E" ? "bench" : "other"} || '.example',
             date '2024-01-01' + (i % 700)
        from generate_series(1, ${count}) i,
             lateral (select (${first})[(1 + (i::bigint * 7919) % ${FIRST.length})::int] as f,
                             (${last})[(1 + (i::bigint * 104729) % ${LAST.length})::int] as l) n`);
  await db.execute(sql`analyze users`);
  return org.id;
}

type Kind = { label: string; typed: (i: number) => string };

/** The same matches, page and order as searchPeople, found by scanning every row of the council. */
async function substringScan(database: Database, organisationId: string, typed: string) {
  const words = typed.split(/\s+/).filter(Boolean);
  const conditions = words.map(
    (w) => sql`(name ilike ${`%${w}%`} or email ilike ${`%${w}%`} or employee_number ilike ${`%${w}%`})`,
  );
  return queryRows(
    database.db,
    sql`select id, name from users where organisation_id = ${organisationId}::uuid and ${sql.join(conditions, sql` and `)}
        order by name, id limit ${SEARCH_PAGE_SIZE + 1}`,
  );
}

async function measure(label: string, database: Database, people: number, rounds: number) {
  console.error(`${label}: seeding ${people.toLocaleString("en-GB")} people…`);
  const started = performance.now();
  const org = await seed(database, people);
  const seedSeconds = (performance.now() - started) / 1000;
  const person = (i: number) => {
    const n = 1 + ((i * 15485863) % people);
    return {
      first: FIRST[(n * 7919) % FIRST.length],
      last: LAST[(n * 104729) % LAST.length],
      n,
      employee: `E${String(n).padStart(6, "0")}`,
    };
  };
  const kinds: Kind[] = [
    { label: "surname", typed: (i) => person(i).last },
    { label: "first name and surname", typed: (i) => `${person(i).first} ${person(i).last}` },
    { label: "start of a surname (3 letters)", typed: (i) => person(i).last.slice(0, 3).toLowerCase() },
    {
      label: "e-mail address",
      typed: (i) => `${person(i).first.toLowerCase()}.${person(i).last.toLowerCase()}${person(i).n}@bench.example`,
    },
    { label: "employee number", typed: (i) => person(i).employee },
  ];
  const rows: { kind: string; indexed: number[]; scan: number[]; found: number }[] = [];
  for (const kind of kinds) {
    console.error(`${label}: ${kind.label}…`);
    const indexed: number[] = [];
    const scan: number[] = [];
    let found = 0;
    // Alternated, so both see the same machine load.
    for (let i = 0; i < rounds; i++) {
      const typed = kind.typed(i);
      let t = performance.now();
      const result = await searchPeople(database.db, org, typed, 1);
      indexed.push(performance.now() - t);
      found += result.people.length;
      if (result.people.length === 0) throw new Error(`${label}: nothing found for ${typed}`);
      t = performance.now();
      await substringScan(database, org, typed);
      scan.push(performance.now() - t);
    }
    rows.push({ kind: kind.label, indexed, scan, found: found / rounds });
  }
  const all = { indexed: rows.flatMap((r) => r.indexed), scan: rows.flatMap((r) => r.scan) };
  return { label, seedSeconds, rows, all };
}

export async function benchPeopleSearch(options: { people: number; rounds: number }) {
  const load = loadLine();
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  const pg = await benchDatabase(2);
  try {
    results.push(await measure("PostgreSQL 15", pg.database, options.people, options.rounds));
  } finally {
    await pg.drop();
  }
  const folder = mkdtempSync(join(tmpdir(), "smcoc-bench-search-"));
  try {
    const lite = await openDatabase({ pgliteDir: join(folder, "data") });
    await lite.migrate();
    try {
      results.push(await measure("PGlite (embedded)", lite, options.people, options.rounds));
    } finally {
      await lite.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const timing = (values: number[]) => `${ms(percentileOf(values, 50))} / ${ms(percentileOf(values, 95))}`;
  const table = [
    "| database | what was typed | people found (first page, mean) | search, p50 / p95 | baseline ILIKE scan, p50 / p95 |",
    "| --- | --- | --- | --- | --- |",
    ...results.flatMap((r) => [
      ...r.rows.map(
        (row) =>
          `| ${r.label} | ${row.kind} | ${row.found.toFixed(1)} | ${timing(row.indexed)} | ${timing(row.scan)} |`,
      ),
      `| ${r.label} | **all of them** | | **${timing(r.all.indexed)}** | ${timing(r.all.scan)} |`,
    ]),
  ].join("\n");
  writeSection(
    "people-search",
    `## An admin's person search at 100,000 people

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- people-search\`
(scripts/bench/people-search.ts); load average ${load} when it began. A council of ${options.people.toLocaleString("en-GB")} people (${FIRST.length} first
names × ${LAST.length} surnames, so a surname is shared by about ${Math.round(options.people / LAST.length).toLocaleString("en-GB")} people) and a second council of
${Math.round(options.people / 5).toLocaleString("en-GB")} in the same table. Each figure is \`searchPeople\`, the people page's one domain call (the first page of ${SEARCH_PAGE_SIZE},
by name), ${options.rounds} searches of each kind; the baseline, timed alternately in the same run, finds the same people by a
case-insensitive substring scan (\`ILIKE '%word%'\` on name, e-mail and employee number), as a search without the index
(docs/decisions/0017) would. Target: p95 under 50 ms.

${table}`,
  );
  console.log(table);
}
