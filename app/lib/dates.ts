// Built once: constructing a DateTimeFormat costs about 0.1 ms.
const isoLondonDate = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Europe/London",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

// London is always a whole number of hours from UTC, so its date is the same for every moment of a UTC hour.
let memo = { hour: NaN, date: "" };

/** The calendar date in Europe/London (YYYY-MM-DD): councils' days, whatever the server's zone. */
export function londonDate(at: Date): string {
  const hour = Math.floor(at.getTime() / 3_600_000);
  if (hour !== memo.hour) memo = { hour, date: isoLondonDate.format(at) };
  return memo.date;
}

/** Calendar months later (or earlier), clamped to the month's last day as PostgreSQL's interval arithmetic does: 31 January + 1 month is 28 February. */
export function addMonths(at: Date, months: number): Date {
  const result = new Date(at.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

const longDate = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "Europe/London",
});
const longDateTime = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "long",
  timeStyle: "short",
  timeZone: "Europe/London",
});

export const formatDate = (value: string | Date) =>
  longDate.format(typeof value === "string" && value.length === 10 ? new Date(`${value}T12:00:00Z`) : new Date(value));
export const formatDateTime = (value: string | Date) => longDateTime.format(new Date(value));

/** The last millisecond of a calendar day in Europe/London (23:59:59.999 local, whether GMT or BST). */
export function endOfLondonDay(day: string): Date {
  const next = new Date(`${day}T12:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const nextDay = next.toISOString().slice(0, 10);
  // London's midnight is 00:00 UTC in winter and 23:00 UTC the evening before in summer.
  const candidates = [new Date(`${day}T23:00:00Z`), new Date(`${nextDay}T00:00:00Z`)];
  const midnight =
    candidates.find((c) => londonDate(c) === nextDay && londonDate(new Date(c.getTime() - 1)) === day) ?? candidates[1];
  return new Date(midnight.getTime() - 1);
}

/** The London day before a day (YYYY-MM-DD). */
export function dayBefore(day: string): string {
  const noon = new Date(`${day}T12:00:00Z`);
  noon.setUTCDate(noon.getUTCDate() - 1);
  return noon.toISOString().slice(0, 10);
}
