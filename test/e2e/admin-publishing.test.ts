import { createHash } from "node:crypto";
import { count, desc, eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  attemptEvents,
  attempts,
  moduleUploads,
  moduleVersions,
  policyVersions,
  requirements,
  requirementSettings,
  trainingModules,
} from "~db/schema";
import {
  expectAccessible,
  runsJourneys,
  pastDoubleClickGuard,
  settle,
  signInThroughPage,
  TestBrowser,
  type ExpectedProblem,
} from "../support/browser";
import { freshDatabase } from "../support/database";
import { aCouncilReadyForModules } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

const BAD_REQUEST: ExpectedProblem = {
  kind: "console.error",
  text: /Failed to load resource: the server responded with a status of 400/,
};

// Walked in CI's PGlite pass (runsJourneys).
const browserAvailable = runsJourneys({ pgliteShare: true });
const database = browserAvailable ? await freshDatabase() : null;

async function countOf(table: typeof attempts | typeof attemptEvents | typeof moduleUploads | typeof policyVersions) {
  const [row] = await database!.db.select({ n: count() }).from(table);
  return row.n;
}

/** At 375 px nothing on the page is wider than the window: a phone never scrolls sideways. */
async function expectNoSidewaysScroll(page: Page, label: string) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 800 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(width, `${label} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
  if (size) await page.setViewportSize(size);
}

describe.skipIf(!browserAvailable)("publishing the code of conduct and a training module in a real browser", () => {
  let server: TestServer;
  let ready: Awaited<ReturnType<typeof aCouncilReadyForModules>>;
  let browser: TestBrowser;

  beforeAll(async () => {
    if (!database) throw new Error("No database: these tests should have been skipped");
    ready = await aCouncilReadyForModules(database.db);
    server = await startTestServer(database);
    browser = await TestBrowser.launch();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const javaScript of [true, false]) {
    const mode = javaScript ? "JavaScript on" : "JavaScript off";
    const label = javaScript ? "2" : "3";

    it(
      `publishes a new version of the code of conduct from a file, after its check and difference (${mode})`,
      {
        timeout: 300_000,
      },
      async () => {
        const context = await browser.newContext({
          javaScript,
        });
        const page = await browser.newPage(context);
        try {
          await signInThroughPage(page, server.url, ready.admin.email);
          await page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "Admin" }).click();
          await page.getByRole("heading", { level: 1, name: "Admin" }).waitFor();
          await page.getByRole("main").getByRole("link", { name: "Code of conduct" }).click();
          await page.getByRole("heading", { level: 1, name: "Code of conduct" }).waitFor();
          await settle(page);
          await expectAccessible(page, `the code of conduct versions (${mode})`);
          await page.getByRole("link", { name: "Publish a new version" }).click();
          await page.getByRole("heading", { level: 1, name: "Publish a new version of the code of conduct" }).waitFor();
          await settle(page);
          await expectAccessible(page, `the publish form (${mode})`);
          await expectNoSidewaysScroll(page, "the publish form");

          // Nothing filled in: every problem said, nothing written.
          const before = await countOf(policyVersions);
          await page.getByRole("button", { name: "Check the new version" }).click();
          const summary = page.getByTestId("error-summary");
          await summary.waitFor();
          await settle(page);
          expect(await summary.getByRole("listitem").allTextContents()).toEqual([
            "The policy text is empty",
            "Enter a version label",
            "Enter the date it takes effect",
            "Select whether everyone must sign this version again",
          ]);
          await expectAccessible(page, `the publish form with errors (${mode})`);
          expect(await countOf(policyVersions)).toBe(before);

          // The new text as a Windows file: CRLF line endings, one sentence changed.
          const text = ready.policy.body
            .replace(/\n/g, "\r\n")
            .replace(/\r\n\r\n/, `\r\n\r\nVersion ${label}.\r\n\r\n`);
          await page
            .getByLabel("Or upload it as a text file")
            .setInputFiles({ name: "policy.txt", mimeType: "text/plain", buffer: Buffer.from(text, "utf8") });
          await page.getByLabel("Version label").fill(label);
          await page.getByLabel("Day").fill("1");
          await page.getByLabel("Month").fill("4");
          await page.getByLabel("Year").fill("2026");
          await page.getByLabel("Yes, everyone signs it again").check();
          await pastDoubleClickGuard(page);
          await page.getByRole("button", { name: "Check the new version" }).click();
          await page.getByRole("heading", { level: 1, name: `Check version ${label} before you publish it` }).waitFor();
          await settle(page);
          expect(await page.locator("ins").allTextContents()).toEqual(
            expect.arrayContaining([expect.stringContaining(label)]),
          );
          await expectAccessible(page, `the check page (${mode})`);
          await expectNoSidewaysScroll(page, "the check page");
          expect(await countOf(policyVersions)).toBe(before);

          await page.getByRole("button", { name: `Publish version ${label}` }).click();
          await page.getByText(`Version ${label} of the code of conduct is published.`).waitFor();
          await settle(page);
          await expectAccessible(page, `the versions after publishing (${mode})`);
          const [version] = await database!.db
            .select()
            .from(policyVersions)
            .where(eq(policyVersions.versionLabel, label));
          const lf = text.replace(/\r\n/g, "\n");
          expect(version.body).toBe(lf);
          expect(version.sha256).toBe(createHash("sha256").update(Buffer.from(lf, "utf8")).digest("hex"));
          expect(version).toMatchObject({ publishedBy: ready.admin.id, effectiveDate: "2026-04-01" });
          expect(await countOf(policyVersions)).toBe(before + 1);
          browser.expectNoProblems(page, [BAD_REQUEST]);
        } finally {
          await context.close();
        }
      },
    );

    it(
      `uploads a module, shows its problems, previews it without a record and publishes it (${mode})`,
      {
        timeout: 300_000,
      },
      async () => {
        const context = await browser.newContext({
          javaScript,
        });
        const page = await browser.newPage(context);
        const slug = `posting-online-${javaScript ? "js" : "no-js"}`;
        try {
          await signInThroughPage(page, server.url, ready.admin.email);
          await page.goto(`${server.url}/admin/modules`);
          await page.getByRole("heading", { level: 1, name: "Training modules" }).waitFor();
          await settle(page);
          await expectAccessible(page, `the training modules page (${mode})`);
          await expectNoSidewaysScroll(page, "the training modules page");

          const uploadsBefore = await countOf(moduleUploads);
          const broken = ready.moduleFile((m) => ({ ...m, id: slug, passMark: 2 }));
          await page
            .getByLabel("Upload a module file")
            .setInputFiles({ name: `${slug}.json`, mimeType: "application/json", buffer: Buffer.from(broken) });
          await page.getByRole("button", { name: "Upload and check the module" }).click();
          await page.getByTestId("error-summary").waitFor();
          await settle(page);
          expect(await page.locator("#problems").textContent()).toContain(
            `${slug}.json: passMark: Too big: expected number to be <=1`,
          );
          await expectAccessible(page, `the module problems (${mode})`);
          await expectNoSidewaysScroll(page, "the module problems");
          expect(await countOf(moduleUploads)).toBe(uploadsBefore);

          const good = ready.moduleFile((m) => ({ ...m, id: slug, title: `Posting online (${mode})` }));
          await page
            .getByLabel("Upload a module file")
            .setInputFiles({ name: `${slug}.json`, mimeType: "application/json", buffer: Buffer.from(good) });
          await pastDoubleClickGuard(page);
          await page.getByRole("button", { name: "Upload and check the module" }).click();
          await page.getByRole("heading", { level: 1, name: `Posting online (${mode})` }).waitFor();
          await settle(page);
          await expectAccessible(page, `the module's publish page (${mode})`);
          await expectNoSidewaysScroll(page, "the module's publish page");

          // The preview: every question answered, nothing recorded.
          const recorded = { attempts: await countOf(attempts), events: await countOf(attemptEvents) };
          await page.getByRole("link", { name: "Preview the module as staff take it" }).click();
          await page.getByRole("link", { name: "Start the preview" }).click();
          let checkedPages = false;
          for (let i = 0; i < 40; i++) {
            await page.locator("h1").first().waitFor();
            await settle(page);
            const heading = (await page.locator("h1").first().textContent()) ?? "";
            if (/You passed|You did not pass/.test(heading)) break;
            if (await page.getByRole("button", { name: "Submit answer" }).count()) {
              if (!checkedPages) await expectAccessible(page, `a preview question (${mode})`);
              if (!checkedPages) await expectNoSidewaysScroll(page, "a preview question");
              await page.locator("input[name=choiceId]").first().check();
              await page.getByRole("button", { name: "Submit answer" }).click();
              await page.getByRole("link", { name: /Continue|See the result/ }).waitFor();
              await settle(page);
              if (!checkedPages) await expectAccessible(page, `preview feedback (${mode})`);
              checkedPages = true;
              await page.getByRole("link", { name: /Continue|See the result/ }).click();
            }
          }
          await page.getByRole("heading", { level: 2, name: "Your answers" }).waitFor();
          await expectAccessible(page, `the preview's result (${mode})`);
          await expectNoSidewaysScroll(page, "the preview's result");
          expect({ attempts: await countOf(attempts), events: await countOf(attemptEvents) }).toEqual(recorded);

          await page.getByRole("link", { name: /Back to publishing/ }).click();
          await page.getByLabel("Yes, it is required").check();
          await page.getByRole("button", { name: "Publish this version" }).click();
          await page.getByText(`Posting online (${mode}) is published.`).waitFor();
          await settle(page);
          await expectAccessible(page, `the modules after publishing (${mode})`);
          const [module] = await database!.db.select().from(trainingModules).where(eq(trainingModules.slug, slug));
          expect(module.source).toBe("admin");
          const versions = await database!.db
            .select()
            .from(moduleVersions)
            .where(eq(moduleVersions.moduleId, module.id));
          expect(versions).toHaveLength(1);
          expect(versions[0]).toMatchObject({ approvedBy: ready.admin.id, source: "admin" });
          expect(
            await database!.db.select().from(requirements).where(eq(requirements.moduleId, module.id)),
          ).toHaveLength(1);

          // The admin stops requiring it from the modules page.
          await page.getByRole("button", { name: `Stop requiring it (Posting online (${mode}))` }).click();
          await page.getByText(`Posting online (${mode}) is no longer required.`).waitFor();
          // The requirement stays, its history with it: a dated setting aims it at no team from today.
          const [requirement] = await database!.db
            .select()
            .from(requirements)
            .where(eq(requirements.moduleId, module.id));
          const settings = await database!.db
            .select()
            .from(requirementSettings)
            .where(eq(requirementSettings.requirementId, requirement.id))
            .orderBy(desc(requirementSettings.recordedAt));
          expect(settings[0]).toMatchObject({ teamIds: [], recordedBy: ready.admin.id });
          browser.expectNoProblems(page, [BAD_REQUEST]);
        } finally {
          await context.close();
        }
      },
    );
  }
});
