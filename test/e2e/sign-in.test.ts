import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectAccessible,
  runsJourneys,
  signInThroughPage,
  TestBrowser,
  waitForHydration,
  type ExpectedProblem,
} from "../support/browser";
import { freshDatabase } from "../support/database";
import { aCouncil } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

// Chromium reports every 4xx answer to a page load in the console; these are the app's documented answers.
const NOT_FOUND: ExpectedProblem = {
  kind: "console.error",
  text: /Failed to load resource: the server responded with a status of 404/,
};
const BAD_REQUEST: ExpectedProblem = {
  kind: "console.error",
  text: /Failed to load resource: the server responded with a status of 400/,
};
const UNAUTHORISED: ExpectedProblem = {
  kind: "console.error",
  text: /Failed to load resource: the server responded with a status of 401/,
};

type Council = Awaited<ReturnType<typeof aCouncil>>;
type RoleCase = {
  who: "staff" | "champion" | "hr" | "admin";
  roleText: string;
  /** The role-dependent menu items (others, such as Home, are offered to everyone). */
  teamsLink: boolean;
  championTable: boolean;
  organisationTable: boolean;
};

const ROLES: RoleCase[] = [
  { who: "staff", roleText: "Staff", teamsLink: false, championTable: false, organisationTable: false },
  {
    who: "champion",
    roleText: "Staff, social media champion",
    teamsLink: true,
    championTable: true,
    organisationTable: false,
  },
  { who: "hr", roleText: "HR", teamsLink: true, championTable: false, organisationTable: true },
  { who: "admin", roleText: "Administrator", teamsLink: true, championTable: false, organisationTable: true },
];

async function focusedElement(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return {
      tag: el?.tagName.toLowerCase() ?? null,
      id: el?.id || null,
      text: el?.textContent?.trim() ?? null,
      inMain: Boolean(el?.closest("#main-content")),
    };
  });
}

const browserAvailable = runsJourneys();
// Made while the file is collected (not in beforeAll), so the database's own afterAll clean-up is registered.
const database = browserAvailable ? await freshDatabase() : null;

describe.skipIf(!browserAvailable)("signing in and out in a real browser", () => {
  let server: TestServer;
  let council: Council;
  let browser: TestBrowser;

  beforeAll(async () => {
    if (!database) throw new Error("No database: these tests should have been skipped");
    council = await aCouncil(database.db);
    server = await startTestServer(database);
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(javaScript: boolean): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ javaScript });
    return { context, page: await browser.newPage(context) };
  }

  async function goTo(page: Page, path: string, javaScript: boolean) {
    const response = await page.goto(server.url + path);
    if (javaScript) await waitForHydration(page);
    return response;
  }

  for (const javaScript of [true, false]) {
    const mode = javaScript ? "JavaScript on" : "JavaScript off";

    describe(`with ${mode}`, () => {
      for (const role of ROLES) {
        it(
          `signs ${role.who} in through the form, shows their home page, then signs out and ends the session`,
          { timeout: 90_000 },
          async () => {
            const person = council[role.who];
            // Pages alike for every role are checked by axe once in each mode (each role's own pages are also
            // checked in the crawl of every page, test/e2e/every-page.test.ts); each role's home page every time.
            const pageAlikeForAll = role === ROLES[0];
            const { context, page } = await open(javaScript);
            try {
              await goTo(page, "/sign-in", javaScript);
              await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
              if (pageAlikeForAll) await expectAccessible(page, `the sign-in page (${mode})`);

              await signInThroughPage(page, server.url, person.email);
              await page.getByRole("heading", { level: 1, name: `Welcome, ${person.name}` }).waitFor();
              expect(await page.getByText(`Signed in as ${person.name}`).count()).toBe(1);
              const roleValue = page
                .locator(".govuk-summary-list__row", { has: page.locator("dt", { hasText: "Role" }) })
                .locator("dd");
              expect((await roleValue.textContent())?.trim()).toBe(role.roleText);
              const nav = (
                await page.getByRole("navigation", { name: "Menu" }).getByRole("link").allTextContents()
              ).map((t) => t.trim());
              expect(nav).toContain("Home");
              expect(nav.includes("Teams"), "the Teams link").toBe(role.teamsLink);
              expect(nav.includes("Admin"), "the Admin link").toBe(role.who === "admin");

              const championTable = page.getByRole("table", { name: "Teams you champion" });
              expect(await championTable.count()).toBe(role.championTable ? 1 : 0);
              if (role.championTable) {
                expect(await championTable.getByRole("link").allTextContents()).toEqual(["Team A"]);
              }
              const organisationTable = page.getByRole("table", { name: `Teams in ${council.organisation.name}` });
              expect(await organisationTable.count()).toBe(role.organisationTable ? 1 : 0);
              if (role.organisationTable) {
                expect((await organisationTable.getByRole("link").allTextContents()).sort()).toEqual([
                  "Team A",
                  "Team B",
                ]);
              }
              expect(await page.getByRole("link", { name: "Manage people and password links" }).count()).toBe(
                role.who === "admin" ? 1 : 0,
              );
              await expectAccessible(page, `the home page of ${role.who} (${mode})`);

              const missing = await goTo(page, "/no-such-page", javaScript);
              expect(missing?.status()).toBe(404);
              await page.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
              if (pageAlikeForAll) await expectAccessible(page, `the 404 page (${mode})`);

              await page.getByRole("contentinfo").getByRole("link", { name: "Accessibility statement" }).click();
              await page.waitForURL(`${server.url}/accessibility`);
              await page.getByRole("heading", { level: 1, name: /Accessibility statement/ }).waitFor();
              if (javaScript) await waitForHydration(page);
              if (pageAlikeForAll) await expectAccessible(page, `the accessibility statement (${mode})`);

              const [sessionCookie] = (await context.cookies()).filter((c) => c.name === "session");
              expect(sessionCookie).toBeDefined();
              await page.getByRole("button", { name: "Sign out" }).click();
              await page.waitForURL(`${server.url}/signed-out`);
              await page.getByRole("heading", { level: 1, name: "You have signed out" }).waitFor();
              if (pageAlikeForAll) await expectAccessible(page, `the signed-out page (${mode})`);
              expect((await context.cookies()).filter((c) => c.name === "session")).toEqual([]);

              // The browser has forgotten the session...
              await goTo(page, "/", javaScript);
              expect(page.url()).toBe(`${server.url}/sign-in?returnTo=%2F`);
              // ...and so has the server: the old cookie, put back, no longer signs anyone in.
              await context.addCookies([sessionCookie]);
              await goTo(page, "/", javaScript);
              expect(page.url()).toBe(`${server.url}/sign-in?returnTo=%2F`);
              await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();

              browser.expectNoProblems(page, [NOT_FOUND]);
            } finally {
              await context.close();
            }
          },
        );
      }

      it(
        "shows the GOV.UK error summary for an empty form, whose links move focus to the fields",
        { timeout: 60_000 },
        async () => {
          const { context, page } = await open(javaScript);
          const posts: string[] = [];
          page.on("request", (request) => {
            if (request.method() === "POST") posts.push(request.url());
          });
          try {
            await goTo(page, "/sign-in", javaScript);
            await page.getByRole("button", { name: "Sign in" }).click();
            const summary = page.locator(".govuk-error-summary");
            await summary.getByRole("heading", { name: "There is a problem" }).waitFor();
            expect(await summary.getByRole("link").allTextContents()).toEqual([
              "Enter your email address",
              "Enter your password",
            ]);
            // Each field carries its own message too, tied to it for screen readers.
            expect(await page.getByLabel("Email address").getAttribute("aria-describedby")).toBe("email-error");
            expect((await page.locator("#email-error").textContent())?.trim()).toBe("Error: Enter your email address");
            expect((await page.locator("#password-error").textContent())?.trim()).toBe("Error: Enter your password");
            if (javaScript) {
              // The browser checked the form itself: nothing went to the server, and focus moved to the summary.
              expect(posts).toEqual([]);
              expect(await summary.evaluate((el) => el === document.activeElement)).toBe(true);
            } else {
              expect(posts).toEqual([`${server.url}/sign-in`]);
            }
            await expectAccessible(page, `the sign-in page with errors (${mode})`);

            await summary.getByRole("link", { name: "Enter your password" }).click();
            expect(await focusedElement(page)).toMatchObject({ tag: "input", id: "password" });
            await summary.getByRole("link", { name: "Enter your email address" }).click();
            expect(await focusedElement(page)).toMatchObject({ tag: "input", id: "email" });

            browser.expectNoProblems(page, javaScript ? [] : [BAD_REQUEST]);
          } finally {
            await context.close();
          }
        },
      );

      it(
        "answers a wrong password with the server's error summary and keeps the email address",
        { timeout: 60_000 },
        async () => {
          const { context, page } = await open(javaScript);
          try {
            await goTo(page, "/sign-in", javaScript);
            await page.getByLabel("Email address").fill("nobody-here@example.test");
            await page.getByLabel("Password").fill("not-the-password");
            await page.getByRole("button", { name: "Sign in" }).click();
            const summary = page.locator(".govuk-error-summary");
            await summary.getByRole("link", { name: "Enter a correct email address and password" }).waitFor();
            expect(await page.getByLabel("Email address").inputValue()).toBe("nobody-here@example.test");
            expect(new URL(page.url()).pathname).toBe("/sign-in");
            if (javaScript) expect(await summary.evaluate((el) => el === document.activeElement)).toBe(true);
            await expectAccessible(page, `the sign-in page after a wrong password (${mode})`);
            await summary.getByRole("link", { name: "Enter a correct email address and password" }).click();
            expect(await focusedElement(page)).toMatchObject({ tag: "input", id: "email" });
            browser.expectNoProblems(page, [UNAUTHORISED]);
          } finally {
            await context.close();
          }
        },
      );

      it(
        "makes the skip link the first tab stop, and it moves focus to the main content",
        { timeout: 60_000 },
        async () => {
          const { context, page } = await open(javaScript);
          const skipToMain = async (path: string) => {
            await goTo(page, path, javaScript);
            await page.keyboard.press("Tab");
            expect(await focusedElement(page), `first tab stop on ${path}`).toMatchObject({
              tag: "a",
              text: "Skip to main content",
            });
            await page.keyboard.press("Enter");
            await page.waitForURL(`${server.url}${path}#main-content`);
            if (javaScript) {
              // GOV.UK Frontend's skip link script moves focus to the main element itself.
              expect(await focusedElement(page), `focus after the skip link on ${path}`).toMatchObject({
                tag: "main",
                id: "main-content",
              });
            }
            // Either way, the next tab stop is inside the main content, past the header and its navigation.
            await page.keyboard.press("Tab");
            expect(await focusedElement(page), `tab stop after the skip link on ${path}`).toMatchObject({
              inMain: true,
            });
          };
          try {
            await skipToMain("/sign-in");
            await signInThroughPage(page, server.url, council.admin.email);
            await skipToMain("/");
            browser.expectNoProblems(page);
          } finally {
            await context.close();
          }
        },
      );
    });
  }
});
