import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpClient, pageText } from "../../test/support/http";
import { productionRoles } from "../../test/support/production-roles";
import { loadLine, machineLine, ms, writeSection } from "./lib";

// From an empty PostgreSQL to a council's admin signed in, following the README's runbook command by command
// (the release already built): roles (psql), migrate as the owner, npm start as the app role, council:create,
// then the printed link followed over HTTP to a password and a signed-in home page. The baseline, in the same
// run, is the same path with one superuser role for everything (no roles step), so the difference is the roles'.
const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const STEPS = ["roles", "migrate", "start", "council", "signIn"] as const;
type Step = (typeof STEPS)[number];
type Timing = Record<Step, number | null> & { total: number };

function npm(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn("npm", args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((ready) => server.once("listening", ready));
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

async function timed<T>(into: Partial<Timing>, step: Step, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  into[step] = performance.now() - started;
  return result;
}

async function must(step: string, outcome: Promise<{ code: number | null; stdout: string; stderr: string }>) {
  const result = await outcome;
  if (result.code !== 0) throw new Error(`${step} exited ${result.code}: ${result.stderr}`);
  return result;
}

/** One pass of the runbook; `withRoles: false` is the baseline (the superuser for everything). */
async function runbookOnce(withRoles: boolean): Promise<Timing> {
  const roles = productionRoles(serverUrl, `bench_${randomBytes(4).toString("hex")}`);
  const scratch = mkdtempSync(join(tmpdir(), "smcoc-bench-runbook-"));
  const timing: Partial<Timing> = { roles: null };
  const port = await freePort();
  let server: ReturnType<typeof spawn> | undefined;
  try {
    const sqlFile = join(scratch, "roles.sql");
    if (withRoles) {
      writeFileSync(sqlFile, roles.rolesSql());
      await timed(timing, "roles", () =>
        must("psql", runProcess("psql", ["-v", "ON_ERROR_STOP=1", "-q", "-d", serverUrl, "-f", sqlFile])),
      );
    } else {
      await must("psql", runProcess("psql", ["-q", "-d", serverUrl, "-c", `CREATE DATABASE ${roles.names.database}`]));
    }
    const ownerUrl = withRoles ? roles.urlAs("owner") : roles.urlAs("superuser");
    const appUrl = withRoles ? roles.urlAs("app") : roles.urlAs("superuser");
    await timed(timing, "migrate", () =>
      must("db:migrate", npm(["run", "-s", "db:migrate"], { DATABASE_URL: ownerUrl })),
    );
    const production: Record<string, string> = {
      NODE_ENV: "production",
      DATABASE_URL: appUrl,
      SESSION_SECRET: randomBytes(32).toString("hex"),
      SERVICE_URL: `http://127.0.0.1:${port}`,
      PORT: String(port),
      LOG_LEVEL: "warn",
    };
    await timed(timing, "start", async () => {
      server = spawn("npm", ["start"], { env: { ...process.env, ...production }, stdio: "ignore", detached: true });
      const deadline = Date.now() + 120_000;
      for (;;) {
        if (Date.now() > deadline) throw new Error("npm start did not answer within 120 s");
        const answered = await fetch(`${production.SERVICE_URL}/sign-in`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (answered) return;
        await new Promise((r) => setTimeout(r, 25));
      }
    });
    const created = await timed(timing, "council", () =>
      must(
        "council:create",
        npm(
          [
            "run",
            "-s",
            "council:create",
            "--",
            "--slug",
            "east-borough",
            "--name",
            "East Borough Council",
            "--admin-email",
            "it.lead@eastborough.example",
            "--admin-name",
            "Ann Example",
          ],
          production,
        ),
      ),
    );
    await timed(timing, "signIn", async () => {
      const link = new URL(/http:\/\/\S+\/set-password\?token=\S+/.exec(created.stdout)![0]);
      const client = new HttpClient(production.SERVICE_URL);
      if ((await client.get(link.pathname + link.search)).status !== 200) throw new Error("The link did not open");
      const password = "a-long-password-for-ann";
      const set = await client.post("/set-password", {
        token: link.searchParams.get("token")!,
        password,
        confirmPassword: password,
      });
      if (set.status !== 302) throw new Error(`Setting the password answered ${set.status}`);
      await client.signIn("it.lead@eastborough.example", password);
      const home = await client.get("/");
      if (home.status !== 200 || !pageText(await home.text()).includes("Welcome, Ann Example"))
        throw new Error("The home page did not greet the admin");
    });
  } finally {
    if (server?.pid) {
      const exited = new Promise((done) => server!.once("exit", done));
      process.kill(-server.pid, "SIGTERM");
      await exited;
    }
    await roles.drop();
    rmSync(scratch, { recursive: true, force: true });
  }
  const total = STEPS.reduce((sum, step) => sum + (timing[step] ?? 0), 0);
  return { ...(timing as Record<Step, number | null>), total };
}

function runProcess(command: string, args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

export async function benchRunbook(runs: number) {
  const loadBefore = loadLine();
  const runbook: Timing[] = [];
  const baseline: Timing[] = [];
  // Alternated, so a change in the machine's load falls on both alike.
  for (let i = 0; i < runs; i++) {
    console.error(`runbook ${i + 1} of ${runs}: with the owner and app roles…`);
    runbook.push(await runbookOnce(true));
    console.error(`runbook ${i + 1} of ${runs}: baseline, one superuser role…`);
    baseline.push(await runbookOnce(false));
  }
  const cell = (timings: Timing[], step: Step | "total") => {
    const values = timings.map((t) => t[step]).filter((v): v is number => v !== null);
    return values.length === 0
      ? "none"
      : `${ms(median(values))} (${values.map((v) => (v / 1000).toFixed(1)).join(", ")} s)`;
  };
  const row = (label: string, timings: Timing[]) =>
    `| ${label} | ${[...STEPS, "total" as const].map((step) => cell(timings, step)).join(" | ")} |`;
  writeSection(
    "runbook",
    `## Going live: from an empty PostgreSQL to a council's admin signed in

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- runbook\` (scripts/bench/runbook.ts), PostgreSQL 15 on loopback.
Machine load (\`uptime\`, 1/5/15 min): ${loadBefore} before, ${loadLine()} after.
Each run follows the README's runbook on a database of its own, the release already built (\`npm run build\` is not
timed): the roles' SQL of docs/ledger.md through \`psql -f\`; \`npm run db:migrate\` as the owner; \`npm start\` in
production as the app role, until \`/sign-in\` answers 200; \`npm run council:create\` (no SMTP: the link is printed);
then the printed link followed over HTTP: the set-password page, a password, sign-in, and the home page greeting
the admin. The baseline, in the same run, alternating with it, is the same path with the superuser for everything
(no roles step). Each cell is the median of ${runs} runs, with every run in brackets.

| path | roles (psql) | migrate (owner) | npm start (to first 200) | council:create | link, password, signed in | total |
| --- | --- | --- | --- | --- | --- | --- |
${row("runbook: owner and app roles", runbook)}
${row("baseline: one superuser role", baseline)}
`,
  );
}
