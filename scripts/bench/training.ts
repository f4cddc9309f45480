import type { AddressInfo } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import pino from "pino";
import { loadConfig } from "~/config.server";
import { createHttpApp } from "~/http/server.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { loadModules } from "~/training/load-content";
import { END } from "~/training/machine";
import { openDatabase, queryRows, type Database } from "~db/client.server";
import { aCouncil, aModuleContent, aPerson, TEST_PASSWORD } from "../../test/support/factories";
import { HttpClient } from "../../test/support/http";
import { loadBuild } from "../../test/support/server";
import { benchDatabase, machineLine, ms, percentileOf, writeSection } from "./lib";

const STAFF = 50;

/** The module to answer: the first shipped one, or the test module when content/ has none yet. */
async function moduleFor(organisation: string): Promise<TrainingModule> {
  const { modules } = await loadModules("content");
  const shipped = modules.find((m) => m.organisation === "hertfordshire");
  return { ...(shipped ?? (aModuleContent(organisation) as unknown as TrainingModule)), organisation: organisation as TrainingModule["organisation"] };
}

/** The path of always choosing the first choice: the questions in order, with the step each is asked at. */
function firstChoicePath(module: TrainingModule) {
  const path: { scenarioId: string; choiceId: string }[] = [];
  let id = module.startScenario;
  while (id !== END) {
    const scenario = module.scenarios.find((s) => s.id === id)!;
    path.push({ scenarioId: scenario.id, choiceId: scenario.choices[0].id });
    id = scenario.choices[0].next;
  }
  return path;
}

async function measure(database: Database, seconds: number) {
  const db = database.db;
  const council = await aCouncil(db);
  const module = await moduleFor(council.organisation.slug);
  await syncTrainingModules(db, [module], new Date());
  const path = firstChoicePath(module);
  const config = loadConfig({ NODE_ENV: "production", SESSION_SECRET: "x".repeat(40), LOG_LEVEL: "silent" });
  const app = createHttpApp({ database, config, build: await loadBuild(), logger: pino({ level: "silent" }), mailer: null });
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const clients: HttpClient[] = [];
    for (let i = 0; i < STAFF; i++) {
      const person = await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
      const client = new HttpClient(base);
      await client.signIn(person.email, TEST_PASSWORD);
      clients.push(client);
    }
    const latencies: number[] = [];
    let errors = 0;
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        const csrf = await client.csrfToken();
        while (performance.now() < deadline) {
          const start = await client.post(`/training/${module.id}`, {}, { csrf });
          const attemptPath = start.headers.get("location");
          if (!attemptPath) throw new Error(`starting answered ${start.status}`);
          for (const [step, choice] of path.entries()) {
            if (performance.now() >= deadline) break;
            const t0 = performance.now();
            const response = await client.post(attemptPath, { scenarioId: choice.scenarioId, choiceId: choice.choiceId, step: String(step) }, { csrf });
            latencies.push(performance.now() - t0);
            if (response.status !== 302) errors++;
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const [size] = await queryRows<{ avg: number; max: number }>(
      db,
      sql`select coalesce(avg(octet_length(snapshot::text)), 0)::int as avg, coalesce(max(octet_length(snapshot::text)), 0)::int as max from attempts`,
    );
    return { answers: latencies.length, rate: latencies.length / elapsed, p50: percentileOf(latencies, 50), p95: percentileOf(latencies, 95), errors, size, questions: path.length, module: module.title };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

export async function benchTraining(seconds: number) {
  console.error("training: answers on PGlite…");
  const pglite = await PGlite.create();
  const embedded = await openDatabase({ pglite });
  await embedded.migrate();
  const onPglite = await measure(embedded, seconds);
  await embedded.close();
  console.error("training: answers on PostgreSQL…");
  const bench = await benchDatabase(10);
  let onPostgres;
  try {
    onPostgres = await measure(bench.database, seconds);
  } finally {
    await bench.drop();
  }
  const row = (name: string, r: typeof onPglite) =>
    `| ${name} | ${r.answers} | ${r.rate.toFixed(0)}/s | ${ms(r.p50)} | ${ms(r.p95)} | ${r.errors} | ${r.size.avg} B (max ${r.size.max} B) |`;
  const markdown = `## Answering training questions

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- training\` (scripts/bench/training.ts).
${STAFF} signed-in staff answer "${onPglite.module}" (${onPglite.questions} questions on the path taken) as fast as the server lets them for ${seconds} s:
each answer is a form POST (CSRF check, session, row lock, XState transition recomputed from the stored snapshot, snapshot and
event written in one transaction, redirect). Client and server share the 2 cores, so the figures are conservative.

| database | answers | answers/s | p50 | p95 | errors | stored snapshot size |
| --- | --- | --- | --- | --- | --- | --- |
${row("PGlite (embedded)", onPglite)}
${row("PostgreSQL 15", onPostgres)}

Target on PostgreSQL: p95 under 100 ms.`;
  writeSection("training", markdown);
  console.log(markdown);
}
