import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible, runsJourneys, settle, signInThroughPage, TestBrowser } from "../support/browser";
import { freshDatabase } from "../support/database";
import { aChampion, aCouncil, anAuditEntry, aPerson, aRequiredModule, aTeam } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

// Created when the file loads, so freshDatabase's own clean-up (registered with afterAll) runs.
const database = await freshDatabase();

/** How far the page scrolls sideways: 0 when it fits its window. */
/** A context with room for a slow, shared machine: signing in hashes a password. */
async function contextFor(browser: TestBrowser, options: Parameters<TestBrowser["newContext"]>[0]) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(30_000);
  return context;
}

const sidewaysScroll = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe.skipIf(!runsJourneys())("the pages champions, HR and admins use, in a real browser", () => {
  let server: TestServer;
  let browser: TestBrowser;
  let council: Awaited<ReturnType<typeof aCouncil>>;
  let team: { id: string; name: string };
  let twins: Awaited<ReturnType<typeof aPerson>>[];

  beforeAll(async () => {
    const db = database.db;
    council = await aCouncil(db);
    const orgId = council.organisation.id;
    // A long team name, long titles and long unbroken names: what makes a phone screen scroll sideways.
    team = await aTeam(db, orgId, "Children's Services Assessment and Intervention Team (North Locality)");
    await aRequiredModule(db, orgId, { title: "Personal use of social media and your professional registration" });
    await aRequiredModule(db, orgId, { title: "Safeguarding information online" });
    await aChampion(db, council.champion.id, team.id);
    const named = (name: string) => aPerson(db, { organisationId: orgId, teamId: team.id, name });
    twins = [await named("Sam Taylor"), await named("Sam Taylor")];
    await named("Alex Zephaniah");
    await named("Zoë Adeyemi-Montgomery-Fitzwilliam");
    await named("Bartholomew Christodoulopoulos");
    await anAuditEntry(db, {
      organisationId: orgId,
      action: "requirement.changed",
      at: new Date("2026-04-02T09:00:00Z"),
      actorUserId: council.admin.id,
      details: { before: { dueWithinDays: 28 }, after: { dueWithinDays: 42 } },
    });
    await anAuditEntry(db, {
      organisationId: orgId,
      action: "report.exported",
      at: new Date("2026-04-03T09:00:00Z"),
      actorUserId: council.hr.id,
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
      `the team page sorts by surname, tells two of the same name apart, and fits a phone (JavaScript ${javaScript ? "on" : "off"})`,
      {
        timeout: 90_000,
      },
      async () => {
        const context = await contextFor(browser, { javaScript, viewport: { width: 375, height: 800 } });
        const page = await browser.newPage(context);
        await signInThroughPage(page, server.url, council.champion.email);
        await page.goto(`${server.url}/teams/${team.id}`);
        await settle(page);
        await page.getByLabel("Sort by").selectOption("name");
        await page.getByRole("button", { name: "Show people" }).click();
        await expect.poll(() => page.url()).toContain("sort=name");
        await settle(page);
        const people = page.getByRole("table", { name: /people/ });
        const names = await people.locator("tbody th").allTextContents();
        expect(names).toEqual([
          "Zoë Adeyemi-Montgomery-Fitzwilliam",
          "Bartholomew Christodoulopoulos",
          `Sam TaylorEmployee number ${twins[0].employeeNumber < twins[1].employeeNumber ? twins[0].employeeNumber : twins[1].employeeNumber}`,
          `Sam TaylorEmployee number ${twins[0].employeeNumber < twins[1].employeeNumber ? twins[1].employeeNumber : twins[0].employeeNumber}`,
          "Alex Zephaniah",
        ]);
        // The two counts say what they count, so they cannot be read as disagreeing.
        const text = (await page.locator("main").textContent())?.replace(/\s+/g, " ") ?? "";
        expect(text).toContain("People by their most urgent status");
        expect(text).toContain("Most urgent: not started");
        expect(text).toContain("People at each status, requirement by requirement");
        expect(await sidewaysScroll(page)).toBe(0);
        // axe runs with JavaScript on: its copy of a script-free page does not lay out a 375 px summary list alike.
        if (javaScript) await expectAccessible(page, "team page at 375 px");
        browser.expectNoProblems(page);
        await context.close();
      },
    );
  }

  it("HR's report sorts by surname, shows employee numbers and fits a phone", { timeout: 90_000 }, async () => {
    for (const javaScript of [true, false]) {
      const context = await contextFor(browser, { javaScript, viewport: { width: 375, height: 800 } });
      const page = await browser.newPage(context);
      await signInThroughPage(page, server.url, council.hr.email);
      await page.goto(`${server.url}/hr/report?team=${team.id}`);
      await settle(page);
      const rows = page.getByRole("table", { name: /People and requirements/ }).locator("tbody th");
      const names = (await rows.allTextContents()).map((t) => t.replace(/E[0-9a-f]+$/, ""));
      expect([...new Set(names)]).toEqual([
        "Zoë Adeyemi-Montgomery-Fitzwilliam",
        "Bartholomew Christodoulopoulos",
        "Sam Taylor",
        "Alex Zephaniah",
      ]);
      expect((await rows.allTextContents()).filter((t) => t.startsWith("Sam Taylor"))).toEqual(
        expect.arrayContaining([`Sam Taylor${twins[0].employeeNumber}`, `Sam Taylor${twins[1].employeeNumber}`]),
      );
      expect(await sidewaysScroll(page)).toBe(0);
      browser.expectNoProblems(page);
      await context.close();
    }
  });

  it("the header stays on one line at 1280 px and marks the current page", { timeout: 240_000 }, async () => {
    for (const person of [council.admin, council.hr, council.champion]) {
      const context = await contextFor(browser, { viewport: { width: 1280, height: 800 } });
      const page = await browser.newPage(context);
      await signInThroughPage(page, server.url, person.email);
      const items = page.locator(".govuk-service-navigation__item");
      const tops = await items.evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().top)));
      expect(tops.length).toBeGreaterThan(4);
      expect(new Set(tops).size, `${person.role}'s navigation wraps`).toBe(1);
      expect(await page.locator('.govuk-service-navigation__link[aria-current="page"]').textContent()).toBe("Home");
      await page.goto(`${server.url}/teams/${team.id}`);
      await settle(page);
      const current = page.locator(".govuk-service-navigation__item--active a");
      expect(await current.textContent()).toBe("Teams");
      expect(await current.getAttribute("aria-current")).toBe("true");
      await context.close();
    }
  });

  for (const javaScript of [true, false]) {
    it(
      `an admin filters the audit log and downloads it (JavaScript ${javaScript ? "on" : "off"})`,
      {
        timeout: 90_000,
      },
      async () => {
        const context = await contextFor(browser, { javaScript, viewport: { width: 375, height: 800 } });
        const page = await browser.newPage(context);
        await signInThroughPage(page, server.url, council.admin.email);
        await page.getByRole("link", { name: "Admin", exact: true }).click();
        await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Admin");
        await page.getByRole("link", { name: "Audit log" }).click();
        await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Audit log");
        await settle(page);
        expect(await page.locator('.govuk-service-navigation__link[aria-current="true"]').textContent()).toBe("Admin");
        await page.getByLabel("What").selectOption("requirement.changed");
        const from = page.getByRole("group", { name: "On or after" });
        await from.getByLabel("Day").fill("1");
        await from.getByLabel("Month").fill("4");
        await from.getByLabel("Year").fill("2026");
        await page.getByRole("button", { name: "Show entries" }).click();
        await expect.poll(() => page.url()).toContain("action=requirement.changed");
        await settle(page);
        const entries = page.getByRole("table", { name: /entr/ });
        expect(await entries.locator("tbody tr").count()).toBe(1);
        expect(await entries.textContent()).toContain("Requirement changed");
        expect(await sidewaysScroll(page)).toBe(0);
        // axe runs with JavaScript on: its copy of a script-free page does not lay out a 375 px summary list alike.
        if (javaScript) await expectAccessible(page, "audit log filtered");

        // A date that does not exist: the error summary, and no entries shown.
        const to = page.getByRole("group", { name: "On or before" });
        await to.getByLabel("Day").fill("31");
        await to.getByLabel("Month").fill("2");
        await to.getByLabel("Year").fill("2026");
        await page.getByRole("button", { name: "Show entries" }).click();
        await expect
          .poll(() => page.locator(".govuk-error-summary").textContent())
          .toContain("The last day must be a real date");
        expect(await page.getByRole("table", { name: /entr/ }).count()).toBe(0);

        await page.goto(`${server.url}/admin/audit?action=requirement.changed`);
        await settle(page);
        const download = page.waitForEvent("download");
        await page.getByRole("link", { name: /Download these 1 entry as CSV/ }).click();
        const file = await download;
        const body = await new Response((await file.createReadStream()) as unknown as ReadableStream).text();
        expect(body).toContain(`requirement.changed,${council.admin.name}`);
        expect(body).not.toContain("report.exported");
        // The impossible date was answered 400, as a refused filter is.
        browser.expectNoProblems(page, [{ kind: "console.error", text: /status of 400 \(Bad Request\)/ }]);
        await context.close();
      },
    );
  }

  it("after setting a password, the sign-in page says so", { timeout: 90_000 }, async () => {
    const context = await contextFor(browser, { javaScript: false });
    const page = await browser.newPage(context);
    await page.goto(`${server.url}/sign-in?passwordSet=1`);
    expect(await page.getByRole("alert").textContent()).toContain("Your password has been set.");
    await expectAccessible(page, "sign-in after setting a password");
    await context.close();
  });
});
