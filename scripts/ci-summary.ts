import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { isBrowserFile, isCrawlFile } from "../test/support/test-files";

// `.ci/run`'s last step: reads the two passes' Vitest JSON reports and prints one line, "N passed, N failed" (and how
// many were skipped), then what went wrong with how the passes shared the tests (docs/decisions/0023). Exits 1 on any
// failure.

/** The part of Vitest's JSON report read here. */
export type VitestReport = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests?: number;
  testResults: {
    name: string;
    status: string;
    assertionResults: { fullName: string; status: string }[];
  }[];
};

export type Pass = { name: string; report: VitestReport };

/**
 * The counts of every pass together, and every way the passes failed to share the tests as decided:
 * - a test no pass ran (skipped in both) is never tested by CI;
 * - a browser journey runs in one pass only, so one that passed in both means the share is broken;
 * - the crawl of every page runs with JavaScript on in both passes.
 */
export function summarise(passes: Pass[], root: string) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const problems: string[] = [];
  const outcomes = new Map<string, { file: string; title: string; passedIn: string[] }>();
  for (const { name, report } of passes) {
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    for (const file of report.testResults) {
      const path = relative(root, file.name).split("\\").join("/");
      // A file that failed to load counts as a failure even though it reported no test.
      if (file.status === "failed" && file.assertionResults.length === 0)
        problems.push(`${path} did not load in the ${name} pass`);
      for (const test of file.assertionResults) {
        const key = `${path} > ${test.fullName}`;
        const outcome = outcomes.get(key) ?? { file: path, title: test.fullName, passedIn: [] };
        if (test.status === "passed") outcome.passedIn.push(name);
        outcomes.set(key, outcome);
      }
    }
  }
  if (passes.length < 2) problems.push(`expected two passes, found ${passes.length}`);
  for (const [key, { file, title, passedIn }] of outcomes) {
    if (passedIn.length === 0) problems.push(`${key}: passed in no pass`);
    else if (isCrawlFile(file)) {
      if (/with JavaScript on/.test(title) && passedIn.length < passes.length)
        problems.push(`${key}: the crawl with JavaScript on passed only in the ${passedIn.join(" and ")} pass`);
    } else if (isBrowserFile(file) && passedIn.length > 1)
      problems.push(`${key}: a browser journey ran in ${passedIn.length} passes, not one`);
  }
  // Each problem counts as a failure, so the line alone says whether CI passed.
  failed += problems.length;
  const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
  return { line, problems, ok: failed === 0 };
}

/** Every `NAME.json` report in the folder, as the pass NAME. */
export function readPasses(folder: string): Pass[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => ({
      name: file.replace(/\.json$/, ""),
      report: JSON.parse(readFileSync(join(folder, file), "utf8")) as VitestReport,
    }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const folder = process.argv[2];
  if (!folder) {
    console.error("Usage: tsx scripts/ci-summary.ts FOLDER (of Vitest JSON reports, one per pass)");
    process.exit(2);
  }
  const { line, problems, ok } = summarise(readPasses(folder), process.cwd());
  for (const problem of problems.slice(0, 50)) console.error(problem);
  if (problems.length > 50) console.error(`... and ${problems.length - 50} more`);
  console.log(line);
  process.exit(ok ? 0 : 1);
}
