import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import {
  answerTestModuleRight,
  expectAccessible,
  runsJourneys,
  pastDoubleClickGuard,
  signInThroughPage,
  TestBrowser,
  type ExpectedProblem,
} from "../support/browser";
import { freshDatabase } from "../support/database";
import { aCouncil, aModuleContent, aPerson, aPolicyVersion, TEST_PASSWORD } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

const BAD_REQUEST: ExpectedProblem = { kind: "console.error", text: /status of 400/ };

/** Answers the module's three questions right (and, on the way, checks feedback and the page's accessibility). */
async function takeModuleToPass(page: Page, url: string, checkAccessibility: boolean) {
  await page.goto(`${url}/training`);
  await page.getByRole("link", { name: "Test module" }).click();
  await page.getByRole("button", { name: "Start the module" }).click();
  await answerTestModuleRight(page, {
    onQuestion: async (index) => {
      expect(await page.locator(".govuk-caption-l").first().textContent()).toContain(`Question ${index + 1} of 3`);
      if (checkAccessibility && index === 0) await expectAccessible(page, "question page");
    },
    onFeedback: async (index) => {
      await expect
        .poll(() => page.locator("main").textContent())
        .toContain("Source: Test council social media policy, section 1.1");
      if (checkAccessibility && index === 0) await expectAccessible(page, "feedback page");
    },
  });
  expect(await page.locator("main").textContent()).toContain("Your score: 100%");
  expect(await page.getByRole("link", { name: "Sign the code of conduct" }).count()).toBe(1);
  if (checkAccessibility) await expectAccessible(page, "result page");
}

// Created when the file loads, so freshDatabase's own clean-up (registered with afterAll) runs.
const database = await freshDatabase();

describe.skipIf(!runsJourneys())("training and signing in a real browser", () => {
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
    await aPolicyVersion(database.db, council.organisation.id, {
      label: "1",
      body: "1. Personal use\n\nDo not accept service users as friends.\n",
    });
    server = await startTestServer(database);
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("takes a module to a pass with JavaScript on, then signs the code of conduct", { timeout: 90_000 }, async () => {
    const context = await browser.newContext();
    const page = await browser.newPage(context);
    await signInThroughPage(page, server.url, council.staff.email);
    await takeModuleToPass(page, server.url, true);

    await page.goto(`${server.url}/code-of-conduct`);
    await expectAccessible(page, "sign page");
    // The client-side check runs the same schema as the server: nothing is sent until the form is complete.
    await page.getByRole("button", { name: "Sign the code of conduct" }).click();
    await expect
      .poll(() => page.locator(".govuk-error-summary").textContent())
      .toContain("Confirm that you have read and understood the code of conduct");
    await expectAccessible(page, "sign page with errors");
    for (const label of ["I have read and understood", "I will follow", "I understand that a breach"])
      await page.getByLabel(label).check();
    await page.getByLabel("Your full name").fill(council.staff.name.toLowerCase());
    await page.getByLabel("Your password").fill(TEST_PASSWORD);
    await pastDoubleClickGuard(page);
    await page.getByRole("button", { name: "Sign the code of conduct" }).click();
    await expect
      .poll(() => page.locator(".govuk-panel__title").textContent())
      .toBe("You have signed the code of conduct");
    await expectAccessible(page, "confirmation page");
    browser.expectNoProblems(page);
    await context.close();
  });

  it("takes a module to a pass with JavaScript off, the server's answer shown for an empty submit", async () => {
    const person = await aPerson(database.db, {
      organisationId: council.organisation.id,
      teamId: council.teamA.id,
      name: "No Script",
    });
    const context = await browser.newContext({ javaScript: false });
    const page = await browser.newPage(context);
    await signInThroughPage(page, server.url, person.email);
    await page.goto(`${server.url}/training/test-module`);
    await page.getByRole("button", { name: "Start the module" }).click();
    await page.getByRole("button", { name: "Submit answer" }).click();
    expect(await page.locator(".govuk-error-summary").textContent()).toContain("Select an answer");
    await expectAccessible(page, "question page with error (no JavaScript)");
    await answerTestModuleRight(page);
    browser.expectNoProblems(page, [BAD_REQUEST]);
    await context.close();
  });
});
