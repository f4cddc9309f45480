import { resolve } from "node:path";
import { defineConfig } from "vitest/config";
import { CrawlFirstSequencer } from "./test/support/crawl-first-sequencer";

export default defineConfig({
  resolve: {
    alias: {
      "~db": resolve(__dirname, "db"),
      "~": resolve(__dirname, "app"),
    },
  },
  test: {
    include: ["app/**/*.test.{ts,tsx}", "db/**/*.test.ts", "scripts/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: [
      "test/support/fail-on-console-error.ts",
      "test/support/ledger-test-key.ts",
      "test/support/per-file-clean-up.ts",
    ],
    pool: "forks",
    // A worker runs file after file with the modules it has loaded (decision 0027): starting a process and loading
    // the app's packages again for each of about a hundred files cost as much as their tests. Setup files still run
    // for every file, and each file still makes its own database.
    isolate: false,
    // Each file starts its own PGlite (~350 MB) or PostgreSQL database; two at a time suits a 2-core machine.
    maxWorkers: 2,
    sequence: { sequencer: CrawlFirstSequencer },
    minWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll gives up after 1 s by default: too soon for a browser page's round trip on a busy 2-core machine.
    expect: { poll: { timeout: 10_000 } },
  },
});
