import { desc, eq } from "drizzle-orm";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions } from "~db/schema";
import { expectAccessible, runsJourneys, signInThroughPage, TestBrowser, waitForHydration } from "../support/browser";
import { freshDatabase } from "../support/database";
import { aCouncil } from "../support/factories";
import { startTestServer, type TestServer } from "../support/server";

const MINUTE = 60_000;
const DIALOG_NAME = "You’re about to be signed out";

const browserAvailable = runsJourneys();
// Made while the file is collected (not in beforeAll), so the database's own afterAll clean-up is registered.
const database = browserAvailable ? await freshDatabase() : null;

describe.skipIf(!browserAvailable)("the session timeout warning in a real browser", () => {
  let server: TestServer;
  let council: Awaited<ReturnType<typeof aCouncil>>;
  let browser: TestBrowser;
  // The server's clock runs this far ahead of real time, so it moves on with the browser's fake clock.
  let serverAheadMs = 0;

  beforeAll(async () => {
    if (!database) throw new Error("No database: these tests should have been skipped");
    council = await aCouncil(database.db);
    server = await startTestServer(database, { now: () => new Date(Date.now() + serverAheadMs) });
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Moves the browser's clock and the server's clock on together, as if nobody touched the page meanwhile. */
  async function letTimePass(page: Page, minutes: number) {
    serverAheadMs += minutes * MINUTE;
    await page.clock.fastForward(minutes * MINUTE);
  }

  /** Staff, signed in through the form with JavaScript on, on a page whose clock the test controls. */
  async function signedInWithFakeClock(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ javaScript: true });
    const page = await browser.newPage(context);
    await page.clock.install();
    await signInThroughPage(page, server.url, council.staff.email);
    await page.getByRole("heading", { level: 1, name: `Welcome, ${council.staff.name}` }).waitFor();
    return { context, page };
  }

  async function lastSeenOfNewestSession(): Promise<number> {
    if (!database) throw new Error("No database: these tests should have been skipped");
    const [row] = await database.db
      .select({ lastSeenAt: sessions.lastSeenAt })
      .from(sessions)
      .where(eq(sessions.userId, council.staff.id))
      .orderBy(desc(sessions.createdAt))
      .limit(1);
    return row.lastSeenAt.getTime();
  }

  const dialogOf = (page: Page) => page.getByRole("dialog", { name: DIALOG_NAME });

  async function expectWarningShown(page: Page, minutesLeft: number) {
    const dialog = dialogOf(page);
    await dialog.waitFor({ state: "visible" });
    expect(await dialog.evaluate((el) => (el as HTMLDialogElement).open && el.matches(":modal"))).toBe(true);
    expect(await dialog.evaluate((el) => el.contains(document.activeElement)), "focus is inside the dialog").toBe(true);
    const message = (await dialog.locator("#timeout-message").textContent()) ?? "";
    expect(message).toContain(`we will sign you out in ${minutesLeft} minutes unless you choose to stay signed in`);
  }

  it(
    "warns five minutes before the idle time ends; “Stay signed in” keeps the session; doing nothing signs the person out",
    { timeout: 90_000 },
    async () => {
      const { context, page } = await signedInWithFakeClock();
      try {
        const signedInAt = await lastSeenOfNewestSession();
        // 24 minutes idle: no warning yet.
        await letTimePass(page, 24);
        await page.waitForTimeout(200);
        expect(await dialogOf(page).isVisible()).toBe(false);

        // 26 minutes idle: the modal warning, with focus inside it, accessible while open.
        await letTimePass(page, 2);
        await expectWarningShown(page, 4);
        await expectAccessible(page, "the home page with the timeout warning open");

        const keepAlive = page.waitForResponse(
          (r) => new URL(r.url()).pathname === "/session/keep-alive" && r.request().method() === "POST",
        );
        await dialogOf(page).getByRole("button", { name: "Stay signed in" }).click();
        expect((await keepAlive).status()).toBe(200);
        await dialogOf(page).waitFor({ state: "hidden" });
        // The server counted it as activity: the session's idle time restarted 26 minutes after sign-in.
        expect(await lastSeenOfNewestSession()).toBeGreaterThanOrEqual(signedInAt + 26 * MINUTE);
        expect(new URL(page.url()).pathname).toBe("/");

        // The session and the page's timer both start again from now: 26 more idle minutes warn again...
        await letTimePass(page, 26);
        await expectWarningShown(page, 4);

        // ...and 5 more, with nobody acting, sign the person out.
        await letTimePass(page, 5);
        await page.waitForURL(`${server.url}/sign-in?timedOut=1`);
        const banner = page.getByRole("region", { name: "Important" });
        await banner.waitFor();
        expect(await banner.textContent()).toContain(
          "You were signed out because you had not done anything for a while.",
        );
        await waitForHydration(page);
        await expectAccessible(page, "the sign-in page after a timeout");

        // The server ended the session too: the home page asks for sign-in.
        await page.goto(`${server.url}/`);
        expect(page.url()).toBe(`${server.url}/sign-in?returnTo=%2F`);

        browser.expectNoProblems(page);
      } finally {
        await context.close();
      }
    },
  );

  it("signs out from the warning with its “Sign out” button", { timeout: 60_000 }, async () => {
    const { context, page } = await signedInWithFakeClock();
    try {
      await letTimePass(page, 26);
      await expectWarningShown(page, 4);
      await dialogOf(page).getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${server.url}/signed-out`);
      await page.getByRole("heading", { level: 1, name: "You have signed out" }).waitFor();
      await page.goto(`${server.url}/`);
      expect(page.url()).toBe(`${server.url}/sign-in?returnTo=%2F`);
      browser.expectNoProblems(page);
    } finally {
      await context.close();
    }
  });
});
