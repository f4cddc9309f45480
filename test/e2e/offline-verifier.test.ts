import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "~/ledger-proof/bytes";
import { generateNoteKey } from "~/ledger-proof/note";
import example from "~/ledger-proof/testdata/worked-example.json";
import { buildVerifierPage } from "../../scripts/build-verifiers.mjs";
import { expectAccessible, runsJourneys, TestBrowser } from "../support/browser";

const browserAvailable = runsJourneys();

/** The receipt with one field of its JSON changed. */
function edit(receipt: string, change: (r: Record<string, string>) => void): string {
  const value = JSON.parse(receipt) as Record<string, string>;
  change(value);
  return JSON.stringify(value, null, 2);
}
const focused = (locator: Locator) => locator.evaluate((element) => element === document.activeElement);
const flip = (base64: string, at: number) => toBase64(fromBase64(base64)!.map((b, i) => (i === at ? b ^ 1 : b)));

describe.skipIf(!browserAvailable)("the offline receipt verifier page, opened from disk with the network off", () => {
  let browser: TestBrowser;
  let dir: string;
  let pageUrl: string;
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "offline-verifier-"));
    pageUrl = pathToFileURL(file("verify-receipt.html", await buildVerifierPage())).href;
    browser = await TestBrowser.launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function openPage(): Promise<Page> {
    const context = await browser.newContext({ offline: true });
    const page = await browser.newPage(context);
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(pageUrl);
    await page.locator("body[data-ready=true]").waitFor();
    expect(requests).toEqual([pageUrl]);
    return page;
  }

  async function check(page: Page, receipt: string, keys: string) {
    await page.getByLabel("Receipt file").setInputFiles(file(`receipt-${Math.random()}.json`, receipt));
    await page.getByLabel("The council's verifier key").fill(keys);
    await page.getByRole("button", { name: "Check the receipt" }).click();
    await page.locator("#result[data-outcome]").waitFor();
    return page.locator("#result");
  }

  it("has WebCrypto Ed25519 here, verifies a good receipt, and is accessible", { timeout: 120_000 }, async () => {
    const page = await openPage();
    expect(
      await page.evaluate(async () => {
        const key = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
        const data = new TextEncoder().encode("x");
        const signature = await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, data);
        return crypto.subtle.verify({ name: "Ed25519" }, key.publicKey, signature, data);
      }),
    ).toBe(true);
    expect(await page.locator("#no-ed25519").isHidden()).toBe(true);
    for (const hidden of ["#error-summary", "#receipt-error", "#keys-error"])
      expect(await page.locator(hidden).evaluate((element) => getComputedStyle(element).display), hidden).toBe("none");
    await page.getByLabel("The council's log (optional)").fill(example.origin);
    const result = await check(page, example.receipt, example.verifierKey);
    await result.getByRole("heading", { level: 2, name: "Record ATT-9TFN-2KLM is genuine" }).waitFor();
    expect(await result.innerText()).toContain("Grace Mensah, employee number E10603");
    expect(await result.innerText()).toContain(
      "This receipt shows no withdrawal. That does not mean the record was never withdrawn",
    );
    expect(await result.locator("td strong").allTextContents()).toEqual(Array(5).fill("Passed"));
    expect(await focused(result)).toBe(true);
    await expectAccessible(page, "the offline verifier with a verdict");
    browser.expectNoProblems(page);
  });

  it("shows a withdrawal the receipt carries, from a dropped file and a key file, by keyboard", async () => {
    const page = await openPage();
    const dataTransfer = await page.evaluateHandle((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], "receipt.json", { type: "application/json" }));
      return transfer;
    }, example.receiptWithWithdrawal);
    await page.dispatchEvent("#receipt-group", "drop", { dataTransfer });
    await page
      .getByLabel("Or choose a file holding the keys")
      .setInputFiles(file("keys.txt", `${example.verifierKey}\n`));
    await page.getByRole("button", { name: "Check the receipt" }).focus();
    await page.keyboard.press("Enter");
    const result = page.locator("#result[data-outcome=valid]");
    await result
      .getByRole("heading", { name: "Record ATT-3HQP-8WZR is genuine, and this receipt shows it was withdrawn" })
      .waitFor();
    expect(await result.innerText()).toContain("Signed on behalf of the wrong person");
    browser.expectNoProblems(page);
  });

  it("fails tampered receipts and another council's key, saying which check failed", { timeout: 120_000 }, async () => {
    const node = example.inclusionProof.proof[1];
    const signature = example.checkpoint5.split("— conduct.example.invalid ")[1].trim();
    const other = await generateNoteKey("conduct.example.invalid/ledger/other-council");
    const cases = [
      {
        what: "a changed record byte",
        receipt: edit(example.receipt, (r) => (r.record = r.record.replace("Grace Mensah", "Grace Mensaj"))),
        keys: example.verifierKey,
        failed: ["The record's hash", "The service's signature on the record", "The record is in the council's log"],
      },
      {
        what: "a wrong proof node",
        receipt: edit(example.receipt, (r) => (r.proof = r.proof.replace(node, flip(node, 0)))),
        keys: example.verifierKey,
        failed: ["The record is in the council's log"],
      },
      {
        what: "a wrong checkpoint signature",
        receipt: edit(example.receipt, (r) => (r.proof = r.proof.replace(signature, flip(signature, 10)))),
        keys: example.verifierKey,
        failed: ["The council's signature on the log's checkpoint"],
      },
      {
        what: "another council's key",
        receipt: example.receipt,
        keys: other.verifierKey,
        failed: ["The service's signature on the record", "The council's signature on the log's checkpoint"],
      },
      {
        what: "the log of another council than the one named",
        receipt: example.receipt,
        keys: example.verifierKey,
        origin: "conduct.example.invalid/ledger/other-council",
        failed: ["The council's signature on the log's checkpoint"],
      },
    ];
    for (const { what, receipt, keys, origin, failed } of cases) {
      const page = await openPage();
      if (origin) await page.getByLabel("The council's log (optional)").fill(origin);
      const result = await check(page, receipt, keys);
      await result.getByRole("heading", { name: "This receipt does not prove the record" }).waitFor();
      const rows = result.locator("tbody tr").filter({ has: page.locator("td strong", { hasText: "Failed" }) });
      expect(await rows.locator("th").allTextContents(), what).toEqual(failed);
      browser.expectNoProblems(page);
      await page.context().close();
    }
  });

  it("says what to fix in an error summary, and refuses to connect anywhere", async () => {
    const page = await openPage();
    await page.getByRole("button", { name: "Check the receipt" }).click();
    const summary = page.getByRole("alert");
    expect(await focused(summary)).toBe(true);
    expect(await summary.getByRole("link").allTextContents()).toEqual([
      "Choose the receipt file",
      "Enter the council's verifier key, or choose a file that holds it",
    ]);
    expect(await page.title()).toMatch(/^Error: /);
    await summary.getByRole("link", { name: "Choose the receipt file" }).click();
    expect(await focused(page.getByLabel("Receipt file"))).toBe(true);
    await page.getByLabel("The council's verifier key").fill("not a key");
    await page.getByRole("button", { name: "Check the receipt" }).click();
    expect(await page.locator("#keys-error").innerText()).toContain("Enter a verifier key of the council: ");
    expect(await page.locator("#receipt-error").isVisible()).toBe(true);
    await expectAccessible(page, "the offline verifier with errors");
    const connected = await page.evaluate(() =>
      fetch("http://127.0.0.1:9/").then(
        () => "connected",
        () => "refused",
      ),
    );
    expect(connected).toBe("refused");
    browser.expectNoProblems(page, [{ kind: "console.error", text: /Content Security Policy|connect-src/ }]);
  });
});
