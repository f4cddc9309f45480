import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const tsx = join(root, "node_modules/.bin/tsx");
const pgliteParent = mkdtempSync(join(tmpdir(), "smcoc-cli-"));
afterAll(() => rmSync(pgliteParent, { recursive: true, force: true }));

type Outcome = {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stderrLines: string[];
};

/** Runs a script as the command line would, with only the configuration the test gives it. */
function run(script: string, env: Record<string, string>): Promise<Outcome> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  // Vitest sets NODE_ENV=test, and the PostgreSQL run sets DATABASE_URL: the child sees neither unless the test says so.
  for (const name of ["DATABASE_URL", "NODE_ENV", "SESSION_SECRET", "PGLITE_DIR", "PORT", "SMTP_URL"])
    delete childEnv[name];
  Object.assign(childEnv, { PGLITE_DIR: join(pgliteParent, "pglite"), NO_COLOR: "1", ...env });
  return new Promise((done, fail) => {
    const child = spawn(tsx, [script], {
      cwd: root,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 20_000,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code, signal) =>
      done({ code, signal, stdout, stderr, stderrLines: stderr.split("\n").filter((line) => line.trim() !== "") }),
    );
  });
}

describe("scripts/start.ts", () => {
  it("exits 1 with one line naming DATABASE_URL when it is malformed", async () => {
    const result = await run("scripts/start.ts", { DATABASE_URL: "not-a-url" });
    expect(result.code).toBe(1);
    expect(result.stderrLines).toHaveLength(1);
    expect(result.stderrLines[0]).toContain("DATABASE_URL");
    expect(result.stderr).not.toContain("    at ");
  });

  it("exits 1 with one line saying it cannot reach an unreachable PostgreSQL server", async () => {
    const result = await run("scripts/start.ts", { DATABASE_URL: "postgres://postgres@127.0.0.1:1/nope" });
    expect(result.code).toBe(1);
    expect(result.stderrLines).toHaveLength(1);
    expect(result.stderrLines[0]).toMatch(/^Cannot reach the PostgreSQL database/);
    expect(result.stderr).not.toContain("    at ");
  });

  it("exits 1 naming SESSION_SECRET when production has none", async () => {
    const result = await run("scripts/start.ts", { NODE_ENV: "production" });
    expect(result.code).toBe(1);
    expect(result.stderrLines).toHaveLength(1);
    expect(result.stderrLines[0]).toContain("SESSION_SECRET");
    expect(result.stderr).not.toContain("    at ");
  });
});

describe("scripts/seed.ts", () => {
  it("refuses to seed demo data in production", async () => {
    const result = await run("scripts/seed.ts", { NODE_ENV: "production", SESSION_SECRET: "s".repeat(40) });
    expect(result.code).toBe(1);
    expect(result.stderrLines).toHaveLength(1);
    expect(result.stderrLines[0]).toContain("Refusing to seed");
    expect(result.stderr).not.toContain("    at ");
  });
});
