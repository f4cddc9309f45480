import { BaseSequencer, type TestSpecification } from "vitest/node";
import { isBrowserFile, isCrawlFile } from "./test-files";

/**
 * Vitest runs the files it has no timings for largest first; the crawl's files are four lines long but run for many
 * minutes, so on a fresh machine (CI) they came last and one worker ran them alone at the end. They start first, then
 * the other browser files (each of them a minute or more), then the rest, short files that fill in to the end, each
 * group kept in the order given.
 */
export function crawlFirst<T extends { moduleId: string }>(files: T[]): T[] {
  const rank = (f: T) => (isCrawlFile(f.moduleId) ? 0 : isBrowserFile(f.moduleId) ? 1 : 2);
  return [0, 1, 2].flatMap((r) => files.filter((f) => rank(f) === r));
}

export class CrawlFirstSequencer extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return crawlFirst(await super.sort(files));
  }
}
