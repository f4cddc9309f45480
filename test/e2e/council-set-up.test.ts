import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { passwordLinkUrl } from "~/auth/password-links.server";
import { createCouncil } from "~/organisations/create-council.server";
import { expectAccessible, runsJourneys, settle, signInThroughPage, TestBrowser } from "../support/browser";
import { freshDatabase } from "../support/database";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();

/** A council just made by council:create, with no content yet: its admin's first visit, in Chromium. */
describe.skipIf(!runsJourneys())("a new council's first admin in a real browser", () => {
  const empty = mkdtempSync(join(tmpdir(), "smcoc-no-content-"));
  const password = "a-long-password-for-the-admin";
  let server: TestServer;
  let browser: TestBrowser;
  let link: string;

  beforeAll(async () => {
    const db = database.db;
    server = await startTestServer(database);
    const created = await createCouncil(
      db,
      { slug: "new-vale", name: "New Vale Council", adminEmail: "it.lead@newvale.example", adminName: "Nia Lead" },
      { contentDir: empty, delivery: "printed", request: { ip: null, requestId: null }, now: new Date() },
    );
    if (created.outcome !== "created") throw new Error("not created");
    link = passwordLinkUrl(server.url, created.token);
    browser = await TestBrowser.launch();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(empty, { recursive: true, force: true });
  });

  const PAGES: [string, string][] = [
    ["/", "Your council has not set any training yet."],
    ["/training", "New Vale Council has not set any training yet."],
    ["/code-of-conduct", "New Vale Council has not published its code of conduct here yet"],
  ];

  async function visitEach(page: Page, check: (page: Page) => Promise<void>) {
    for (const [path, text] of PAGES) {
      await page.goto(`${server.url}${path}`);
      await settle(page);
      await expect.poll(() => page.locator("main").innerText()).toContain(text);
      await check(page);
    }
  }

  it("sets a password through the link, signs in and is told plainly that nothing is set yet", async () => {
    const context = await browser.newContext();
    const page = await browser.newPage(context);
    await page.goto(link);
    await settle(page);
    await page.getByLabel("New password", { exact: true }).fill(password);
    await page.getByLabel("Confirm new password").fill(password);
    await page.getByRole("button", { name: "Save password" }).click();
    await page.waitForURL(/\/sign-in\?passwordSet=1$/);
    await signInThroughPage(page, server.url, "it.lead@newvale.example", password);
    await visitEach(page, (p) => expectAccessible(p));
    browser.expectNoProblems(page);
    await context.close();
  }, 120_000);

  // axe ran on each page above; here the pages must read the same and fit a phone without any script.
  it("shows the same pages without JavaScript at 375 px, none scrolling sideways", async () => {
    const context = await browser.newContext({ javaScript: false, viewport: { width: 375, height: 800 } });
    const page = await browser.newPage(context);
    await signInThroughPage(page, server.url, "it.lead@newvale.example", password);
    await visitEach(page, async (p) => {
      const { scrollWidth, clientWidth } = await p.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      expect(scrollWidth, p.url()).toBeLessThanOrEqual(clientWidth);
    });
    browser.expectNoProblems(page);
    await context.close();
  }, 120_000);
});
