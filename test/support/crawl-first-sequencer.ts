import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Vitest runs the files it has no timings for largest first; the crawl's files are four lines long but run for many
 * minutes, so on a fresh machine (CI) they came last and one worker ran them alone at the end. They start first.
 */
const CRAWL = /[\\/]test[\\/]e2e[\\/]every-page[^\\/]*\.test\.ts$/;

export class CrawlFirstSequencer extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((f) => CRAWL.test(f.moduleId)), ...sorted.filter((f) => !CRAWL.test(f.moduleId))];
  }
}
