import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTeam } from "~/people/memberships.server";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import {
  expectAccessible,
  runsJourneys,
  signInThroughPage,
  TestBrowser,
  type ExpectedProblem,
} from "../support/browser";
import { freshDatabase } from "../support/database";
import {
  aCouncil,
  aModuleContent,
  aNudge,
  aPolicyVersion,
  aSignature,
  asCurrentUser,
  answerEveryQuestion,
} from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

const BAD_REQUEST: ExpectedProblem = { kind: "console.error", text: /status of 400/ };

// Created when the file loads, so freshDatabase's own clean-up (registered with afterAll) runs.
const database = await freshDatabase();

describe.skipIf(!runsJourneys())("HR's report and a person's evidence in a real browser", () => {
  let server: TestServer;
  let council: Awaited<ReturnType<typeof aCouncil>>;
  let browser: TestBrowser;

  beforeAll(async () => {
    const db = database.db;
    council = await aCouncil(db);
    await syncTrainingModules(
      db,
      [aModuleContent(council.organisation.slug) as unknown as TrainingModule],
      new Date("2026-01-01T00:00:00Z"),
    );
    const staff = asCurrentUser(council.staff, council.organisation);
    const attemptId = (await startOrResumeAttempt(db, staff, "test-module", new Date("2026-02-02T10:00:00Z")))!;
    await answerEveryQuestion(
      db,
      staff,
      "test-module",
      attemptId,
      (step) => new Date(`2026-02-02T10:0${step + 1}:00Z`),
    );
    const version = await aPolicyVersion(db, council.organisation.id, { label: "1", effectiveDate: "2026-01-01" });
    await aSignature(db, council.staff, version, new Date("2026-02-03T09:00:00Z"));
    await setTeam(db, council.staff.id, council.teamB.id, "2026-04-15");
    await aNudge(db, {
      organisationId: council.organisation.id,
      recipientUserId: council.staff.id,
      senderUserId: council.champion.id,
      day: "2026-01-20",
      message: "Please take the module.",
      deliveries: [{ channel: "in-app", status: "delivered" }],
    });
    server = await startTestServer(database, { now: () => new Date("2026-05-01T12:00:00Z") });
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("signs in as HR, filters the report as at a past date, and opens a person's evidence, with no WCAG violations", async () => {
    const context = await browser.newContext();
    const page = await browser.newPage(context);
    await signInThroughPage(page, server.url, council.hr.email);
    await page.getByRole("link", { name: "HR", exact: true }).click();
    await page.getByRole("link", { name: "Completion report" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Completion report");
    await expectAccessible(page, "report page");

    // A date in the future is refused by the server, shown in the error summary.
    const asAt = page.getByRole("group", { name: "As at" });
    await asAt.getByLabel("Day").fill("1");
    await asAt.getByLabel("Month").fill("1");
    await asAt.getByLabel("Year").fill("2030");
    await page.getByRole("button", { name: "Show the report" }).click();
    await expect
      .poll(() => page.locator(".govuk-error-summary").textContent())
      .toContain("The date must be today or in the past");
    await expectAccessible(page, "report page with an error");

    await page.getByLabel("Team").selectOption({ label: "Team A" });
    await asAt.getByLabel("Day").fill("31");
    await asAt.getByLabel("Month").fill("3");
    await asAt.getByLabel("Year").fill("2026");
    await page.getByLabel("Complete", { exact: true }).check();
    await page.getByRole("button", { name: "Show the report" }).click();
    await expect.poll(() => page.locator("#as-at").textContent()).toContain("As at the end of 31 March 2026.");
    expect(new URL(page.url()).searchParams.getAll("status")).toEqual(["complete"]);
    const rows = page.locator("#report-rows tbody tr");
    // As at 31 March the staff member was still in Team A, with the module passed and the code signed.
    await expect.poll(() => rows.count()).toBe(2);
    await expectAccessible(page, "report page, filtered as at a past date");
    expect(await page.getByRole("link", { name: "Download as CSV" }).getAttribute("href")).toContain(
      "format=csv&team=",
    );

    await page.getByRole("link", { name: council.staff.name }).first().click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe(council.staff.name);
    const main = page.locator("main");
    await expect.poll(() => main.textContent()).toMatch(/What do you do in 1\.[12]\?/);
    expect(await main.textContent()).toContain("Please take the module.");
    expect(await page.locator(".govuk-tag", { hasText: "Verified" }).count()).toBe(1);
    await expectAccessible(page, "evidence page");

    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download the evidence pack (PDF)" }).click();
    expect((await download).suggestedFilename()).toBe(`evidence-${council.staff.employeeNumber}-2026-05-01.pdf`);
    browser.expectNoProblems(page, [BAD_REQUEST]);
    await context.close();
  }, 90_000);

  it("works without JavaScript: the filters are a plain GET form", async () => {
    const context = await browser.newContext({ javaScript: false });
    const page = await browser.newPage(context);
    await signInThroughPage(page, server.url, council.hr.email);
    await page.goto(`${server.url}/hr/report`);
    await page.getByLabel("Team").selectOption({ label: "Team B" });
    await page.getByRole("button", { name: "Show the report" }).click();
    expect(new URL(page.url()).searchParams.get("team")).toBe(council.teamB.id);
    expect(await page.locator("#report-rows tbody tr").count()).toBe(6);
    await expectAccessible(page, "filtered report (no JavaScript)");
    browser.expectNoProblems(page);
    await context.close();
  });
});
