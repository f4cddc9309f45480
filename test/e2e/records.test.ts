import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arriveAt,
  expectAccessible,
  runsJourneys,
  pastDoubleClickGuard,
  settle,
  signInThroughPage,
  TestBrowser,
  type ExpectedProblem,
} from "../support/browser";
import { freshDatabase } from "../support/database";
import { aCouncil, aRequiredModule } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

const BAD_REQUEST: ExpectedProblem = {
  kind: "console.error",
  text: /Failed to load resource: the server responded with a status of (400|409)/,
};

const browserAvailable = runsJourneys();
const database = browserAvailable ? await freshDatabase() : null;

describe.skipIf(!browserAvailable)("HR records exemptions and training completed elsewhere in a real browser", () => {
  let server: TestServer;
  let council: Awaited<ReturnType<typeof aCouncil>>;
  let browser: TestBrowser;

  beforeAll(async () => {
    if (!database) throw new Error("No database: these tests should have been skipped");
    council = await aCouncil(database.db);
    await aRequiredModule(database.db, council.organisation.id, { title: "Using WhatsApp with families" });
    server = await startTestServer(database);
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const javaScript of [true, false]) {
    const mode = javaScript ? "JavaScript on" : "JavaScript off";
    it(
      `records, refuses an overlap, and ends an exemption; records training elsewhere with its file (${mode})`,
      {
        timeout: 480_000,
      },
      async () => {
        // Phone width with JavaScript on; without it, expectAccessible compares the page with its own copy at the
        // default width (the crawl opens every page at 375 px without JavaScript).
        const context = await browser.newContext(
          javaScript ? { javaScript, viewport: { width: 375, height: 800 } } : { javaScript },
        );
        const page = await browser.newPage(context);
        const person = javaScript ? council.staff : council.champion;
        try {
          await signInThroughPage(page, server.url, council.hr.email);
          await page.goto(`${server.url}/hr/people/${person.id}`);
          await settle(page);
          await page.getByRole("link", { name: "Record an exemption" }).click();
          await page.getByRole("heading", { level: 1, name: "Record an exemption" }).waitFor();
          await settle(page);
          await expectAccessible(page, `the exemption form (${mode})`);
          if (javaScript)
            expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

          // Nothing filled in: the error summary names each missing answer.
          await page.getByRole("radio", { name: "Other" }).check();
          await page.getByRole("button", { name: "Record the exemption" }).click();
          const summary = page.getByTestId("error-summary");
          await summary.waitFor();
          await settle(page);
          const problems = await summary.textContent();
          expect(problems).toContain("Enter the reason for the exemption");
          expect(problems).toContain("Enter the first day of the exemption");
          expect(problems).toContain("Enter who approved the exemption");
          await expectAccessible(page, `the exemption form with errors (${mode})`);

          await page.getByRole("radio", { name: "Parental leave" }).check();
          await page.getByRole("group", { name: "First day of the exemption" }).getByLabel("Day").fill("1");
          await page.getByRole("group", { name: "First day of the exemption" }).getByLabel("Month").fill("2");
          await page.getByRole("group", { name: "First day of the exemption" }).getByLabel("Year").fill("2026");
          await page.getByLabel("Approved by").fill("Jo Manager, Head of Service");
          await pastDoubleClickGuard(page);
          await page.getByRole("button", { name: "Record the exemption" }).click();
          await arriveAt(
            page,
            new RegExp(`/hr/people/${person.id}\\?saved=exemption`),
            page.getByText("The exemption record has been saved."),
          );
          expect(await page.getByText("Jo Manager, Head of Service").count()).toBe(1);
          expect(await page.getByText("Exempt (parental leave)").count()).toBeGreaterThan(0);

          // The same exemption again overlaps the one that stands: refused, nothing written.
          await page.getByRole("link", { name: "Record an exemption" }).click();
          await page.getByRole("heading", { level: 1, name: "Record an exemption" }).waitFor();
          await settle(page);
          await page.getByRole("radio", { name: "Secondment" }).check();
          await page.getByRole("group", { name: "First day of the exemption" }).getByLabel("Day").fill("1");
          await page.getByRole("group", { name: "First day of the exemption" }).getByLabel("Month").fill("3");
          await page.getByRole("group", { name: "First day of the exemption" }).getByLabel("Year").fill("2026");
          await page.getByLabel("Approved by").fill("Someone");
          await page.getByRole("button", { name: "Record the exemption" }).click();
          await page.getByTestId("error-summary").waitFor();
          expect(await page.getByTestId("error-summary").textContent()).toContain("overlaps another");

          // End it.
          await page.goto(`${server.url}/hr/people/${person.id}`);
          await settle(page);
          await page.getByRole("link", { name: "End, correct or cancel this exemption" }).click();
          await page.getByRole("heading", { level: 1, name: "End or cancel an exemption" }).waitFor();
          await settle(page);
          await expectAccessible(page, `the end of an exemption (${mode})`);
          const last = page.getByRole("group", { name: "Last day of the exemption" });
          await last.getByLabel("Day").fill("31");
          await last.getByLabel("Month").fill("1");
          await last.getByLabel("Year").fill("2026");
          await page.getByRole("button", { name: "End the exemption" }).click();
          await page.getByTestId("error-summary").waitFor();
          expect(await page.getByTestId("error-summary").textContent()).toContain(
            "must be the same as or after its first day",
          );
          await last.getByLabel("Day").fill("30");
          await last.getByLabel("Month").fill("6");
          await pastDoubleClickGuard(page);
          await page.getByRole("button", { name: "End the exemption" }).click();
          await arriveAt(
            page,
            new RegExp(`/hr/people/${person.id}\\?saved=exemption`),
            page.getByText("The exemption record has been saved."),
          );
          expect(await page.getByText("1 February 2026 to 30 June 2026").count()).toBe(1);
          expect(await page.getByText("(replaced)").count()).toBe(1);

          // Training completed elsewhere: a file that is not a PDF or image is refused; a PDF is kept.
          await page.getByRole("link", { name: "Record training completed elsewhere" }).click();
          await page.getByRole("heading", { level: 1, name: "Record training completed elsewhere" }).waitFor();
          await settle(page);
          await expectAccessible(page, `the training elsewhere form (${mode})`);
          if (javaScript)
            expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
          await page.getByRole("radio", { name: "Using WhatsApp with families" }).check();
          const done = page.getByRole("group", { name: "Day it was completed" });
          await done.getByLabel("Day").fill("10");
          await done.getByLabel("Month").fill("11");
          await done.getByLabel("Year").fill("2025");
          await page.getByLabel("What it was").fill("Classroom session at Barnet Council");
          await page
            .getByLabel("Evidence")
            .setInputFiles({ name: "certificate.pdf", mimeType: "application/pdf", buffer: Buffer.from("<html>") });
          await page.getByRole("button", { name: "Record the training" }).click();
          await page.getByTestId("error-summary").waitFor();
          expect(await page.getByTestId("error-summary").textContent()).toContain("must be a PDF, PNG or JPEG");
          await page.getByLabel("Evidence").setInputFiles({
            name: "certificate.pdf",
            mimeType: "application/pdf",
            buffer: Buffer.from("%PDF-1.4\n%%EOF\n"),
          });
          if (!javaScript) {
            // Without JavaScript the page came back with what was typed; the date and text are still there.
            expect(await done.getByLabel("Year").inputValue()).toBe("2025");
          }
          await pastDoubleClickGuard(page);
          await page.getByRole("button", { name: "Record the training" }).click();
          await arriveAt(
            page,
            new RegExp(`/hr/people/${person.id}\\?saved=earlier-training`),
            page.getByText("The training has been recorded."),
          );
          expect(await page.getByRole("link", { name: "certificate.pdf" }).count()).toBe(1);
          expect(await page.getByText("Classroom session at Barnet Council").count()).toBe(1);
          await expectAccessible(page, `the person's evidence with exemptions and training elsewhere (${mode})`);
          browser.expectNoProblems(page, [BAD_REQUEST]);
        } finally {
          await context.close();
        }
      },
    );
  }
});
