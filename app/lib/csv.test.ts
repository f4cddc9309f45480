import { describe, expect, it } from "vitest";
import { csvDocument, csvLine } from "./csv";

describe("CSV", () => {
  it("quotes commas, quotes and line breaks as RFC 4180 says", () => {
    expect(csvLine(["a,b", 'say "hi"', "two\nlines", 3, null])).toBe('"a,b","say ""hi""","two\nlines",3,\r\n');
  });

  it("neutralises cells that a spreadsheet would evaluate, and keeps e-mail addresses and leading white space", () => {
    expect(csvLine(['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\t=1+1", " @x", "safe"])).toBe(
      "\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),'\t=1+1,' @x,safe\r\n",
    );
    expect(csvLine(["+44team@example.test", "-ops.desk@example.test", "+a-@example.test", "-x@example.test(1)"])).toBe(
      "+44team@example.test,-ops.desk@example.test,'+a-@example.test,'-x@example.test(1)\r\n",
    );
    // A leading tab or carriage return is kept as it was, inside quotes.
    expect(csvLine(["\tx", "\rx", " x"])).toBe('"\tx","\rx"," x"\r\n');
  });

  it("starts a document with a byte order mark", () => {
    expect(csvDocument(["a"], [["b"]])).toBe("\uFEFFa\r\nb\r\n");
  });
});
