import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { demoOrganisations, readOrganisationFile } from "~db/seed-demo.server";
import { load, loadLine, machineLine, ms, signedInCookie, startApp, writeSection, type LoadResult } from "./lib";

// Start-up time and the signed-in home page, on PGlite and on PostgreSQL (DATABASE_URL, default the local server).
const connections = 10;
const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const password = process.env.DEMO_PASSWORD ?? "correct-horse-battery-staple";

type Row = { database: string; fresh: number; existing: number; home: LoadResult };

async function measure(
  database: string,
  env: Record<string, string | undefined>,
  port: number,
  seconds: number,
): Promise<Row> {
  console.error(`${database}: cold start on a fresh database…`);
  const fresh = await startApp(env, port);
  await fresh.stop();
  console.error(`${database}: start on the existing database…`);
  const existing = await startApp(env, port);
  await existing.stop();
  // The page load runs as production does (React's production build, secure cookie settings).
  const production = await startApp(
    {
      ...env,
      NODE_ENV: "production",
      SESSION_SECRET: randomBytes(32).toString("hex"),
      SERVICE_URL: `http://127.0.0.1:${port}`,
    },
    port,
  );
  try {
    const { demoEmailDomain } = readOrganisationFile("content", demoOrganisations("content")[0]);
    const cookie = await signedInCookie(production.url, `staff@${demoEmailDomain}`, password);
    console.error(`${database}: signed-in home page, ${connections} connections for ${seconds} s…`);
    const home = await load({ url: `${production.url}/`, headers: { cookie }, connections, seconds });
    return { database, fresh: fresh.msToFirst200, existing: existing.msToFirst200, home };
  } finally {
    await production.stop();
  }
}

export async function benchStartup(seconds: number) {
  const loadBefore = loadLine();
  const rows: Row[] = [];
  const pgliteDir = mkdtempSync(join(tmpdir(), "smcoc-bench-"));
  try {
    rows.push(
      await measure(
        "PGlite (embedded)",
        { DATABASE_URL: undefined, PGLITE_DIR: join(pgliteDir, "data") },
        3901,
        seconds,
      ),
    );
  } finally {
    rmSync(pgliteDir, { recursive: true, force: true });
  }

  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const name = `smcoc_bench_${process.pid}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    rows.push(await measure("PostgreSQL 15 (server)", { DATABASE_URL: url.toString() }, 3902, seconds));
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }

  const table = [
    "| database | cold start, fresh data (to first 200) | start, existing data | home page req/s | p50 | p95 | p99 | errors / non-2xx |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.database} | ${ms(r.fresh)} | ${ms(r.existing)} | ${r.home.rps.toFixed(0)} | ${ms(r.home.p50)} | ${ms(r.home.p95)} | ${ms(r.home.p99)} | ${r.home.errors} / ${r.home.non2xx} |`,
    ),
  ].join("\n");

  writeSection(
    "startup-home",
    `## Start-up and the signed-in home page

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- startup\` (scripts/bench/startup.ts).
Machine load (\`uptime\`, 1/5/15 min): ${loadBefore} before, ${loadLine()} after.
Start-up runs \`scripts/start.ts\` as \`npm start\` does in development (migrate, seed demo data on a fresh
database, serve) until \`/sign-in\` first answers 200; the build already exists. The home page load runs the same
app with \`NODE_ENV=production\` on the seeded data: autocannon on loopback, ${connections} connections for ${seconds} s,
signed in as the demo staff account; percentiles are exact, over every response.

${table}`,
  );
  console.log(table);
}
