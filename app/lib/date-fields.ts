import { z } from "zod";

// Shared by the browser and the server: the GOV.UK date input's three fields and the rule that reads them.

export const DATE_PARTS = ["day", "month", "year"] as const;
export type DatePart = (typeof DATE_PARTS)[number];
export type DateParts = Record<DatePart, string>;

/** The name of one of a date's fields: `asAt-day`, `asAt-month`, `asAt-year`. */
export const datePartName = (name: string, part: DatePart) => `${name}-${part}`;

/**
 * A date filter as a query string carries it: the date input's three fields, or one YYYY-MM-DD value
 * (as the report's own links and the command line send it).
 */
export function dateParam(params: URLSearchParams, name: string): DateParts | string | undefined {
  const parts = DATE_PARTS.map((part) => params.get(datePartName(name, part)));
  if (parts.some((p) => p !== null)) {
    const [day, month, year] = parts.map((p) => p ?? "");
    return { day, month, year };
  }
  return params.get(name) ?? undefined;
}

/** What the three fields show: what was typed, or the parts of a YYYY-MM-DD value. */
export function datePartsOf(params: URLSearchParams, name: string): DateParts {
  const value = dateParam(params, name);
  if (typeof value === "object") return value;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value?.trim() ?? "");
  return match
    ? { day: String(Number(match[3])), month: String(Number(match[2])), year: match[1] }
    : { day: "", month: "", year: "" };
}

const isoDate = (year: number, month: number, day: number) =>
  `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;

function realDate(year: number, month: number, day: number): string | null {
  const at = new Date(Date.UTC(year, month - 1, day));
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day
    ? isoDate(year, month, day)
    : null;
}

/**
 * An optional date from a GOV.UK date input (or one YYYY-MM-DD value), as YYYY-MM-DD. `label` starts each
 * message, as GOV.UK's date input pattern words them: "The first day must include a month", "… must be a
 * real date".
 */
export function optionalDateField(label: string) {
  const realDateMessage = `${label} must be a real date`;
  return z
    .union([z.string(), z.object({ day: z.string(), month: z.string(), year: z.string() })], realDateMessage)
    .transform((value, ctx) => {
      if (typeof value === "string") {
        const trimmed = value.trim();
        if (trimmed === "") return undefined;
        const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed);
        const iso = match ? realDate(Number(match[1]), Number(match[2]), Number(match[3])) : null;
        if (iso) return iso;
        ctx.addIssue({ code: "custom", message: realDateMessage });
        return z.NEVER;
      }
      const parts = { day: value.day.trim(), month: value.month.trim(), year: value.year.trim() };
      if (!parts.day && !parts.month && !parts.year) return undefined;
      const missing = DATE_PARTS.filter((part) => !parts[part]);
      if (missing.length > 0) {
        ctx.addIssue({ code: "custom", message: `${label} must include a ${missing.join(" and a ")}` });
        return z.NEVER;
      }
      if (!/^\d{4}$/.test(parts.year)) {
        ctx.addIssue({ code: "custom", message: `${label}’s year must include 4 numbers` });
        return z.NEVER;
      }
      const iso =
        /^\d{1,2}$/.test(parts.day) && /^\d{1,2}$/.test(parts.month)
          ? realDate(Number(parts.year), Number(parts.month), Number(parts.day))
          : null;
      if (iso) return iso;
      ctx.addIssue({ code: "custom", message: realDateMessage });
      return z.NEVER;
    })
    .optional();
}
