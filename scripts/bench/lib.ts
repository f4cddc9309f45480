import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import autocannon from "autocannon";

export type ServerProcess = { url: string; child: ChildProcess; stop(): Promise<void> };

/** Starts the app the way `npm start` does (a real child process) and reports when it first answers 200. */
export async function startApp(
  env: Record<string, string | undefined>,
  port: number,
): Promise<ServerProcess & { msToFirst200: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The app exited with code ${child.exitCode} before answering`);
    if (Date.now() > deadline) throw new Error("The app did not answer within 120 s");
    try {
      const response = await fetch(`${url}/sign-in`);
      if (response.status === 200) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const msToFirst200 = performance.now() - started;
  return {
    url,
    child,
    msToFirst200,
    stop: () =>
      new Promise<void>((done) => {
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}

/** Signs in over HTTP like a browser and returns the cookie header for later requests. */
export async function signedInCookie(url: string, email: string, password: string): Promise<string> {
  const first = await fetch(`${url}/sign-in`);
  const cookies = first.headers.getSetCookie().map((c) => c.split(";")[0]);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await first.text())?.[1];
  if (!csrf) throw new Error("No CSRF token on the sign-in page");
  const response = await fetch(`${url}/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies.join("; ") },
    body: new URLSearchParams({ csrf, email, password, returnTo: "/" }),
  });
  if (response.status !== 302) throw new Error(`Sign-in failed: ${response.status}`);
  return [...cookies, ...response.headers.getSetCookie().map((c) => c.split(";")[0])].join("; ");
}

export type LoadResult = {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
};

function percentile(sorted: number[], p: number) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A bounded load from loopback: `connections` clients for `seconds`, with exact percentiles from every response time. */
export async function load(options: {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  method?: "GET" | "POST";
  body?: string;
}): Promise<LoadResult> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.seconds,
        headers: options.headers,
        method: options.method ?? "GET",
        body: options.body,
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
  times.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    rps: result.requests.total / options.seconds,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export function machineLine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model.trim() ?? "unknown"}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Replaces (or appends) one named section of docs/benchmarks.md, so each benchmark keeps its own figures. */
export function writeSection(name: string, markdown: string, file = "docs/benchmarks.md") {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  let doc = existsSync(file)
    ? readFileSync(file, "utf8")
    : "# Benchmarks\n\nWritten by `npm run bench` (scripts/bench). Figures are measured on the machine named in each section, against loopback; they are recorded, not asserted in tests.\n";
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  doc =
    from !== -1 && to !== -1
      ? doc.slice(0, from) + block + doc.slice(to + end.length)
      : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, doc);
}

/** The load averages `uptime` shows (1, 5 and 15 minutes). */
export function loadLine(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;

/** A new, migrated PostgreSQL database on the local server for one benchmark, dropped by `drop()`. */
export async function benchDatabase(maxConnections = 20) {
  const { openDatabase } = await import("~db/client.server");
  const postgres = (await import("postgres")).default;
  const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const name = `smcoc_bench_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections });
  await database.migrate();
  return {
    database,
    name,
    url: url.toString(),
    drop: async () => {
      await database.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export function percentileOf(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return percentile(sorted, p);
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` at once; returns each call's duration in ms. */
export async function pool(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const durations: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const i = next++;
        const started = performance.now();
        await task(i);
        durations.push(performance.now() - started);
      }
    }),
  );
  return durations;
}

export function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 2 ** 20);
}

/** CPU time of the PostgreSQL server processes serving `database` (all of them when null), from Linux /proc, in ms. */
function postgresCpuMs(database: string | null): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("postgres")) continue;
      // A backend's title names its database: "postgres: user database host(port) state".
      if (database && !readFileSync(`/proc/${pid}/cmdline`, "utf8").split(" ").includes(database)) continue;
      const fields = stat.slice(close + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      /* the process ended */
    }
  }
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/**
 * CPU spent by this Node process (all its threads) and by the PostgreSQL backends serving `database` from now
 * until the returned function is called, in ms. Other people's use of the same server is not counted; the WAL
 * writer and checkpointer, shared by all, are not either.
 */
export function cpuMeter(database: string | null = null) {
  const proc = existsSync("/proc/self/stat");
  const node = process.cpuUsage();
  const pg = proc ? postgresCpuMs(database) : NaN;
  const main = proc ? mainThreadCpuMs() : NaN;
  return () => {
    const used = process.cpuUsage(node);
    return {
      nodeMs: (used.user + used.system) / 1000,
      mainThreadMs: proc ? mainThreadCpuMs() - main : NaN,
      postgresMs: proc ? postgresCpuMs(database) - pg : NaN,
    };
  };
}

/** CPU time of this process's main thread (where the server runs; a worker thread's clients are not in it), in ms. */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
