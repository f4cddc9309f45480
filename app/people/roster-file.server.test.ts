import { describe, expect, it } from "vitest";
import { parseCsv, readRosterFile, ROSTER_MAX_BYTES } from "./roster-file.server";
import { parseRosterDate, validateRosterRows } from "./roster-rows.server";

const HEADER = "Employee number,Name,Email,Team,Start date,Leaving date";
const utf8 = (text: string) => new TextEncoder().encode(text);
const file = (...lines: string[]) => utf8(lines.join("\r\n") + "\r\n");

function refusal(bytes: Uint8Array) {
  const result = readRosterFile(bytes);
  if (result.ok) throw new Error("expected the file to be refused");
  return result.error;
}

function records(bytes: Uint8Array) {
  const result = readRosterFile(bytes);
  if (!result.ok) throw new Error(result.error.message);
  return result.records;
}

describe("reading a roster file", () => {
  it("reads UTF-8 with or without a byte order mark, the same", () => {
    const text = `${HEADER}\r\nE1,Zoë Ñúñez,zoe@example.test,Children’s services,2026-04-01,\r\n`;
    const plain = records(utf8(text));
    const withBom = records(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(text)]));
    expect(withBom).toEqual(plain);
    expect(plain).toEqual([
      {
        line: 2,
        cells: {
          employeeNumber: "E1",
          name: "Zoë Ñúñez",
          email: "zoe@example.test",
          team: "Children’s services",
          startDate: "2026-04-01",
          leavingDate: "",
        },
        extraCells: 0,
      },
    ]);
  });

  it("refuses Windows-1252 bytes, naming the line and how to save as CSV UTF-8", () => {
    // "Zoë" and a £ sign as Excel's plain "CSV" writes them on Windows.
    const bytes = new Uint8Array([
      ...utf8(`${HEADER}\r\nE1,Zo`),
      0xeb,
      ...utf8(",z@example.test,Team,2026-04-01,\r\n"),
    ]);
    const error = refusal(bytes);
    expect(error.code).toBe("not-utf-8");
    expect(error.message).toContain("line 2");
    expect(error.message).toContain("CSV UTF-8");
    expect(error.message).toContain("Excel");
    expect(error.howToSave).toBe(true);
  });

  it("refuses UTF-16, with or without its byte order mark", () => {
    const le = Buffer.from(`${HEADER}\r\nE1,A,a@example.test,T,2026-04-01,\r\n`, "utf16le");
    expect(refusal(new Uint8Array([0xff, 0xfe, ...le])).code).toBe("utf-16");
    expect(refusal(new Uint8Array(le)).code).toBe("utf-16");
    const be = new Uint8Array(le.length);
    for (let i = 0; i < le.length; i += 2) [be[i], be[i + 1]] = [le[i + 1], le[i]];
    expect(refusal(new Uint8Array([0xfe, 0xff, ...be])).message).toContain("CSV UTF-8");
  });

  it("refuses a spreadsheet workbook and other binary files as not CSV", () => {
    expect(refusal(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])).code).toBe("spreadsheet");
    expect(refusal(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1])).code).toBe("spreadsheet");
    expect(refusal(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])).code).toBe(
      "not-text",
    );
    expect(refusal(utf8("%PDF-1.7\n\u0001\u0002")).code).toBe("not-text");
  });

  it("refuses an empty file, one with only a byte order mark or blank lines, and one with a header but no staff", () => {
    expect(refusal(new Uint8Array()).code).toBe("empty");
    expect(refusal(new Uint8Array([0xef, 0xbb, 0xbf])).code).toBe("empty");
    expect(refusal(utf8("\r\n  \r\n")).code).toBe("empty");
    expect(refusal(file(HEADER, ",,,,,")).code).toBe("no-rows");
  });

  it("refuses a file larger than 20 MB before reading it", () => {
    const error = refusal(new Uint8Array(ROSTER_MAX_BYTES + 1));
    expect(error).toEqual({
      code: "too-large",
      message: expect.stringContaining("larger than 20 MB"),
      howToSave: false,
    });
  });

  it("refuses the wrong columns, saying which are missing and which are not used", () => {
    const error = refusal(file("Employee number,Name,Email,Department,Start date", "E1,A,a@example.test,T,2026-04-01"));
    expect(error.code).toBe("columns");
    expect(error.message).toContain("It has no Team column.");
    expect(error.message).toContain("columns this service does not use: Department.".replace("columns", "column"));
    expect(refusal(file(`${HEADER},Role`, "E1,A,a@example.test,T,2026-04-01,,admin")).message).toContain(
      "Remove the Role column",
    );
    expect(refusal(file(`${HEADER},Email`, "x")).message).toContain("names Email more than once");
  });

  it("accepts the columns in any order, in any case, with the leaving date left out", () => {
    const [row] = records(file("E-MAIL,team,START DATE,Employee No,Full name", "a@example.test,T,01/04/2026,E1,Ann"));
    expect(row.cells).toEqual({
      employeeNumber: "E1",
      name: "Ann",
      email: "a@example.test",
      team: "T",
      startDate: "01/04/2026",
      leavingDate: "",
    });
  });

  it("names semicolons or tabs as the separator when the header is one cell", () => {
    expect(refusal(file("Employee number;Name;Email;Team;Start date", "E1;A;a@x.test;T;2026-04-01")).message).toContain(
      "separated by semicolons",
    );
    expect(refusal(file("Employee number\tName\tEmail\tTeam\tStart date")).message).toContain("separated by tabs");
  });

  it("counts lines as a spreadsheet does when a quoted cell holds a line break", () => {
    const rows = records(
      file(
        HEADER,
        'E1,"Ann\nSmith",a@example.test,"Team, with comma",2026-04-01,',
        'E2,"Bob ""the builder""",b@example.test,T,2026-04-01,',
      ),
    );
    expect(rows.map((r) => [r.line, r.cells.name, r.cells.team])).toEqual([
      [2, "Ann\nSmith", "Team, with comma"],
      [4, 'Bob "the builder"', "T"],
    ]);
  });

  it("refuses an unclosed quote, naming the line it opened on", () => {
    const error = refusal(file(HEADER, "E1,A,a@example.test,T,2026-04-01,", 'E2,"Bob,b@example.test,T,2026-04-01,'));
    expect(error.code).toBe("malformed");
    expect(error.message).toContain("starts on line 3");
  });

  it("skips blank lines and the empty cells spreadsheets pad rows with, and flags real extra values", () => {
    const rows = records(
      file(HEADER, "", "E1,A,a@example.test,T,2026-04-01,,,", ",,,,,,", "E2,B,b@example.test,T,2026-04-01,,oops"),
    );
    expect(rows.map((r) => [r.line, r.extraCells])).toEqual([
      [3, 0],
      [5, 1],
    ]);
  });

  it("parses LF, CRLF and lone CR line endings, and a last line without one", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const parsed = parseCsv(["a,b", "1,2", "3,4"].join(eol));
      expect(parsed).toEqual({
        ok: true,
        records: [
          { line: 1, cells: ["a", "b"] },
          { line: 2, cells: ["1", "2"] },
          { line: 3, cells: ["3", "4"] },
        ],
      });
    }
  });
});

describe("dates in a roster", () => {
  it("accepts ISO and UK day/month/year dates, and only real ones", () => {
    expect(parseRosterDate("2026-04-01")).toEqual({ ok: true, date: "2026-04-01" });
    expect(parseRosterDate("01/04/2026")).toEqual({ ok: true, date: "2026-04-01" });
    expect(parseRosterDate("1/4/2026")).toEqual({ ok: true, date: "2026-04-01" });
    expect(parseRosterDate("29/02/2028")).toEqual({ ok: true, date: "2028-02-29" });
    expect(parseRosterDate("29/02/2026")).toEqual({ ok: false, message: "29/02/2026 is not a real date" });
    expect(parseRosterDate("2026-13-01").ok).toBe(false);
    expect(parseRosterDate("01/04/26")).toEqual({ ok: false, message: "Write the year in full, like 01/04/2026" });
    expect(parseRosterDate("April 1st 2026")).toEqual({
      ok: false,
      message: "Enter a date like 2026-04-01 or 01/04/2026",
    });
    expect(parseRosterDate("04-01-2026").ok).toBe(false);
  });
});

describe("checking each row", () => {
  const check = (...lines: string[]) => validateRosterRows(records(file(HEADER, ...lines)));

  it("lists every problem with its line and column, all columns of a row at once", () => {
    const { rows, problems } = check(
      "E1,Ann,ann@example.test,Team A,2026-04-01,",
      ",,not-an-email,,01/04/26,2026-02-30",
      "E3,Cat,cat@example.test,Team A,2026-05-01,2026-04-01",
    );
    expect(rows.map((r) => r.employeeNumber)).toEqual(["E1"]);
    expect(problems).toEqual([
      { line: 3, column: "Employee number", message: "Enter the employee number" },
      { line: 3, column: "Name", message: "Enter the name" },
      { line: 3, column: "Email", message: "Enter an email address in the correct format, like name@example.gov.uk" },
      { line: 3, column: "Team", message: "Enter the team" },
      { line: 3, column: "Start date", message: "Write the year in full, like 01/04/2026" },
      { line: 3, column: "Leaving date", message: "2026-02-30 is not a real date" },
      { line: 4, column: "Leaving date", message: "The leaving date must be the same as or after the start date" },
    ]);
  });

  it("reports a start date after the leaving date even when another column is also wrong", () => {
    const { problems } = check("E1,,a@example.test,T,2026-05-01,2026-04-01");
    expect(problems.map((p) => p.column)).toEqual(["Name", "Leaving date"]);
  });

  it("refuses a repeated employee number or e-mail address (in any case), naming the first line", () => {
    const { problems } = check(
      "E1,Ann,ann@example.test,T,2026-04-01,",
      "E1,Bob,bob@example.test,T,2026-04-01,",
      "E3,Cat,ANN@Example.test,T,2026-04-01,",
    );
    expect(problems).toEqual([
      { line: 3, column: "Employee number", message: "Employee number E1 is also on line 2" },
      { line: 4, column: "Email", message: "This email address is also on line 2" },
    ]);
  });

  it("trims cells, keeps leading zeros of employee numbers and turns dates to ISO", () => {
    const { rows, problems } = check("  00123 , Ann  Smith ,ann@example.test,  Team   A ,01/04/2026, 31/12/2026 ");
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        employeeNumber: "00123",
        name: "Ann  Smith",
        email: "ann@example.test",
        team: "Team A",
        startDate: "2026-04-01",
        leavingDate: "2026-12-31",
      },
    ]);
  });
});
