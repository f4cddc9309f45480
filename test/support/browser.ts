import { closeSync, existsSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { expect } from "vitest";

/** Debian's Chromium: Playwright's own download is not available here, so the tests drive the system browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";
export const SKIP_MESSAGE = "Browser tests skipped: install Chromium with: apt-get update && apt-get install -y chromium";

const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** The WCAG 2.2 A and AA rules the accessibility statement promises. */
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/**
 * Whether the browser tests can run. When Chromium is missing, say how to install it, once per test run
 * (each test file runs in its own worker, so the first worker to claim a marker file says it).
 */
export function hasChromium(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  try {
    closeSync(openSync(join(tmpdir(), `smcoc-browser-skip-${process.ppid}`), "wx"));
    console.log(SKIP_MESSAGE);
  } catch {
    // Another test file of this run has already said it.
  }
  return false;
}

export type BrowserProblem = { kind: "console.error" | "pageerror"; url: string; text: string };

/** What a test expects to go wrong in the browser; anything else fails it. */
export type ExpectedProblem = { kind?: BrowserProblem["kind"]; text: RegExp; url?: RegExp };

/**
 * One Chromium for a test file. Every page opened in its contexts has its console errors and uncaught
 * exceptions recorded, so each test can assert none happened.
 */
export class TestBrowser {
  private readonly problems = new Map<Page, BrowserProblem[]>();
  private constructor(readonly browser: Browser) {}

  static async launch(): Promise<TestBrowser> {
    return new TestBrowser(await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS }));
  }

  /** A fresh profile (no cookies), with JavaScript on unless told otherwise. */
  async newContext(options: { javaScript?: boolean } & BrowserContextOptions = {}): Promise<BrowserContext> {
    const { javaScript = true, ...rest } = options;
    const context = await this.browser.newContext({ javaScriptEnabled: javaScript, ...rest });
    context.setDefaultTimeout(10_000);
    context.setDefaultNavigationTimeout(15_000);
    context.on("page", (page) => this.watch(page));
    return context;
  }

  /** A page in the context, watched for console errors and uncaught exceptions. */
  async newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    this.watch(page);
    return page;
  }

  private watch(page: Page) {
    if (this.problems.has(page)) return;
    const list: BrowserProblem[] = [];
    this.problems.set(page, list);
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const { url, lineNumber } = message.location();
      list.push({ kind: "console.error", url: page.url(), text: `${message.text()}${url ? ` (${url}:${lineNumber})` : ""}` });
    });
    page.on("pageerror", (error) => list.push({ kind: "pageerror", url: page.url(), text: error.stack ?? String(error) }));
  }

  /** Everything recorded on a page so far. */
  problemsOf(page: Page): BrowserProblem[] {
    return [...(this.problems.get(page) ?? [])];
  }

  /**
   * Fails unless every console error and page error on these pages is one the test expected; each
   * expected problem must have happened at least once, so a whitelist cannot outlive its reason.
   */
  expectNoProblems(pages: Page | Page[], expected: ExpectedProblem[] = []) {
    const all = (Array.isArray(pages) ? pages : [pages]).flatMap((page) => this.problemsOf(page));
    const matches = (p: BrowserProblem, e: ExpectedProblem) => (!e.kind || e.kind === p.kind) && e.text.test(p.text) && (!e.url || e.url.test(p.url));
    const unexpected = all.filter((p) => !expected.some((e) => matches(p, e)));
    expect(unexpected.map((p) => `${p.kind} on ${p.url}: ${p.text}`), "unexpected browser console errors or page errors").toEqual([]);
    const unseen = expected.filter((e) => !all.some((p) => matches(p, e)));
    expect(unseen.map((e) => `${e.kind ?? "any"} ${e.text}`), "expected browser problems that did not happen").toEqual([]);
  }

  async close() {
    await this.browser.close();
  }
}

/** Runs axe's WCAG 2.2 A and AA rules on the page as it is now; the failure message says what to fix and where. */
export async function expectAccessible(page: Page, label = page.url()) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const report = results.violations.map(
    (v) => `${v.id} (${v.impact ?? "unknown impact"}): ${v.help}\n  ${v.helpUrl}\n${v.nodes.map((n) => `  - ${n.target.join(" ")}: ${n.failureSummary ?? ""}`.replace(/\n/g, " ")).join("\n")}`,
  );
  expect(report, `axe found accessibility violations on ${label}`).toEqual([]);
}
