import { describe, expect, it } from "vitest";
import { savedAs } from "../../test/support/http";
import { attachment, download } from "./download.server";

describe("a download's file name", () => {
  it("is given as it is when it is plain letters, digits, dots, hyphens and underscores", () => {
    expect(attachment("certificate-SMC-2026-000123.pdf")).toBe(
      'attachment; filename="certificate-SMC-2026-000123.pdf"',
    );
  });

  it("keeps any other name whole in filename*, with an ASCII filename beside it, in a header a Response accepts", () => {
    for (const name of [
      "code-of-conduct-version-2026–1.txt",
      'version "draft" 2\\3.txt',
      "Café training (old)*.pdf",
      "研修記録.pdf",
      "it's.txt",
    ]) {
      const header = attachment(name);
      expect(savedAs(header)).toBe(name);
      expect(header).toMatch(/^attachment; filename="[A-Za-z0-9._ -]+"; filename\*=UTF-8''[A-Za-z0-9%!#$&+.^_`|~-]+$/);
      expect(() => download("x", { name, type: "text/plain" })).not.toThrow();
    }
    expect(attachment("Café training (old)*.pdf")).toContain('filename="Cafe training _old_.pdf"');
    expect(attachment("研修記録.pdf")).toContain('filename="_.pdf"');
  });

  it("is never cached nor sniffed, and keeps the headers a route adds", async () => {
    const response = download("a,b\r\n", { name: "x.csv", type: "text/csv", headers: { "X-Content-SHA256": "ab" } });
    expect(Object.fromEntries(response.headers)).toEqual({
      "cache-control": "private, no-store",
      "content-disposition": 'attachment; filename="x.csv"',
      "content-type": "text/csv",
      "x-content-sha256": "ab",
      "x-content-type-options": "nosniff",
    });
    expect(await response.text()).toBe("a,b\r\n");
  });
});
