import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import example from "~/ledger-proof/testdata/worked-example.json";
import { buildVerifierScript } from "./build-verifiers.mjs";

/** The committed script, copied alone into an empty folder (no node_modules, no app) and run as a person would. */
let dir: string;
const run = (...args: string[]) => {
  const result = spawnSync(process.execPath, [join(dir, "verify-receipt.mjs"), ...args], {
    cwd: dir,
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "verify-receipt-"));
  copyFileSync(resolve(import.meta.dirname, "verify-receipt.mjs"), join(dir, "verify-receipt.mjs"));
});

describe("scripts/verify-receipt.mjs, the dependency-free offline verifier", () => {
  it("is the build of app/ledger-proof as it is now (run node scripts/build-verifiers.mjs after changing it)", async () => {
    expect(readFileSync(resolve(import.meta.dirname, "verify-receipt.mjs"), "utf8")).toBe(await buildVerifierScript());
  });

  it("imports nothing but node:crypto and node:fs", () => {
    const text = readFileSync(join(dir, "verify-receipt.mjs"), "utf8");
    const imports = [...text.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports.sort()).toEqual(["node:crypto", "node:fs"]);
    expect(text).not.toMatch(/\brequire\(|import\(/);
  });

  it("passes a good receipt and shows a withdrawal, with the key given as a file or as itself", () => {
    const keys = file("keys.txt", `# the council\n${example.verifierKey}\n`);
    const good = run(file("good.json", example.receipt), keys);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^Record ATT-9TFN-2KLM is genuine\n/);
    expect(good.stdout).toContain("This receipt shows no withdrawal.");
    const withdrawn = run(file("withdrawn.json", example.receiptWithWithdrawal), example.verifierKey);
    expect(withdrawn.status).toBe(0);
    expect(withdrawn.stdout).toMatch(/^Record ATT-3HQP-8WZR is genuine, and this receipt shows it was withdrawn\n/);
    const json = JSON.parse(run(join(dir, "withdrawn.json"), keys, "--json").stdout) as { withdrawalShown: boolean };
    expect(json.withdrawalShown).toBe(true);
  });

  it("fails a tampered receipt with status 1 and says which check failed", () => {
    const receipt = JSON.parse(example.receipt) as Record<string, string>;
    receipt.record = receipt.record.replace("Grace Mensah", "Grace Mensaj");
    const bad = run(file("bad.json", JSON.stringify(receipt)), example.verifierKey);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^This receipt does not prove the record\n/);
    expect(bad.stdout).toContain("- The service's signature on the record: Failed (the body signature does not hold");
    const origin = run(join(dir, "good.json"), example.verifierKey, "--origin", "conduct.example.invalid/ledger/other");
    expect(origin.status).toBe(1);
  });

  it("says what is wrong with its input, with status 2", () => {
    expect(run().stderr).toMatch(/^Usage: /);
    expect(run(join(dir, "missing.json"), example.verifierKey)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/ENOENT/),
    });
    expect(run(join(dir, "good.json"), "not-a-key")).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/verifier key/),
    });
    expect(run(file("junk.json", "junk"), example.verifierKey)).toMatchObject({ status: 2 });
  });
});
