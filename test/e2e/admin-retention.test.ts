import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { organisations } from "~db/schema";
import {
  expectAccessible,
  GOVUK_CONDITIONAL_REVEAL,
  runsJourneys,
  pastDoubleClickGuard,
  settle,
  signInThroughPage,
  TestBrowser,
} from "../support/browser";
import { freshDatabase } from "../support/database";
import { aCouncil } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

// Created when the file loads, so freshDatabase's own clean-up (registered with afterAll) runs.
const database = await freshDatabase();
const db = database.db;

const sidewaysScroll = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
const monthsOf = async (organisationId: string) =>
  (await db.select().from(organisations).where(eq(organisations.id, organisationId)))[0].evidenceRetentionMonths;

describe.skipIf(!runsJourneys())("an admin sets the council's retention period in a real browser", () => {
  let server: TestServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startTestServer(database);
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const javaScript of [true, false]) {
    it(
      `from the Admin page, with a number of months that shows when chosen, at 375 px (JavaScript ${javaScript ? "on" : "off"})`,
      { timeout: 120_000 },
      async () => {
        const council = await aCouncil(db);
        const context = await browser.newContext({ javaScript, viewport: { width: 375, height: 800 } });
        context.setDefaultTimeout(30_000);
        context.setDefaultNavigationTimeout(30_000);
        const page = await browser.newPage(context);
        await signInThroughPage(page, server.url, council.admin.email);
        await page.getByRole("link", { name: "Admin", exact: true }).click();
        await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Admin");
        await page.getByRole("link", { name: "Retention" }).click();
        await expect
          .poll(() => page.getByRole("heading", { level: 1 }).textContent())
          .toBe("Evidence of people who have left");
        await settle(page);
        expect(await page.getByLabel("Keep them").isChecked()).toBe(true);
        const months = page.getByLabel("Months after the leaving date");
        // With JavaScript the number is revealed when its choice is made; without, it is always there.
        expect(await months.isVisible()).toBe(!javaScript);
        await page.getByLabel("Delete them a number of months after someone leaves").check();
        expect(await months.isVisible()).toBe(true);
        expect(await sidewaysScroll(page)).toBe(0);
        // With JavaScript, GOV.UK Frontend's conditional reveal sets aria-expanded on the radios, knowingly.
        await expectAccessible(page, "retention page at 375 px", [GOVUK_CONDITIONAL_REVEAL]);

        // A number out of range: the error summary, and nothing saved.
        await months.fill("0");
        await page.getByRole("button", { name: "Save" }).click();
        await expect
          .poll(() => page.locator(".govuk-error-summary").textContent())
          .toContain("The number of months must be 1 or more");
        expect(await months.isVisible()).toBe(true);
        expect(await monthsOf(council.organisation.id)).toBeNull();
        expect(await sidewaysScroll(page)).toBe(0);

        await pastDoubleClickGuard(page);
        await months.fill("24");
        await page.getByRole("button", { name: "Save" }).click();
        await expect.poll(() => page.url()).toContain("saved=1");
        await settle(page);
        expect(await page.getByRole("alert").textContent()).toContain("Your change has been saved.");
        expect(await monthsOf(council.organisation.id)).toBe(24);
        expect(await page.getByLabel("Delete them a number of months after someone leaves").isChecked()).toBe(true);
        expect(await months.inputValue()).toBe("24");
        expect(await sidewaysScroll(page)).toBe(0);
        // The refused number was answered 400, as refused input is.
        browser.expectNoProblems(page, [{ kind: "console.error", text: /status of 400 \(Bad Request\)/ }]);
        await context.close();
      },
    );
  }
});
