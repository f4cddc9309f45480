import { describe, expect, it } from "vitest";
import { csvDocument, csvLine } from "./csv";

describe("CSV", () => {
  it("quotes commas, quotes and line breaks as RFC 4180 says", () => {
    expect(csvLine(["a,b", 'say "hi"', "two\nlines", 3, null])).toBe('"a,b","say ""hi""","two\nlines",3,\r\n');
  });

  it("neutralises cells that a spreadsheet would run as formulas", () => {
    expect(csvLine(['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "safe"])).toBe(
      '"\'=HYPERLINK(""http://x"")",\'+1,\'-2,\'@SUM(A1),\'\tx,"\'\rx",safe\r\n',
    );
  });

  it("starts a document with a byte order mark", () => {
    expect(csvDocument(["a"], [["b"]])).toBe("\uFEFFa\r\nb\r\n");
  });
});
