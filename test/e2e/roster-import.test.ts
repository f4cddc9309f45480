import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "~db/schema";
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
import { aCouncil } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

const BAD_REQUEST: ExpectedProblem = {
  kind: "console.error",
  text: /Failed to load resource: the server responded with a status of 400/,
};
const HEADER = "Employee number,Name,Email,Team,Start date,Leaving date";

// Walked in CI's PGlite pass (runsJourneys).
const browserAvailable = runsJourneys({ pgliteShare: true });
const database = browserAvailable ? await freshDatabase() : null;

describe.skipIf(!browserAvailable)("importing the staff roster in a real browser", () => {
  let server: TestServer;
  let council: Awaited<ReturnType<typeof aCouncil>>;
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

  for (const javaScript of [true, false]) {
    const mode = javaScript ? "JavaScript on" : "JavaScript off";

    it(
      `refuses a bad file, lists row problems, then previews and applies a good one (${mode})`,
      { timeout: 120_000 },
      async () => {
        const context = await browser.newContext({ javaScript });
        const page = await browser.newPage(context);
        const tag = javaScript ? "js" : "nojs";
        try {
          await signInThroughPage(page, server.url, council.hr.email);

          await page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "HR" }).click();
          await page.getByRole("link", { name: "Import the staff roster" }).click();
          await page.waitForURL(`${server.url}/hr/roster`);
          await settle(page);
          await page.getByRole("heading", { level: 1, name: "Import the staff roster" }).waitFor();
          await expectAccessible(page, `the roster upload page (${mode})`);

          // A file saved as Windows "CSV": é is one byte that is not UTF-8.
          const ansi = Buffer.concat([
            Buffer.from(`${HEADER}\r\nW1,Ren`),
            Buffer.from([0xe9]),
            Buffer.from(",r@example.test,Team A,2026-04-01,\r\n"),
          ]);
          await page
            .getByLabel("Upload a CSV file")
            .setInputFiles({ name: "staff.csv", mimeType: "text/csv", buffer: ansi });
          await page.getByRole("button", { name: "Upload and check the file" }).click();
          const summary = page.getByTestId("error-summary");
          await summary.waitFor();
          await settle(page);
          expect(await summary.textContent()).toContain("CSV UTF-8");
          if (javaScript)
            expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe(
              "error-summary",
            );
          await expectAccessible(page, `the upload page with an error (${mode})`);

          const bad = `${HEADER}\r\nB1-${tag},Bea,bea-${tag}@example.test,Team A,2026-04-01,\r\nB2-${tag},,not-an-email,Team A,31/02/2026,\r\n`;
          await page
            .getByLabel("Upload a CSV file")
            .setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
          await pastDoubleClickGuard(page);
          await page.getByRole("button", { name: "Upload and check the file" }).click();
          await page.getByRole("heading", { level: 1, name: "Fix the problems in the file" }).waitFor();
          await settle(page);
          const problems = page.getByRole("table", { name: /Problems 1 to 3 of 3/ });
          expect((await problems.getByRole("row").allTextContents()).slice(1)).toEqual([
            "3NameEnter the name",
            "3EmailEnter an email address in the correct format, like name@example.gov.uk",
            "3Start date31/02/2026 is not a real date",
          ]);
          expect(await page.getByRole("button", { name: "Apply these changes" }).count()).toBe(0);
          await expectAccessible(page, `the problems page (${mode})`);

          await page.getByRole("link", { name: "Upload a corrected file" }).click();
          await page.waitForURL(`${server.url}/hr/roster`);
          await settle(page);
          const good = `${HEADER}\r\nG1-${tag},Gwen Good,gwen-${tag}@example.test,Fostering ${tag},01/04/2026,\r\n${council.staff.employeeNumber},${council.staff.name},${council.staff.email},Team ${javaScript ? "B" : "A"},${council.staff.startDate},\r\n`;
          await page
            .getByLabel("Upload a CSV file")
            .setInputFiles({ name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
          await page.getByRole("button", { name: "Upload and check the file" }).click();
          await page.getByRole("heading", { level: 1, name: "Check the changes before you apply them" }).waitFor();
          await settle(page);
          expect(
            await page.getByRole("table", { name: "People to be added" }).getByRole("row").nth(1).textContent(),
          ).toContain("Gwen Good");
          await expectAccessible(page, `the preview (${mode})`);

          await page.getByRole("button", { name: "Apply these changes" }).click();
          await page.getByRole("heading", { level: 1, name: "Staff roster imported" }).waitFor();
          await settle(page);
          await expectAccessible(page, `the applied import (${mode})`);
          const [gwen] = await database!.db
            .select({ role: users.role, active: users.active })
            .from(users)
            .where(eq(users.employeeNumber, `G1-${tag}`));
          expect(gwen).toEqual({ role: "staff", active: true });
          browser.expectNoProblems(page, [BAD_REQUEST]);
        } finally {
          await context.close();
        }
      },
    );
  }
});
