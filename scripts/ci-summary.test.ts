import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { summarise, type Pass, type VitestReport } from "./ci-summary";

const ROOT = "/checkout";
type Outcome = "passed" | "failed" | "skipped";

/** A pass's report holding the given tests' outcomes, by file and full name. */
function aPass(name: string, tests: Record<string, Record<string, Outcome>>, unloaded: string[] = []): Pass {
  const testResults: VitestReport["testResults"] = Object.entries(tests).map(([file, outcomes]) => ({
    name: `${ROOT}/${file}`,
    status: Object.values(outcomes).includes("failed") ? "failed" : "passed",
    assertionResults: Object.entries(outcomes).map(([fullName, status]) => ({ fullName, status })),
  }));
  for (const file of unloaded) testResults.push({ name: `${ROOT}/${file}`, status: "failed", assertionResults: [] });
  const all = Object.values(tests).flatMap((outcomes) => Object.values(outcomes));
  return {
    name,
    report: {
      numPassedTests: all.filter((s) => s === "passed").length,
      numFailedTests: all.filter((s) => s === "failed").length,
      numPendingTests: all.filter((s) => s === "skipped").length,
      testResults,
    },
  };
}

const CRAWL = "test/e2e/every-page.test.ts";
const CRAWL_ON = "every page > with JavaScript on > routes/_index (/)";
const CRAWL_OFF = "every page > with JavaScript off, 375 px wide > routes/_index (/)";
const JOURNEY = "test/e2e/sign-in.test.ts";

/** Two passes sharing the tests as decided: the journey in one, the crawl with JavaScript on in both. */
function sharedAsDecided(changes: { pglite?: Record<string, Outcome>; postgres?: Record<string, Outcome> } = {}) {
  return [
    aPass("pglite", {
      "app/lib/csv.test.ts": { "csv quotes": "passed" },
      [CRAWL]: { [CRAWL_ON]: "passed", [CRAWL_OFF]: "passed", ...changes.pglite },
      [JOURNEY]: { "signs in": "skipped" },
    }),
    aPass("postgres", {
      "app/lib/csv.test.ts": { "csv quotes": "passed" },
      [CRAWL]: { [CRAWL_ON]: "passed", [CRAWL_OFF]: "skipped", ...changes.postgres },
      [JOURNEY]: { "signs in": "passed" },
    }),
  ];
}

describe("the summary of CI's two passes", () => {
  it("counts every pass's tests in one line, and passes when the passes share the tests as decided", () => {
    expect(summarise(sharedAsDecided(), ROOT)).toEqual({
      line: "6 passed, 0 failed, 2 skipped",
      problems: [],
      ok: true,
    });
  });

  it("counts a failed test, and a file that did not load, as failures", () => {
    const passes = sharedAsDecided();
    passes[0] = aPass("pglite", { "app/lib/csv.test.ts": { "csv quotes": "failed" } }, ["app/broken.test.ts"]);
    const summary = summarise(passes, ROOT);
    expect(summary.ok).toBe(false);
    expect(summary.problems).toContain("app/broken.test.ts did not load in the pglite pass");
    expect(summary.line).toMatch(/^\d+ passed, [1-9]\d* failed/);
  });

  it("fails when a test ran in neither pass", () => {
    const summary = summarise(sharedAsDecided({ pglite: { [CRAWL_OFF]: "skipped" } }), ROOT);
    expect(summary.problems).toEqual([`${CRAWL} > ${CRAWL_OFF}: passed in no pass`]);
    expect(summary.line).toBe("5 passed, 1 failed, 3 skipped");
    expect(summary.ok).toBe(false);
  });

  it("fails when a browser journey ran in both passes, or the crawl with JavaScript on in one only", () => {
    const both = sharedAsDecided();
    both[0].report.testResults.find((f) => f.name.endsWith(JOURNEY))!.assertionResults[0].status = "passed";
    expect(summarise(both, ROOT).problems).toEqual([
      `${JOURNEY} > signs in: a browser journey ran in 2 passes, not one`,
    ]);

    const once = summarise(sharedAsDecided({ postgres: { [CRAWL_ON]: "skipped" } }), ROOT);
    expect(once.problems).toEqual([
      `${CRAWL} > ${CRAWL_ON}: the crawl with JavaScript on passed only in the pglite pass`,
    ]);
    expect(once.ok).toBe(false);
  });

  it("fails with one pass only", () => {
    expect(summarise(sharedAsDecided().slice(0, 1), ROOT).problems).toContain("expected two passes, found 1");
  });

  it("prints the line and exits 1 from the command line when something is wrong, 0 when not", () => {
    const folder = mkdtempSync(join(tmpdir(), "ci-summary-"));
    try {
      const run = () =>
        spawnSync(process.execPath, ["--import", "tsx", "scripts/ci-summary.ts", folder], { encoding: "utf8" });
      for (const pass of sharedAsDecided())
        writeFileSync(
          join(folder, `${pass.name}.json`),
          JSON.stringify({
            ...pass.report,
            testResults: pass.report.testResults.map((f) => ({ ...f, name: f.name.replace(ROOT, process.cwd()) })),
          }),
        );
      const good = run();
      expect([good.status, good.stdout, good.stderr]).toEqual([0, "6 passed, 0 failed, 2 skipped\n", ""]);
      rmSync(join(folder, "postgres.json"));
      const bad = run();
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain("expected two passes, found 1");
      expect(bad.stdout).toMatch(/^\d+ passed, [1-9]\d* failed/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
