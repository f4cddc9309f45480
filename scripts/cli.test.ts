import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
function run(script: string, env: Record<string, string>, args: string[] = []): Promise<Outcome> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  // Vitest sets NODE_ENV=test, and the PostgreSQL run sets DATABASE_URL: the child sees neither unless the test says so.
  for (const name of ["DATABASE_URL", "NODE_ENV", "SESSION_SECRET", "PGLITE_DIR", "PORT", "SMTP_URL"])
    delete childEnv[name];
  Object.assign(childEnv, { PGLITE_DIR: join(pgliteParent, "pglite"), NO_COLOR: "1", ...env });
  return new Promise((done, fail) => {
    const child = spawn(tsx, [script, ...args], {
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

describe("scripts/start.ts and the ledger's signing key", () => {
  const production = {
    NODE_ENV: "production",
    SESSION_SECRET: "s".repeat(40),
    SERVICE_URL: "https://conduct.example.gov.uk",
    LEDGER_SIGNING_KEY_FILE: "",
  };

  it("exits 1 with one line naming LEDGER_SIGNING_KEY when production has none", async () => {
    const result = await run("scripts/start.ts", production);
    expect(result.code).toBe(1);
    expect(result.stderrLines).toEqual([
      "Configuration error: LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE is required in production (npm run ledger:keygen makes one)",
    ]);
  });

  it("exits 1 with one line, never echoing it, when the key is malformed or its file unreadable", async () => {
    const secretish = "PRIVATE+KEY+conduct.example.gov.uk+00000000+AQkeMqLyzMF/lwSfjGYcTqnvxgy3PW9Dk1yw83IKylw/";
    const bad = await run("scripts/start.ts", { ...production, LEDGER_SIGNING_KEY: secretish });
    expect(bad.code).toBe(1);
    expect(bad.stderrLines).toEqual([
      "Configuration error: LEDGER_SIGNING_KEY: the key hash 00000000 does not match the key",
    ]);
    expect(bad.stderr).not.toContain("AQkeMq");
    const missing = await run("scripts/start.ts", {
      ...production,
      LEDGER_SIGNING_KEY_FILE: join(pgliteParent, "no-such-key"),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderrLines).toHaveLength(1);
    expect(missing.stderrLines[0]).toMatch(
      /^Configuration error: cannot read LEDGER_SIGNING_KEY_FILE .*no-such-key: ENOENT$/,
    );
  });
});

describe("scripts/ledger-keygen.ts", () => {
  it("prints a signing key that the service accepts, and its verifier key", async () => {
    const result = await run("scripts/ledger-keygen.ts", { NODE_ENV: "development" });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^PRIVATE\+KEY\+localhost\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}\n$/);
    const hash = result.stdout.split("+")[3];
    expect(result.stderr).toContain(`localhost+${hash}+`);
  });
});

describe("scripts/seed.ts", () => {
  it("refuses to seed demo data in production", async () => {
    const result = await run("scripts/seed.ts", {
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(40),
      SERVICE_URL: "https://conduct.example.gov.uk",
    });
    expect(result.code).toBe(1);
    expect(result.stderrLines).toHaveLength(1);
    expect(result.stderrLines[0]).toContain("Refusing to seed");
    expect(result.stderr).not.toContain("    at ");
  });
});

describe("scripts/policy-publish.ts", () => {
  const publish = (bytes: Uint8Array, label = "2") => {
    const file = join(pgliteParent, `policy-${bytes.length}.txt`);
    writeFileSync(file, bytes);
    return run("scripts/policy-publish.ts", {}, [
      "--organisation",
      "wirral",
      "--file",
      file,
      "--label",
      label,
      "--effective",
      "2027-01-01",
    ]);
  };

  it("refuses a file that is not UTF-8 with one line, as the admin pages do", async () => {
    const result = await publish(new Uint8Array([0x43, 0x61, 0x66, 0xe9, 0x0a]));
    expect(result.code).toBe(1);
    expect(result.stderrLines).toHaveLength(1);
    expect(result.stderrLines[0]).toContain("not UTF-8");
    expect(result.stderr).not.toContain("    at ");
  });

  it("refuses empty text and a label in the wrong form with one line naming both", async () => {
    const result = await publish(new TextEncoder().encode(" \r\n\r\n"), "two/three");
    expect(result.code).toBe(1);
    expect(result.stderrLines).toHaveLength(1);
    expect(result.stderrLines[0]).toContain("versionLabel: Version label must be letters and numbers");
    expect(result.stderrLines[0]).toContain("body: The policy text is empty");
  });
});
