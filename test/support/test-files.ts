/**
 * Which test files are which, by path (absolute or from the repository's root, either separator): the crawl of every
 * page (test/e2e/every-page*.test.ts), and every browser file (test/e2e), the crawl's included. The order files start
 * in (crawl-first-sequencer.ts) and CI's check of how its passes share them (scripts/ci-summary.ts) both ask.
 */
const CRAWL = /(^|[\\/])test[\\/]e2e[\\/]every-page[^\\/]*\.test\.ts$/;
const BROWSER = /(^|[\\/])test[\\/]e2e[\\/][^\\/]*\.test\.ts$/;

export const isCrawlFile = (path: string) => CRAWL.test(path);
export const isBrowserFile = (path: string) => BROWSER.test(path);
