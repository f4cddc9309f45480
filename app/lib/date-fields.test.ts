import { describe, expect, it } from "vitest";
import { dateParam, datePartsOf, optionalDateField } from "./date-fields";

const field = optionalDateField("The first day");
const messageOf = (value: unknown) => {
  const parsed = field.safeParse(value);
  return parsed.success ? null : parsed.error.issues.map((i) => i.message);
};

describe("a GOV.UK date input's three fields", () => {
  it("reads day, month and year as one date, and nothing typed as no date", () => {
    expect(field.parse({ day: "1", month: "4", year: "2026" })).toBe("2026-04-01");
    expect(field.parse({ day: " 09 ", month: "12", year: "2025" })).toBe("2025-12-09");
    expect(field.parse({ day: "", month: "", year: "" })).toBeUndefined();
    expect(field.parse(undefined)).toBeUndefined();
  });

  it("says which part is missing, in GOV.UK's words", () => {
    expect(messageOf({ day: "1", month: "", year: "2026" })).toEqual(["The first day must include a month"]);
    expect(messageOf({ day: "", month: "", year: "2026" })).toEqual(["The first day must include a day and a month"]);
    expect(messageOf({ day: "1", month: "4", year: "26" })).toEqual(["The first day’s year must include 4 numbers"]);
  });

  it("refuses a date that does not exist", () => {
    expect(messageOf({ day: "29", month: "2", year: "2026" })).toEqual(["The first day must be a real date"]);
    expect(messageOf({ day: "1", month: "13", year: "2026" })).toEqual(["The first day must be a real date"]);
    expect(messageOf({ day: "first", month: "4", year: "2026" })).toEqual(["The first day must be a real date"]);
    expect(field.parse({ day: "29", month: "2", year: "2028" })).toBe("2028-02-29");
  });

  it("also reads one YYYY-MM-DD value, as links and the command line send it", () => {
    expect(field.parse("2026-04-01")).toBe("2026-04-01");
    expect(field.parse("")).toBeUndefined();
    expect(messageOf("2026-02-30")).toEqual(["The first day must be a real date"]);
    expect(messageOf("1 April")).toEqual(["The first day must be a real date"]);
  });

  it("takes the three fields from a query string before the single value, and shows a single value as three", () => {
    const params = new URLSearchParams("asAt=2026-03-31&completedFrom-day=1&completedFrom-year=2026");
    expect(dateParam(params, "completedFrom")).toEqual({ day: "1", month: "", year: "2026" });
    expect(dateParam(params, "asAt")).toBe("2026-03-31");
    expect(datePartsOf(params, "asAt")).toEqual({ day: "31", month: "3", year: "2026" });
    expect(datePartsOf(params, "completedTo")).toEqual({ day: "", month: "", year: "" });
  });
});
