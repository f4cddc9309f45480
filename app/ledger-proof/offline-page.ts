import { describeVerdict, type DescribedVerdict } from "./describe-verdict";
import { KeyListError, parseTrustedKeys, verifyReceipt } from "./receipt";

/**
 * The offline verifier page's script (bundled into one self-contained HTML file by scripts/build-verifiers.mjs): reads
 * a receipt file and the council's verifier key, verifies with WebCrypto, and shows the verdict. Nothing is sent
 * anywhere (the page's Content-Security-Policy forbids connections). Receipt content is only ever set as text.
 */

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function element(tag: string, className = "", text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

type FieldError = { field: string; message: string };

function showErrors(errors: FieldError[]) {
  const summary = $("error-summary");
  const list = $("error-list");
  list.replaceChildren();
  for (const id of ["receipt", "keys"]) {
    $(`${id}-group`).classList.remove("govuk-form-group--error");
    $(`${id}-error`).hidden = true;
  }
  summary.hidden = errors.length === 0;
  document.title = `${errors.length ? "Error: " : ""}Check a receipt for a signed record`;
  if (errors.length === 0) return;
  for (const { field, message } of errors) {
    const item = element("li");
    const link = element("a", "", message) as HTMLAnchorElement;
    link.href = `#${field}`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      $(field).focus();
    });
    item.append(link);
    list.append(item);
    $(`${field}-group`).classList.add("govuk-form-group--error");
    const inline = $(`${field}-error`);
    inline.hidden = false;
    inline.lastChild!.textContent = message;
  }
  $("result").replaceChildren();
  summary.focus();
}

function summaryList(rows: [string, string][]): HTMLElement {
  const list = element("dl", "govuk-summary-list");
  for (const [key, value] of rows) {
    const row = element("div", "govuk-summary-list__row");
    row.append(element("dt", "govuk-summary-list__key", key), element("dd", "govuk-summary-list__value", value));
    list.append(row);
  }
  return list;
}

function checksTable(caption: string, checks: DescribedVerdict["entries"][number]["checks"]): HTMLElement {
  const table = element("table", "govuk-table");
  table.append(element("caption", "govuk-table__caption", caption));
  const head = element("thead");
  const headRow = element("tr");
  for (const title of ["Check", "Result", "Why"]) {
    const th = element("th", "govuk-table__header", title);
    th.setAttribute("scope", "col");
    headRow.append(th);
  }
  head.append(headRow);
  const body = element("tbody");
  for (const c of checks) {
    const row = element("tr");
    const label = element("th", "govuk-table__header", c.label);
    label.setAttribute("scope", "row");
    const status = element("td", "govuk-table__cell");
    status.append(
      element(
        "strong",
        `app-tag app-tag--${c.status === "Failed" ? "red" : c.status === "Passed" ? "green" : "grey"}`,
        c.status,
      ),
    );
    row.append(label, status, element("td", "govuk-table__cell", c.reason));
    body.append(row);
  }
  table.append(head, body);
  return table;
}

function showVerdict(described: DescribedVerdict) {
  const result = $("result");
  const panel = element("div", `app-verdict app-verdict--${described.outcome}`);
  panel.append(element("h2", "govuk-heading-l", described.headline));
  for (const text of described.paragraphs) panel.append(element("p", "govuk-body", text));
  result.replaceChildren(panel);
  for (const entry of described.entries) {
    result.append(element("h2", "govuk-heading-m", entry.title));
    if (entry.facts.length) result.append(summaryList(entry.facts));
    result.append(checksTable(`Checks of ${entry.title.toLowerCase()}`, entry.checks));
  }
  result.dataset.outcome = described.outcome;
  result.focus();
}

async function check(event: Event) {
  event.preventDefault();
  const receiptFile = $<HTMLInputElement>("receipt").files?.[0];
  const keyFile = $<HTMLInputElement>("keys-file").files?.[0];
  const keyText = `${$<HTMLTextAreaElement>("keys").value}\n${keyFile ? await keyFile.text() : ""}`;
  const errors: FieldError[] = [];
  if (!receiptFile) errors.push({ field: "receipt", message: "Choose the receipt file" });
  let keys: Awaited<ReturnType<typeof parseTrustedKeys>> = [];
  if (keyText.trim() === "")
    errors.push({ field: "keys", message: "Enter the council's verifier key, or choose a file that holds it" });
  else
    try {
      keys = await parseTrustedKeys(keyText);
    } catch (error) {
      if (!(error instanceof KeyListError)) throw error;
      errors.push({ field: "keys", message: `Enter a verifier key of the council: ${error.message}` });
    }
  showErrors(errors);
  if (errors.length || !receiptFile) return;
  const origin = $<HTMLInputElement>("origin").value.trim();
  showVerdict(describeVerdict(await verifyReceipt(await receiptFile.text(), keys, origin ? { origin } : {})));
}

function acceptDrops() {
  const zone = $("receipt-group");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("app-drop--over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("app-drop--over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("app-drop--over");
    if (event.dataTransfer?.files.length) $<HTMLInputElement>("receipt").files = event.dataTransfer.files;
  });
}

async function webCryptoSupportsEd25519(): Promise<boolean> {
  try {
    await crypto.subtle.importKey("raw", new Uint8Array(32).fill(1), { name: "Ed25519" }, false, ["verify"]);
    return true;
  } catch {
    return false;
  }
}

$("check-form").addEventListener("submit", (event) => {
  check(event).catch((error: unknown) =>
    showErrors([{ field: "receipt", message: `The check could not run: ${String(error)}` }]),
  );
});
acceptDrops();
void webCryptoSupportsEd25519().then((ok) => {
  if (!ok) $("no-ed25519").hidden = false;
  document.body.dataset.ready = "true";
});
