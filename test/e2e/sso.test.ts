import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { arriveAt, expectAccessible, runsJourneys, settle, TestBrowser } from "../support/browser";
import { freshDatabase } from "../support/database";
import {
  aCouncil,
  anIdentityProvider,
  aModuleContent,
  answerEveryQuestion,
  aPerson,
  aPolicyVersion,
  asCurrentUser,
} from "../support/factories";
import { startTestProvider, type TestProvider } from "../support/oidc-provider";
import { startTestServer, type TestServer } from "../support/server";

const browserAvailable = runsJourneys();
const database = browserAvailable ? await freshDatabase() : null;

describe.skipIf(!browserAvailable)("single sign-on in a real browser", () => {
  let server: TestServer;
  let idp: TestProvider;
  let browser: TestBrowser;
  let council: Awaited<ReturnType<typeof aCouncil>>;

  beforeAll(async () => {
    const db = database!.db;
    council = await aCouncil(db);
    await syncTrainingModules(db, [aModuleContent(council.organisation.slug) as unknown as TrainingModule], new Date());
    await aPolicyVersion(db, council.organisation.id, { label: "1" });
    server = await startTestServer(database!);
    idp = await startTestProvider({ redirectUris: [`${server.url}/sso/callback`] });
    await anIdentityProvider(db, council.organisation.id, idp, { displayName: "Council Login", passwordSignIn: "no" });
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
    await server?.close();
  });

  for (const javaScript of [true, false]) {
    it(
      `signs in through the provider and signs after re-authenticating there (JavaScript ${javaScript ? "on" : "off"}, 375 px)`,
      { timeout: 120_000 },
      async () => {
        const db = database!.db;
        const email = `browser-${javaScript}-${Date.now()}@council.example`;
        const person = await aPerson(db, {
          organisationId: council.organisation.id,
          teamId: council.teamA.id,
          email,
          password: null,
          name: `Sso Person ${javaScript ? "On" : "Off"}`,
        });
        const current = asCurrentUser(person, council.organisation);
        const attemptId = (await startOrResumeAttempt(db, current, "test-module", new Date()))!;
        await answerEveryQuestion(db, current, "test-module", attemptId, new Date());
        const account = `browser-${javaScript}`;
        idp.accounts.set(account, { email, email_verified: true });

        const context = await browser.newContext({ javaScript, viewport: { width: 375, height: 800 } });
        const page = await browser.newPage(context);
        await page.goto(`${server.url}/sign-in`);
        await settle(page);
        await expectAccessible(page);
        await page.getByLabel("Your work email").fill(email);
        await page.getByRole("button", { name: "Continue to your council’s sign-in" }).click();
        await page.waitForURL(/\/sign-in\?council=/);
        await settle(page);
        await page.getByRole("button", { name: "Sign in with Council Login" }).click();
        await page.waitForURL(`${idp.issuer}/interaction/**`);
        await page.getByLabel("Account").fill(account);
        await page.getByRole("button", { name: "Sign in at the provider" }).click();
        await page.waitForURL(`${server.url}/`);
        await settle(page);
        expect(await page.textContent("main")).toContain(`Welcome, ${person.name}`);

        await page.goto(`${server.url}/code-of-conduct`);
        await settle(page);
        await expectAccessible(page);
        await page.getByRole("button", { name: "Confirm who you are with Council Login" }).click();
        await page.waitForURL(`${idp.issuer}/interaction/**`);
        await page.getByLabel("Account").fill(account);
        await page.getByRole("button", { name: "Sign in at the provider" }).click();
        await page.waitForURL(`${server.url}/code-of-conduct`);
        await settle(page);
        expect(await page.textContent("main")).toContain("You have just confirmed who you are with Council Login");
        for (const box of await page.getByRole("checkbox").all()) await box.check();
        await page.getByLabel("Your full name").fill(person.name);
        await page.getByRole("button", { name: "Sign the code of conduct" }).click();
        await arriveAt(
          page,
          /\/records\/[A-Z0-9-]+\?signed=1$/,
          page.getByRole("heading", { name: "You have signed the code of conduct" }),
        );
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(width).toBeLessThanOrEqual(375);
        browser.expectNoProblems(page);
        await context.close();
      },
    );
  }
});
