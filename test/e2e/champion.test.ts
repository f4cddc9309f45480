import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible, runsJourneys, signInThroughPage, TestBrowser } from "../support/browser";
import { freshDatabase } from "../support/database";
import { aChampion, aPerson, aRequiredModule, aTeam, anAttempt, anOrganisation } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

// Created when the file loads, so freshDatabase's own clean-up (registered with afterAll) runs.
const database = await freshDatabase();

describe.skipIf(!runsJourneys())("a champion's team page in a real browser", () => {
  let server: TestServer;
  let browser: TestBrowser;
  let teamId: string;

  beforeAll(async () => {
    const db = database.db;
    const org = await anOrganisation(db, { name: "Wirral Council" });
    const team = await aTeam(db, org.id, "Safeguarding Unit");
    teamId = team.id;
    const required = await aRequiredModule(db, org.id, { title: "Personal use of social media" });
    const champion = await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Charlie Champion",
      email: "charlie@example.test",
    });
    await aChampion(db, champion.id, team.id);
    await anAttempt(db, champion, required, {
      status: "passed",
      startedAt: new Date(Date.now() - 3 * 86_400_000),
      completedAt: new Date(Date.now() - 3 * 86_400_000),
    });
    await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Dana Late",
      email: "dana@example.test",
      startDate: "2025-01-06",
    });
    await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Eli Late",
      email: "eli@example.test",
      startDate: "2025-01-06",
    });
    server = await startTestServer(database);
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const javaScript of [true, false]) {
    it(
      `shows the figures and nudges a person, who then sees the notice (JavaScript ${javaScript ? "on" : "off"})`,
      { timeout: 240_000 },
      async () => {
        const person = javaScript
          ? { name: "Dana Late", email: "dana@example.test" }
          : { name: "Eli Late", email: "eli@example.test" };
        const context = await browser.newContext({ javaScript });
        const page = await browser.newPage(context);
        await signInThroughPage(page, server.url, "charlie@example.test");
        // The home page gives each of their teams' completion, not only its head count.
        const theirTeams = page.getByRole("table", { name: "Teams you champion" });
        expect((await theirTeams.textContent())?.replace(/\s+/g, " ")).toMatch(
          /People\s*Completed everything\s*Overdue or expired\s*Safeguarding Unit\s*3\s*1 \(33%\)\s*2/,
        );
        await page.getByRole("link", { name: "Teams", exact: true }).click();
        // The home page links to the team too: clicking before the Teams page replaces it can hit neither page's link.
        await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Teams");
        await page.getByRole("link", { name: "Safeguarding Unit" }).click();
        await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Safeguarding Unit");
        expect(await page.getByRole("img", { name: /Share of Safeguarding Unit complete/ }).count()).toBe(1);
        await expectAccessible(page, "team page");

        await page.getByLabel("Overdue").check();
        await page.getByRole("button", { name: "Show people" }).click();
        await expect.poll(() => page.url()).toContain("status=overdue");
        await page.getByRole("link", { name: `Nudge ${person.name}` }).click();
        await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe(`Nudge ${person.name}`);
        await expectAccessible(page, "nudge page");
        await page.getByLabel("Add a message (optional)").fill("Half an hour on Friday would do it.");
        await page.getByRole("button", { name: "Send nudge" }).click();
        await expect
          .poll(() => page.locator(".govuk-notification-banner--success").textContent())
          .toContain(`${person.name} was nudged.`);
        await expectAccessible(page, "team page after nudging");
        browser.expectNoProblems(page);

        const theirs = await browser.newContext({ javaScript });
        const theirPage = await browser.newPage(theirs);
        await signInThroughPage(theirPage, server.url, person.email);
        const banner = theirPage.getByRole("region", { name: "Important" });
        await expect
          .poll(() => banner.textContent())
          .toContain("Charlie Champion, social media champion for Safeguarding Unit, has asked you");
        expect(await banner.textContent()).toContain("Half an hour on Friday would do it.");
        // The notice's link goes where they act: the module they have still to do, not the page it is on.
        const act = banner.getByRole("link", { name: "Personal use of social media" });
        expect(await act.getAttribute("href")).toMatch(/^\/training\/[a-z0-9-]+$/);
        expect(
          await theirPage.getByRole("listitem").filter({ hasText: "Personal use of social media" }).textContent(),
        ).toContain("Overdue");
        await expectAccessible(theirPage, "home page with a nudge");
        await act.click();
        await expect.poll(() => theirPage.url()).toMatch(/\/training\/[a-z0-9-]+$/);
        // On the module's own page the notice no longer links to that page.
        await expect.poll(() => banner.getByRole("link", { name: "Personal use of social media" }).count()).toBe(0);
        await theirPage.getByRole("button", { name: "Dismiss this notice" }).click();
        await expect.poll(() => theirPage.getByRole("region", { name: "Important" }).count()).toBe(0);
        browser.expectNoProblems(theirPage);
        await theirs.close();
        await context.close();
      },
    );
  }

  it("answers 404 for a team the champion does not champion", async () => {
    const context = await browser.newContext();
    const page = await browser.newPage(context);
    await signInThroughPage(page, server.url, "dana@example.test");
    const response = await page.goto(`${server.url}/teams/${teamId}`);
    expect(response?.status()).toBe(404);
    await context.close();
  });
});
