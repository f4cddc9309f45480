import { describe, expect, it } from "vitest";
import { crawlFirst } from "./crawl-first-sequencer";

const files = (...paths: string[]) => paths.map((moduleId) => ({ moduleId }));

describe("the order test files start in", () => {
  it("starts the crawl, then the other browser files, then the rest, each in the order Vitest chose", () => {
    const given = files(
      "/repo/app/big.test.ts",
      "/repo/test/e2e/sign-in.test.ts",
      "/repo/test/e2e/every-page-second-council.test.ts",
      "/repo/test/http/server.test.ts",
      "/repo/test/e2e/every-page.test.ts",
      "/repo/test/e2e/records.test.ts",
    );
    expect(crawlFirst(given).map((f) => f.moduleId)).toEqual([
      "/repo/test/e2e/every-page-second-council.test.ts",
      "/repo/test/e2e/every-page.test.ts",
      "/repo/test/e2e/sign-in.test.ts",
      "/repo/test/e2e/records.test.ts",
      "/repo/app/big.test.ts",
      "/repo/test/http/server.test.ts",
    ]);
  });

  it("knows the folders on Windows too, and leaves files merely named like the crawl elsewhere with the rest", () => {
    const given = files("C:\\repo\\app\\every-page.test.ts", "C:\\repo\\test\\e2e\\every-page.test.ts");
    expect(crawlFirst(given).map((f) => f.moduleId)).toEqual([
      "C:\\repo\\test\\e2e\\every-page.test.ts",
      "C:\\repo\\app\\every-page.test.ts",
    ]);
  });
});
