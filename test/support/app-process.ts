import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

const started = new Set<ChildProcess>();

/**
 * Kills every app a test of this file started and left running (it failed or timed out part-way): called after each
 * test file by test/support/per-file-clean-up.ts, since a worker runs many files.
 */
export function stopLeftoverApps() {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  started.clear();
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export type LogLine = { level?: number; msg?: string; pid?: number; [key: string]: unknown };

export type AppProcess = {
  url: string;
  child: ChildProcess;
  /** Every JSON line the app wrote on standard output, and every other line it wrote on either stream. */
  lines: LogLine[];
  stderr: string[];
  /** Resolves with the first log line (from `since` on) that matches, or fails after `ms`. */
  waitForLine(match: (line: LogLine) => boolean, options?: { since?: number; ms?: number }): Promise<LogLine>;
  /** The process id of the worker that serves now (from its "Serving on" line). */
  waitForServing(options?: { since?: number; ms?: number }): Promise<number>;
  /** The exit code (or signal) once it has exited by itself. */
  exit: Promise<number | NodeJS.Signals | null>;
  /** SIGTERM, then the exit code (or signal) once it has exited. */
  stop(): Promise<number | NodeJS.Signals | null>;
};

/**
 * `npm start` as a real process tree (scripts/start.ts, its workers), with only the configuration the test gives
 * (and SERVICE_URL, its own address, unless `env` names another): the test's own NODE_ENV and DATABASE_URL are not
 * passed on unless named in `env`.
 */
export function startAppProcess(env: Record<string, string>, port: number): AppProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["DATABASE_URL", "NODE_ENV", "SESSION_SECRET", "PGLITE_DIR", "PORT", "SMTP_URL", "SERVICE_URL"])
    delete childEnv[name];
  // Production requires SERVICE_URL: by default, the address the test reaches the app at.
  Object.assign(childEnv, {
    LOG_LEVEL: "info",
    NO_COLOR: "1",
    SERVICE_URL: `http://127.0.0.1:${port}`,
    ...env,
    PORT: String(port),
  });
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    cwd: root,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.add(child);
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (into: (line: string) => void) => {
    let rest = "";
    return (chunk: Buffer) => {
      const text = rest + chunk.toString("utf8");
      const parts = text.split("\n");
      rest = parts.pop() ?? "";
      for (const part of parts) if (part.trim() !== "") into(part);
      for (const wake of waiters) wake();
    };
  };
  child.stdout!.on(
    "data",
    collect((line) => {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ msg: line });
      }
    }),
  );
  child.stderr!.on(
    "data",
    collect((line) => stderr.push(line)),
  );
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  child.once("exit", () => {
    for (const wake of waiters) wake();
  });

  const waitForLine: AppProcess["waitForLine"] = (match, options = {}) =>
    new Promise((done, fail) => {
      const since = options.since ?? 0;
      const timer = setTimeout(() => {
        waiters.delete(check);
        fail(
          new Error(
            `No matching log line within ${options.ms ?? 90_000} ms. Output:\n${[...lines.map((l) => JSON.stringify(l)), ...stderr].join("\n")}`,
          ),
        );
      }, options.ms ?? 90_000);
      function check() {
        const found = lines.slice(since).find(match);
        if (found) {
          clearTimeout(timer);
          waiters.delete(check);
          done(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          waiters.delete(check);
          fail(new Error(`The app exited (${child.exitCode ?? child.signalCode}):\n${stderr.join("\n")}`));
        }
      }
      waiters.add(check);
      check();
    });

  return {
    url: `http://127.0.0.1:${port}`,
    child,
    exit: exited.then(([code, signal]) => code ?? signal),
    lines,
    stderr,
    waitForLine,
    async waitForServing(options) {
      const line = await waitForLine((l) => typeof l.msg === "string" && l.msg.startsWith("Serving on"), options);
      return line.pid as number;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const [code, signal] = await exited;
      return code ?? signal;
    },
  };
}

/** Whether a process id is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
