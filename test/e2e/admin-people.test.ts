import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { teamMemberships, users } from "~db/schema";
import {
  expectAccessible,
  type ExpectedProblem,
  runsJourneys,
  pastDoubleClickGuard,
  settle,
  signInThroughPage,
  TestBrowser,
} from "../support/browser";
import { freshDatabase } from "../support/database";
import { aChampion, anOrganisation, aPerson, aTeam } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

const BAD_REQUEST: ExpectedProblem = {
  kind: "console.error",
  text: /Failed to load resource: the server responded with a status of 400/,
};

// Created when the file loads, so freshDatabase's own clean-up (registered with afterAll) runs.
const database = await freshDatabase();

/** One council per run, so the runs with and without JavaScript do not see each other's changes. */
async function aCouncilToRun(n: number) {
  const db = database.db;
  const org = await anOrganisation(db, { name: `Council ${n}` });
  const care = await aTeam(db, org.id, "Children in Care");
  const leaving = await aTeam(db, org.id, "Leaving Care");
  const admin = await aPerson(db, {
    organisationId: org.id,
    teamId: care.id,
    role: "admin",
    name: "Ada Admin",
    email: `ada-${n}@example.test`,
  });
  const sam = await aPerson(db, {
    organisationId: org.id,
    teamId: care.id,
    name: "Sam Whitfield",
    email: `sam.whitfield-${n}@example.test`,
  });
  const chris = await aPerson(db, { organisationId: org.id, teamId: leaving.id, name: "Chris Champion" });
  await aChampion(db, chris.id, leaving.id);
  return { org, care, leaving, admin, sam, chris };
}

describe.skipIf(!runsJourneys())("an admin running teams, champions and people in a real browser", () => {
  let server: TestServer;
  let browser: TestBrowser;
  const councils: Awaited<ReturnType<typeof aCouncilToRun>>[] = [];

  beforeAll(async () => {
    councils.push(await aCouncilToRun(1), await aCouncilToRun(2));
    server = await startTestServer(database);
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const heading = (page: Page) => page.getByRole("heading", { level: 1 }).textContent();
  const errorSummary = (page: Page) => page.getByTestId("error-summary").textContent();
  const banner = (page: Page) => page.locator(".govuk-notification-banner--success").textContent();

  /** The page fits the screen: nothing scrolls sideways. */
  async function fits(page: Page) {
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    expect(scrollWidth, `${page.url()} scrolls sideways`).toBeLessThanOrEqual(clientWidth);
  }

  /**
   * Fits 375 px, and passes axe with JavaScript on. (axe checks a page without JavaScript through a copy at the
   * default width, whose text wraps differently from 375 px; the crawl in every-page.test.ts runs axe on these pages.)
   */
  async function check(page: Page, label: string, javaScript: boolean) {
    await settle(page);
    await fits(page);
    if (javaScript) await expectAccessible(page, label);
  }

  for (const [index, javaScript] of [true, false].entries()) {
    it(
      `creates a team, finds and moves a person, names a champion, changes a role, deactivates and closes a team (JavaScript ${javaScript ? "on" : "off"}, 375 px)`,
      { timeout: 420_000 },
      async () => {
        const council = councils[index];
        const context = await browser.newContext({ javaScript, viewport: { width: 375, height: 800 } });
        const page = await browser.newPage(context);
        await signInThroughPage(page, server.url, council.admin.email);

        // Teams: a new one, refusing an empty name and one already used.
        await page.goto(`${server.url}/admin/people`);
        await page.getByRole("link", { name: "Manage teams" }).click();
        await expect.poll(() => heading(page)).toBe("Manage teams");
        await check(page, "teams page", javaScript);
        await page.getByRole("button", { name: "Create a team" }).click();
        await expect.poll(() => heading(page)).toBe("Create a team");
        await settle(page);
        await fits(page);
        await page.getByRole("button", { name: "Create team" }).click();
        await expect.poll(() => errorSummary(page)).toContain("Enter the team's name");
        await pastDoubleClickGuard(page);
        await page.getByLabel("Team name").fill("  leaving   care ");
        await page.getByRole("button", { name: "Create team" }).click();
        await expect
          .poll(() => errorSummary(page))
          .toContain("There is already a team called Leaving Care: choose another name");
        await check(page, "create a team with an error", javaScript);
        await pastDoubleClickGuard(page);
        await page.getByLabel("Team name").fill("Fostering");
        await page.getByRole("button", { name: "Create team" }).click();
        await expect.poll(() => heading(page)).toBe("Fostering");
        expect(await banner(page)).toContain("The team has been created.");
        await check(page, "new team's page", javaScript);

        // People: find Sam by part of his surname, open his page.
        await page.goto(`${server.url}/admin/people`);
        await settle(page);
        await page.getByLabel("Find a person").fill("whit");
        await page.getByRole("button", { name: "Search" }).click();
        await expect.poll(() => page.getByRole("link", { name: "Sam Whitfield" }).count()).toBe(1);
        await check(page, "search results", javaScript);
        await page.getByRole("link", { name: "Sam Whitfield" }).click();
        await expect.poll(() => heading(page)).toBe("Sam Whitfield");
        await settle(page);
        await fits(page);

        // Move him, name him champion, make him HR.
        await page.getByLabel("New team").selectOption({ label: "Fostering" });
        await page.getByRole("button", { name: "Move Sam Whitfield" }).click();
        await expect.poll(() => banner(page)).toContain("They have been moved.");
        expect(await page.locator(".govuk-summary-list").textContent()).toContain("Fostering");
        await page.getByLabel("Name them champion of").selectOption({ label: "Fostering" });
        await page.getByRole("button", { name: "Name as champion" }).click();
        await expect.poll(() => banner(page)).toContain("They have been named a champion.");
        await page.getByLabel("HR officer").check();
        await page.getByRole("button", { name: "Save role" }).click();
        await expect.poll(() => banner(page)).toContain("Their role has been changed.");
        await check(page, "person page after changes", javaScript);
        const [sam] = await database.db
          .select({ role: users.role, teamId: users.teamId })
          .from(users)
          .where(eq(users.id, council.sam.id));
        expect(sam.role).toBe("hr");
        expect(
          await database.db.select().from(teamMemberships).where(eq(teamMemberships.userId, council.sam.id)),
        ).toHaveLength(2);

        // An admin cannot take away their own admin role.
        await page.goto(`${server.url}/admin/people/${council.admin.id}`);
        await settle(page);
        await page.getByLabel("Staff").check();
        await page.getByRole("button", { name: "Save role" }).click();
        await expect
          .poll(() => errorSummary(page))
          .toContain("You cannot remove your own administrator role: ask another administrator");
        await check(page, "own page with an error", javaScript);

        // Deactivating asks first.
        await page.goto(`${server.url}/admin/people/${council.sam.id}`);
        await settle(page);
        await page.getByRole("button", { name: "Deactivate Sam Whitfield" }).click();
        await expect.poll(() => heading(page)).toContain("Deactivate Sam Whitfield");
        expect(
          (await database.db.select({ active: users.active }).from(users).where(eq(users.id, council.sam.id)))[0]
            .active,
        ).toBe(true);
        await check(page, "deactivation confirmation", javaScript);
        await page.getByRole("button", { name: "Deactivate Sam Whitfield" }).click();
        await expect.poll(() => banner(page)).toContain("They have been deactivated");
        expect(await page.getByRole("button", { name: "Reactivate Sam Whitfield" }).count()).toBe(1);
        await settle(page);
        await fits(page);

        // Closing a team with people in it asks where they go.
        await page.goto(`${server.url}/admin/teams/${council.leaving.id}`);
        await settle(page);
        await page.getByRole("button", { name: "Close Leaving Care" }).click();
        await expect.poll(() => heading(page)).toBe("Close Leaving Care");
        await check(page, "close a team", javaScript);
        await page.getByRole("button", { name: "Close team" }).click();
        await expect
          .poll(() => errorSummary(page))
          .toContain("Choose the team to move the 1 person in Leaving Care to");
        await pastDoubleClickGuard(page);
        await page.getByLabel("Move the 1 person in Leaving Care to").selectOption({ label: "Fostering" });
        await page.getByRole("button", { name: "Close team" }).click();
        await expect.poll(() => heading(page)).toBe("Manage teams");
        expect(await banner(page)).toContain("Leaving Care is closed.");
        expect(await page.getByRole("table", { name: "1 closed team" }).textContent()).toContain("Leaving Care");
        await check(page, "teams page with a closed team", javaScript);
        // The refusals above answer 400, which Chromium logs; nothing else may be logged.
        browser.expectNoProblems(page, [BAD_REQUEST]);
        await context.close();
      },
    );
  }
});
