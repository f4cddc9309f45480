import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import pino from "pino";
import { loadConfig } from "~/config.server";
import { createHttpApp } from "~/http/server.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { loadModules } from "~/training/load-content";
import { openDatabase, queryRows, type Database } from "~db/client.server";
import { aCouncil, aModuleContent, aPerson, TEST_PASSWORD } from "../../test/support/factories";
import { loadBuild } from "../../test/support/server";
import type { AttemptQuestion, StaffResult, StaffWork } from "./answering-staff";
import type { AttemptInput } from "~/training/machine";
import { benchDatabase, cpuMeter, loadLine, machineLine, ms, percentileOf, writeSection } from "./lib";

const STAFF = 50;
const WARMUP_SECONDS = 3;

/**
 * Runs the staff in a worker thread (scripts/bench/answering-staff.ts): `signedIn` runs once all have signed
 * in, just before they start answering, and the promise gives their latencies.
 */
function staffAnswering(
  work: StaffWork,
  signedIn: () => void,
  attemptInput: (attemptId: string) => Promise<AttemptInput>,
): Promise<StaffResult> {
  return new Promise((resolve, reject) => {
    // A worker cannot start from a .ts file on Node 20: a line of JavaScript registers tsx in it first.
    const entry = new URL("./answering-staff.ts", import.meta.url).href;
    const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: work });
    worker.on("message", (message: StaffResult | { ready: true } | AttemptQuestion) => {
      if ("attemptId" in message) {
        void attemptInput(message.attemptId).then(
          (input) => worker.postMessage({ requestId: message.requestId, input }),
          reject,
        );
      } else if ("ready" in message) {
        signedIn();
        worker.postMessage("go");
      } else resolve(message);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => code === 0 || reject(new Error(`the staff worker exited with ${code}`)));
  });
}

/** The module to answer: the first shipped one, or the test module when content/ has none yet. */
async function moduleFor(organisation: string): Promise<TrainingModule> {
  const { modules } = await loadModules("content");
  const shipped = modules.at(0);
  return {
    ...(shipped ?? (aModuleContent(organisation) as unknown as TrainingModule)),
    organisation: organisation as TrainingModule["organisation"],
  };
}

/**
 * The two ways the server draws, measured in the same run: the engine as shipped (crypto randomness: each attempt
 * draws its variants and shuffles its choices), and a baseline with no randomness (each slot's last unseen variant,
 * choices in the content's order: Fisher-Yates that swaps each choice with itself).
 */
const DRAWING = {
  engine: undefined,
  baseline: (n: number) => n - 1,
} as const;

async function measure(database: Database, seconds: number, drawing: keyof typeof DRAWING) {
  const db = database.db;
  const council = await aCouncil(db);
  const module = await moduleFor(council.organisation.slug);
  await syncTrainingModules(db, [module], new Date());
  const config = loadConfig({
    NODE_ENV: "production",
    SESSION_SECRET: "x".repeat(40),
    LEDGER_SIGNING_KEY_FILE: process.env.LEDGER_SIGNING_KEY_FILE,
    SERVICE_URL: "https://bench.example",
    LOG_LEVEL: "silent",
  });
  const app = createHttpApp({
    database,
    config,
    build: await loadBuild(),
    logger: pino({ level: "silent" }),
    mailer: null,
    pick: DRAWING[drawing],
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const people = [];
    for (let i = 0; i < STAFF; i++) {
      const person = await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
      people.push({ email: person.email, password: TEST_PASSWORD });
    }
    let busyBefore = performance.eventLoopUtilization();
    const databaseName = database.url ? new URL(database.url).pathname.slice(1) : null;
    let cpu = cpuMeter(databaseName);
    const {
      latencies,
      errors,
      seconds: elapsed,
    } = await staffAnswering(
      { baseUrl: base, moduleSlug: module.id, module, people, seconds, warmupSeconds: WARMUP_SECONDS },
      () => {
        busyBefore = performance.eventLoopUtilization();
        cpu = cpuMeter(databaseName);
      },
      // What a browser would read off each question page: the attempt's draw and choice order (read once per attempt).
      async (attemptId) => {
        const [row] = await queryRows<{ draw: AttemptInput["draw"]; order: AttemptInput["order"] }>(
          db,
          sql`select draw, choice_order as order from attempts where id = ${attemptId}::uuid`,
        );
        return { draw: row.draw, order: row.order };
      },
    );
    const serverBusy = performance.eventLoopUtilization(busyBefore).utilization;
    const used = cpu();
    const [size] = await queryRows<{ avg: number; max: number }>(
      db,
      sql`select coalesce(avg(octet_length(snapshot::text)), 0)::int as avg, coalesce(max(octet_length(snapshot::text)), 0)::int as max from attempts`,
    );
    const [followUps] = await queryRows<{ share: number }>(
      db,
      sql`select coalesce(avg((e.scenario_id not in (select value from jsonb_each_text(a.draw)))::int), 0)::float as share
          from attempt_events e join attempts a on a.id = e.attempt_id`,
    );
    const n = latencies.length;
    return {
      answers: n,
      rate: n / elapsed,
      p50: percentileOf(latencies, 50),
      p95: percentileOf(latencies, 95),
      errors,
      size,
      questions: module.slots.length,
      followUpShare: followUps.share,
      module: module.title,
      serverBusy,
      // The server runs on the main thread; the staff's clients in a worker; PGlite, when used, inside the server.
      serverCpuMs: used.mainThreadMs / n,
      clientCpuMs: (used.nodeMs - used.mainThreadMs) / n,
      postgresCpuMs: databaseName ? used.postgresMs / n : null,
    };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

export async function benchTraining(seconds: number) {
  const loadBefore = loadLine();
  const results: { database: string; drawing: keyof typeof DRAWING; r: Awaited<ReturnType<typeof measure>> }[] = [];
  for (const drawing of ["engine", "baseline"] as const) {
    console.error(`training: answers on PGlite, ${drawing}…`);
    const pglite = await PGlite.create();
    const embedded = await openDatabase({ pglite });
    await embedded.migrate();
    results.push({ database: "PGlite (embedded)", drawing, r: await measure(embedded, seconds, drawing) });
    await embedded.close();
  }
  for (const drawing of ["engine", "baseline"] as const) {
    console.error(`training: answers on PostgreSQL, ${drawing}…`);
    const bench = await benchDatabase(10);
    try {
      results.push({ database: "PostgreSQL 15", drawing, r: await measure(bench.database, seconds, drawing) });
    } finally {
      await bench.drop();
    }
  }
  const label = { engine: "format 2 engine (drawn, shuffled)", baseline: "baseline (fixed draw, content order)" };
  const row = ({ database, drawing, r }: (typeof results)[number]) =>
    `| ${database} | ${label[drawing]} | ${r.answers} | ${Math.round(r.followUpShare * 100)} % | ${r.rate.toFixed(0)}/s | ${ms(r.p50)} | ${ms(r.p95)} | ${r.errors} | ${r.serverCpuMs.toFixed(2)} ms (${Math.round(r.serverBusy * 100)} % busy) | ${r.postgresCpuMs === null ? "in the server" : `${r.postgresCpuMs.toFixed(2)} ms`} | ${r.clientCpuMs.toFixed(2)} ms | ${r.size.avg} B (max ${r.size.max} B) |`;
  const first = results[0].r;
  const markdown = `## Answering training questions

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- training\` (scripts/bench/training.ts).
Machine load (\`uptime\`, 1/5/15 min): ${loadBefore} before, ${loadLine()} after.
${STAFF} signed-in staff answer "${first.module}" (format 2: ${first.questions} main questions, a variant drawn per slot,
follow-ups after some answers) as fast as the server lets them for ${seconds} s, after ${WARMUP_SECONDS} s of the same unrecorded
(so the server's code is compiled, as in a service that has been running). Each person posts the first choice in their
attempt's own order, and its follow-up's when it has one (the attempt's draw and choice order are read once per attempt from
its row, as a browser would read them off each page). The p50 and p95 are of the answer POST (CSRF check, session, XState
transition recomputed from the stored snapshot, then snapshot and event written by one compare-and-set statement, redirect).
Each database is measured twice in the same run: the engine as shipped, and a baseline whose server draws with no randomness
(each slot's last unseen variant, choices in the content's order). "follow-ups" is the share of answers that were follow-up
questions. The staff's HTTP clients run in a worker thread of the same process and share the 2 cores with the server and
PostgreSQL. CPU columns are per answer: the server's thread, PostgreSQL's backends for the benchmark's database, and the
clients' (everything else in the process).

| database | drawing | answers | follow-ups | answers/s | p50 | p95 | errors | server CPU | PostgreSQL CPU | clients' CPU | stored snapshot size |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${results.map(row).join("\n")}

Target on PostgreSQL: p95 under 100 ms.`;
  writeSection("training", markdown);
  console.log(markdown);
}
