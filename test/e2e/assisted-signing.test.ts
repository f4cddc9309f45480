import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import {
  answerTestModuleRight,
  expectAccessible,
  pastDoubleClickGuard,
  runsJourneys,
  signInThroughPage,
  TestBrowser,
  waitForHydration,
} from "../support/browser";
import { freshDatabase } from "../support/database";
import { aCouncil, aModuleContent, aPersonWithoutEmail, aPolicyVersion, TEST_PASSWORD } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

// Created when the file loads, so freshDatabase's own clean-up (registered with afterAll) runs.
const database = await freshDatabase();

const heading = (page: Page) => page.getByRole("heading", { level: 1 }).first().textContent();

/** At 375 px nothing on the page is wider than the window: a phone never scrolls sideways. */
async function fits(page: Page, label: string) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `${label} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
}

async function settle(page: Page, javaScript: boolean) {
  if (javaScript) await waitForHydration(page);
}

describe.skipIf(!runsJourneys())("assisted signing in a real browser", () => {
  let server: TestServer;
  let council: Awaited<ReturnType<typeof aCouncil>>;
  let browser: TestBrowser;

  beforeAll(async () => {
    council = await aCouncil(database.db);
    await syncTrainingModules(
      database.db,
      [aModuleContent(council.organisation.slug) as unknown as TrainingModule],
      new Date(),
    );
    await aPolicyVersion(database.db, council.organisation.id, { label: "1" });
    server = await startTestServer(database);
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const javaScript of [true, false]) {
    it(
      `HR issues a code; on the champion's device the person trains and signs, the champion witnesses (JavaScript ${javaScript ? "on" : "off"}, 375 px)`,
      { timeout: 180_000 },
      async () => {
        const name = javaScript ? "Robin Scripted" : "Robin Plain";
        const person = await aPersonWithoutEmail(database.db, {
          organisationId: council.organisation.id,
          teamId: council.teamA.id,
          name,
        });
        const viewport = { width: 375, height: 800 };

        // HR issues the code, from the person's page.
        const hrContext = await browser.newContext({ javaScript, viewport });
        const hrPage = await browser.newPage(hrContext);
        await signInThroughPage(hrPage, server.url, council.hr.email);
        await hrPage.goto(`${server.url}/hr/people/${person.id}`);
        await settle(hrPage, javaScript);
        await hrPage.getByRole("link", { name: `Issue a one-time code for ${name}` }).click();
        await expect.poll(() => heading(hrPage)).toBe(`One-time code for ${name}`);
        await settle(hrPage, javaScript);
        await hrPage.getByRole("button", { name: "Issue a one-time code" }).click();
        await expect.poll(() => hrPage.locator(".app-one-time-code").count()).toBe(1);
        const code = (await hrPage.locator(".app-one-time-code").textContent())!.trim();
        expect(code).toMatch(/^[2-9A-Z]{4}-[2-9A-Z]{4}$/);
        await fits(hrPage, "the issued code");
        if (javaScript) await expectAccessible(hrPage, "the issued code");
        browser.expectNoProblems(hrPage);
        await hrContext.close();

        // The champion opens the assisted session from their team's page; the person types their code.
        const context = await browser.newContext({ javaScript, viewport });
        const page = await browser.newPage(context);
        await signInThroughPage(page, server.url, council.champion.email);
        await page.goto(`${server.url}/teams/${council.teamA.id}`);
        await settle(page, javaScript);
        await page.getByRole("link", { name: `Assisted signing for ${name}` }).click();
        await expect.poll(() => heading(page)).toBe(`Assisted signing for ${name}`);
        await settle(page, javaScript);
        await fits(page, "the start page");
        if (javaScript) await expectAccessible(page, "the start page");
        await page.getByLabel(`${name}: type your one-time code`).fill(code.toLowerCase().replace("-", " "));
        await page.getByRole("button", { name: "Start the assisted session" }).click();
        await expect.poll(() => heading(page)).toBe(`Assisted session for ${name}`);
        expect(await page.locator(".app-account-bar").textContent()).toContain(`witnessed by ${council.champion.name}`);
        await settle(page, javaScript);
        await fits(page, "the assisted session's page");
        if (javaScript) await expectAccessible(page, "the assisted session's page");

        // The person passes the module.
        await page.getByRole("link", { name: "Take the training" }).click();
        await page.getByRole("link", { name: "Test module" }).click();
        await settle(page, javaScript);
        await page.getByRole("button", { name: "Start the module" }).click();
        await answerTestModuleRight(page, { onQuestion: () => settle(page, javaScript) });

        // They make each declaration and type their name; the champion types their own password.
        await page.goto(`${server.url}/code-of-conduct`);
        await settle(page, javaScript);
        for (const label of ["I have read and understood", "I will follow", "I understand that a breach"])
          await page.getByLabel(label).check();
        await page.getByLabel("Your full name").fill(name);
        await page.getByRole("button", { name: "Sign the code of conduct" }).click();
        await expect
          .poll(() => page.locator(".govuk-error-summary").textContent())
          .toContain("Witness: enter your password");
        await fits(page, "the sign page with an error");
        if (javaScript) await expectAccessible(page, "the sign page with an error");
        await pastDoubleClickGuard(page);
        if (!javaScript) {
          for (const label of ["I have read and understood", "I will follow", "I understand that a breach"])
            await page.getByLabel(label).check();
          await page.getByLabel("Your full name").fill(name);
        }
        await page.getByLabel(`Witness: ${council.champion.name}, your password`).fill(TEST_PASSWORD);
        await page.getByRole("button", { name: "Sign the code of conduct" }).click();
        await expect
          .poll(() => page.locator(".govuk-panel__title").textContent())
          .toBe(`${name} has signed the code of conduct`);
        const reference = (await page.locator(".govuk-panel__body strong").textContent())!.trim();
        await fits(page, "the confirmation");
        if (javaScript) await expectAccessible(page, "the confirmation");

        // The record says it was assisted; the training is out of reach now.
        await page.getByRole("link", { name: "See the signed record" }).click();
        await expect.poll(() => heading(page)).toBe(`Record ${reference}`);
        expect(await page.locator("#assistance").textContent()).toBe(
          `Signed with assistance: witnessed by ${council.champion.name}; one-time code issued by ${council.hr.name}.`,
        );
        expect(await page.locator("main").textContent()).toContain("A one-time code, with a witness");
        const training = await page.request.get(`${server.url}/training`);
        expect(training.status()).toBe(404);

        // Finish: the device goes back to the sign-in page.
        await settle(page, javaScript);
        await page.locator(".app-account-bar").getByRole("button", { name: "Finish" }).click();
        await page.waitForURL(`${server.url}/sign-in`);
        browser.expectNoProblems(page, [{ kind: "console.error", text: /status of 400/ }]);
        await context.close();
      },
    );
  }
});
