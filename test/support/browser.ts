import { closeSync, existsSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Locator,
  type Page,
  type Request,
} from "playwright-core";
import { expect } from "vitest";
import { TEST_PASSWORD } from "./factories";

/** Debian's Chromium: Playwright's own download is not available here, so the tests drive the system browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";
export const SKIP_MESSAGE =
  "Browser tests skipped: install Chromium with: apt-get update && apt-get install -y chromium";

const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The WCAG 2.2 A and AA rules the accessibility statement promises. */
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/**
 * Whether this run walks a browser journey (every test/e2e file but the crawl of every page): wherever Chromium is,
 * unless BROWSER_JOURNEYS says otherwise. CI walks each journey once, on one of its two databases: the pages do not
 * depend on the database, and the crawl still opens every page on both (docs/decisions/0023). Its PGlite pass sets
 * BROWSER_JOURNEYS=pglite-share and walks the journeys marked `pgliteShare`, its PostgreSQL pass sets
 * BROWSER_JOURNEYS=postgres-share and walks the others, so that the two passes take about as long.
 * BROWSER_JOURNEYS=off walks none.
 */
export function runsJourneys(journey: { pgliteShare?: boolean } = {}): boolean {
  const share = process.env.BROWSER_JOURNEYS;
  if (share !== undefined && !["on", "off", "pglite-share", "postgres-share"].includes(share))
    throw new Error(`BROWSER_JOURNEYS=${share}: use on, off, pglite-share or postgres-share`);
  if (share === "off") return false;
  if (share === "pglite-share" && !journey.pgliteShare) return false;
  if (share === "postgres-share" && journey.pgliteShare) return false;
  return hasChromium();
}

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

// Contexts made with JavaScript off: axe cannot run in their pages (timers never fire there), see expectAccessible.
const withoutJavaScript = new WeakSet<BrowserContext>();

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
    if (!javaScript) withoutJavaScript.add(context);
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
      list.push({
        kind: "console.error",
        url: page.url(),
        text: `${message.text()}${url ? ` (${url}:${lineNumber})` : ""}`,
      });
    });
    page.on("pageerror", (error) =>
      list.push({ kind: "pageerror", url: page.url(), text: error.stack ?? String(error) }),
    );
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
    const matches = (p: BrowserProblem, e: ExpectedProblem) =>
      (!e.kind || e.kind === p.kind) && e.text.test(p.text) && (!e.url || e.url.test(p.url));
    const unexpected = all.filter((p) => !expected.some((e) => matches(p, e)));
    const describe = (list: string[]) => list.map((line) => `\n  - ${line}`).join("");
    expect(
      unexpected.length,
      `Unexpected browser console errors or page errors:${describe(unexpected.map((p) => `${p.kind} on ${p.url}: ${p.text}`))}\n`,
    ).toBe(0);
    const unseen = expected.filter((e) => !all.some((p) => matches(p, e)));
    expect(
      unseen.length,
      `Expected browser problems that did not happen:${describe(unseen.map((e) => `${e.kind ?? "any"} ${e.text}`))}\n`,
    ).toBe(0);
  }

  async close() {
    await this.browser.close();
  }
}

/**
 * Runs axe's WCAG 2.2 A and AA rules on the page as it is now; the failure message says what to fix and where.
 *
 * axe needs timers, which never fire in a page without JavaScript. For such a page it checks an exact copy:
 * the same HTML at the same address (so the same styles and images), in a page whose own scripts are
 * blocked by a Content-Security-Policy of script-src 'none', so nothing the browser shows differs.
 */
export async function expectAccessible(page: Page, label = page.url(), knownIssues: KnownAxeIssue[] = []) {
  const context = page.context();
  if (!withoutJavaScript.has(context)) {
    expectNoViolations(await axeViolationsOf(page), label, knownIssues);
    return;
  }
  const html = await page.content();
  const browser = context.browser();
  if (!browser) throw new Error("expectAccessible: the page's context has no browser");
  // A request never carries the address's #fragment, which the page's own address may have; going to the address
  // without it also loads the copy afresh when the copy page already stands at that address.
  const url = page.url().split("#")[0];
  const copier = await copierFor(browser);
  const check = copier.turn.then(async () => {
    const copy = copier.page;
    await copy.context().clearCookies();
    await copy.context().addCookies(await context.cookies());
    copier.serving = { url, html };
    await copy.goto(url);
    const scriptsRan = await copy.evaluate(
      () => "__remixContext" in window || document.body.classList.contains("js-enabled"),
    );
    expect(scriptsRan, "the copy of a page without JavaScript ran the page's scripts").toBe(false);
    expect(await copy.locator("body").innerText(), "the copy shows what the page without JavaScript shows").toBe(
      await page.locator("body").innerText(),
    );
    expectNoViolations(await axeViolationsOf(copy), `${label} (a copy with its scripts blocked)`, knownIssues);
  });
  copier.turn = check.catch(() => {});
  await check;
}

/**
 * The page in which a browser's checks of pages without JavaScript are made, one check at a time: one page, reused,
 * since opening a page costs Chromium a new renderer process. It serves the HTML it is given at its address.
 */
type Copier = { page: Page; serving: { url: string; html: string } | null; turn: Promise<void> };
const copiers = new WeakMap<Browser, Promise<Copier>>();
function copierFor(browser: Browser): Promise<Copier> {
  let copier = copiers.get(browser);
  if (!copier) {
    copier = (async () => {
      const context = await browser.newContext({ javaScriptEnabled: true });
      const copy: Copier = { page: await context.newPage(), serving: null, turn: Promise.resolve() };
      await copy.page.route("**/*", (route) => {
        const request = route.request();
        if (copy.serving && request.isNavigationRequest() && request.url() === copy.serving.url) {
          return route.fulfill({
            status: 200,
            contentType: "text/html; charset=utf-8",
            headers: { "content-security-policy": "script-src 'none'" },
            body: copy.serving.html,
          });
        }
        return route.continue();
      });
      return copy;
    })();
    copiers.set(browser, copier);
  }
  return copier;
}

/**
 * axe's WCAG 2.2 A and AA violations on the page. Legacy mode runs axe.run in the page itself: the default instead
 * opens a new blank page in the context for every check (axe.finishRun), a new renderer process each time, which
 * more than doubled the cost of a check (dequelabs/axe-core-npm#707, microsoft/playwright#23183). What legacy mode
 * gives up is the check of cross-origin frames, and our pages have no frames at all: a page that gains one fails here.
 */
async function axeViolationsOf(page: Page) {
  expect(
    page.frames().map((frame) => frame.url()),
    "a page checked by axe has frames: check them too",
  ).toEqual([page.mainFrame().url()]);
  // options() replaces every option set before it, the tags included: it comes first.
  return new AxeBuilder({ page })
    .options({ resultTypes: ["violations"] })
    .withTags(AXE_TAGS)
    .setLegacyMode()
    .analyze();
}

/**
 * A finding of axe that a page accepts knowingly, for the named elements only: one rule, the elements whose axe
 * target matches, and why. The one so far: GOV.UK Frontend's conditional reveal sets aria-expanded on a radio, which
 * ARIA does not allow; the Design System keeps it on purpose, since screen readers announce it
 * (alphagov/govuk-frontend#979, listed there as a known issue).
 */
export type KnownAxeIssue = { rule: string; html: RegExp; summary: RegExp; reason: string };

export const GOVUK_CONDITIONAL_REVEAL: KnownAxeIssue = {
  rule: "aria-allowed-attr",
  html: /^<input class="govuk-radios__input"[^>]* type="radio"/,
  summary: /^Fix all of the following:\s+ARIA attribute is not allowed: aria-expanded="(true|false)"$/,
  reason: "GOV.UK Frontend's conditional reveal sets aria-expanded on radios (alphagov/govuk-frontend#979)",
};

function expectNoViolations(
  results: Awaited<ReturnType<AxeBuilder["analyze"]>>,
  label: string,
  knownIssues: KnownAxeIssue[] = [],
) {
  const violations = results.violations
    .map((v) => ({
      ...v,
      nodes: v.nodes.filter(
        (n) =>
          !knownIssues.some(
            (k) => k.rule === v.id && k.html.test(n.html) && k.summary.test((n.failureSummary ?? "").trim()),
          ),
      ),
    }))
    .filter((v) => v.nodes.length > 0);
  const report = violations.map(
    (v) =>
      `\n${v.id} (${v.impact ?? "unknown impact"}): ${v.help}\n  ${v.helpUrl}\n` +
      v.nodes.map((n) => `  - ${n.target.join(" ")}: ${(n.failureSummary ?? "").replace(/\n\s*/g, " ")}`).join("\n"),
  );
  expect(
    violations.length,
    `axe found ${violations.length} kinds of WCAG violation on ${label}:${report.join("\n")}\n`,
  ).toBe(0);
}

/**
 * Records the page's own requests (same origin, not the page's address itself) that fail or answer 4xx or
 * 5xx: a missing script, style sheet, image or font. Returns a function that lists them so far.
 */
export function recordFailedAssets(page: Page, origin: string): () => string[] {
  const failures: string[] = [];
  const isAsset = (request: Request) =>
    request.url().startsWith(origin) && !(request.isNavigationRequest() && request.frame() === page.mainFrame());
  page.on("requestfailed", (request) => {
    // With JavaScript off, Chromium refuses the page's scripts itself (reported as "csp"): not a missing asset.
    const refusedScript = withoutJavaScript.has(page.context()) && request.failure()?.errorText === "csp";
    if (isAsset(request) && !refusedScript)
      failures.push(`${request.url()} failed: ${request.failure()?.errorText ?? "unknown"}`);
  });
  page.on("response", (response) => {
    if (isAsset(response.request()) && response.status() >= 400)
      failures.push(`${response.url()} answered ${response.status()}`);
  });
  return () => [...failures];
}

/** React has hydrated the page (clicks reach the app's handlers) and GOV.UK Frontend has initialised it. */
export async function waitForHydration(page: Page) {
  await page.waitForFunction(() => {
    const main = document.getElementById("main-content");
    const hydrated = main !== null && Object.keys(main).some((key) => key.startsWith("__reactFiber"));
    return hydrated && document.querySelector(".govuk-skip-link[data-govuk-skip-link-init]") !== null;
  });
}

/** The page has loaded and, when its context runs JavaScript, hydrated. */
export async function settle(page: Page) {
  await page.waitForLoadState("load");
  if (!withoutJavaScript.has(page.context())) await waitForHydration(page);
}

/**
 * Waits for a navigation to reach `url` and for `drawn` (something only the new page shows) to be on screen. With
 * JavaScript on, the address changes before React has drawn the new page, so the address alone proves nothing.
 */
export async function arriveAt(page: Page, url: string | RegExp, drawn: Locator) {
  await page.waitForURL(url);
  await drawn.waitFor();
  await settle(page);
}

/** Signs in through the sign-in form, as a person would, and waits for their home page. */
export async function signInThroughPage(page: Page, baseUrl: string, email: string, password = TEST_PASSWORD) {
  await page.goto(`${baseUrl}/sign-in`);
  await settle(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await arriveAt(page, `${baseUrl}/`, page.locator(".app-account-bar"));
}

/**
 * GOV.UK Frontend's buttons with data-prevent-double-click ignore a second click within a second, as they
 * should; a person correcting a form takes longer than a test does, so a test that submits the same form
 * again waits that second out.
 */
export async function pastDoubleClickGuard(page: Page) {
  await page.waitForTimeout(1_050);
}

/**
 * Answers the test module's three questions right (factories' aModuleContent: "Answer a" is right), from its first
 * question on screen to its "You passed" result. The hooks run on each question and on each answer's feedback.
 */
export async function answerTestModuleRight(
  page: Page,
  hooks: { onQuestion?: (index: number) => Promise<void>; onFeedback?: (index: number) => Promise<void> } = {},
) {
  const heading = () => page.getByRole("heading", { level: 1 }).first().textContent();
  for (let index = 0; index < 3; index++) {
    // Which variant each question is depends on the attempt's draw; its number does not.
    await expect.poll(heading).toMatch(new RegExp(`^What do you do in ${index + 1}\\.[12]\\?$`));
    await hooks.onQuestion?.(index);
    await page.getByLabel("Answer a").check();
    await page.getByRole("button", { name: "Submit answer" }).click();
    await expect.poll(heading).toBe("That’s right");
    await hooks.onFeedback?.(index);
    await page.getByRole("link", { name: index === 2 ? "See your result" : "Continue" }).click();
  }
  await expect.poll(() => page.locator(".govuk-panel__title").textContent()).toBe("You passed");
}
