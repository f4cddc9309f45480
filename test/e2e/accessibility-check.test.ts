import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible, runsJourneys, TestBrowser } from "../support/browser";

/** The check every browser test leans on (expectAccessible) finds what it should, with JavaScript on and off. */
const ORIGIN = "http://accessibility-check.test";
const page = (body: string) =>
  `<!DOCTYPE html><html lang="en"><head><title>A page</title></head><body><main><h1>A page</h1>${body}</main></body></html>`;
const PAGES: Record<string, string> = {
  "/good": page(`<p>Words.</p><label for="name">Name</label><input id="name" type="text">`),
  // axe's best practice (all content in landmarks), not a WCAG rule: outside what the check promises.
  "/outside-landmarks": `<!DOCTYPE html><html lang="en"><head><title>A page</title></head><body><p>Loose words.</p><main><h1>A page</h1></main></body></html>`,
  "/unlabelled-field": page(`<p>Words.</p><input type="text">`),
  "/faint-words": page(`<p style="color:#ccc;background:#fff">Hard to read.</p>`),
  "/with-a-frame": page(`<iframe title="Another page" src="${ORIGIN}/good"></iframe>`),
};

async function served(context: BrowserContext) {
  await context.route(`${ORIGIN}/**`, (route) => {
    const body = PAGES[new URL(route.request().url()).pathname];
    return body
      ? route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body })
      : route.fulfill({ status: 404, body: "" });
  });
}

describe.skipIf(!runsJourneys({ pgliteShare: true }))("expectAccessible, axe's check of a page", () => {
  let browser: TestBrowser;
  beforeAll(async () => {
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const javaScript of [true, false]) {
    it(`passes a good page and names each violation on a bad one (JavaScript ${javaScript ? "on" : "off"})`, async () => {
      const context = await browser.newContext({ javaScript });
      await served(context);
      const tab = await browser.newPage(context);
      try {
        await tab.goto(`${ORIGIN}/good`);
        await expectAccessible(tab);
        await tab.goto(`${ORIGIN}/outside-landmarks`);
        await expectAccessible(tab);

        await tab.goto(`${ORIGIN}/unlabelled-field`);
        await expect(expectAccessible(tab)).rejects.toThrow(
          /axe found 1 kinds of WCAG violation on \S+\/unlabelled-field[^:\n]*:\nlabel \(critical\)/,
        );

        await tab.goto(`${ORIGIN}/faint-words`);
        await expect(expectAccessible(tab)).rejects.toThrow(/color-contrast \(serious\)/);

        // axe runs in the page itself, which leaves frames unchecked: a page with one is refused, not passed.
        await tab.goto(`${ORIGIN}/with-a-frame`);
        await expect(expectAccessible(tab)).rejects.toThrow(/a page checked by axe has frames/);
      } finally {
        await context.close();
      }
    });
  }
});
