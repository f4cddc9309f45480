import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nudgeDeliveries, nudges } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aChampion, aPerson, aRequiredModule, aTeam, anAttempt, anOrganisation } from "../../test/support/factories";
import { startSmtpServer } from "../../test/support/smtp";
import { MAX_EMAIL_TRIES, runReminders, weekStart } from "./reminders.server";

const database = await freshDatabase();
const db = database.db;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let refusing = true;
const options = { serviceUrl: "https://smcoc.example" };

let org: Awaited<ReturnType<typeof anOrganisation>>;
let people: Record<string, Awaited<ReturnType<typeof aPerson>>>;

beforeAll(async () => {
  smtp = await startSmtpServer({ refuse: (address) => refusing && address.startsWith("flaky") });
  org = await anOrganisation(db);
  const team = await aTeam(db, org.id, "Assessment and Intervention Team");
  const required = await aRequiredModule(db, org.id, { title: "Professional checks", dueWithinDays: 28 });
  const champion = await aPerson(db, {
    organisationId: org.id,
    teamId: team.id,
    name: "Cara Champion",
    email: "cara@example.test",
    startDate: "2025-01-06",
  });
  await aChampion(db, champion.id, team.id);
  await anAttempt(db, champion, required, {
    status: "passed",
    startedAt: new Date("2026-02-01T10:00:00Z"),
    completedAt: new Date("2026-02-01T11:00:00Z"),
  });
  people = {
    // Due 2 March: overdue by more than 14 days on 20 March.
    late: await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Lee Late",
      email: "lee@example.test",
      startDate: "2026-02-02",
    }),
    // Due 30 March: due soon on 20 March.
    soon: await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Sue Soon",
      email: "sue@example.test",
      startDate: "2026-03-02",
    }),
    // Due 17 April: nothing to remind yet.
    fresh: await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Fay Fresh",
      email: "fay@example.test",
      startDate: "2026-03-20",
    }),
    // Overdue, but the mail server refuses them at first.
    flaky: await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Flo Flaky",
      email: "flaky@example.test",
      startDate: "2026-02-02",
    }),
  };
});
afterAll(() => smtp.close());

const reminderMailsTo = (address: string) =>
  smtp.received.filter((m) => m.to.includes(address) && !m.text.includes("weekly list"));

describe("npm run reminders", () => {
  it("reminds who is due soon or overdue once a day however often it runs, retries failed e-mails, and never blocks the others", async () => {
    const morning = { now: new Date("2026-03-20T07:00:00Z") };
    const first = await runReminders(db, smtp.mailer, morning, options);
    expect(first).toMatchObject({ reminders: 3, escalations: 1, email: { sent: 3, failed: 1 } });
    expect(reminderMailsTo("lee@example.test")).toHaveLength(1);
    expect(reminderMailsTo("lee@example.test")[0].text).toContain("is overdue");
    expect(reminderMailsTo("sue@example.test")[0].text).toContain("due soon");
    expect(reminderMailsTo("fay@example.test")).toHaveLength(0);

    // A second run the same day sends nothing new, and tries the refused address again.
    const second = await runReminders(db, smtp.mailer, { now: new Date("2026-03-20T19:00:00Z") }, options);
    expect(second).toMatchObject({ reminders: 0, escalations: 0, retried: 1, email: { sent: 0, failed: 1 } });
    expect(reminderMailsTo("lee@example.test")).toHaveLength(1);

    refusing = false;
    const third = await runReminders(db, smtp.mailer, { now: new Date("2026-03-20T20:00:00Z") }, options);
    expect(third).toMatchObject({ reminders: 0, retried: 1, email: { sent: 1, failed: 0 } });
    expect(reminderMailsTo("flaky@example.test")).toHaveLength(1);
    const fourth = await runReminders(db, smtp.mailer, { now: new Date("2026-03-20T21:00:00Z") }, options);
    expect(fourth.retried).toBe(0);

    // The next day, a new reminder each.
    const nextDay = await runReminders(db, smtp.mailer, { now: new Date("2026-03-21T07:00:00Z") }, options);
    expect(nextDay.reminders).toBe(3);
    expect(reminderMailsTo("lee@example.test")).toHaveLength(2);
  });

  it("sends each champion one summary a week of their teams' people overdue by more than 14 days", async () => {
    const summaries = smtp.received.filter((m) => m.to.includes("cara@example.test"));
    expect(summaries).toHaveLength(1);
    expect(summaries[0].text).toContain("Lee Late (Assessment and Intervention Team)");
    expect(summaries[0].text).toContain("Flo Flaky");
    expect(summaries[0].text).not.toContain("Sue Soon");
    // Later in the same week: no second summary; the next week: one more.
    expect((await runReminders(db, smtp.mailer, { now: new Date("2026-03-22T07:00:00Z") }, options)).escalations).toBe(
      0,
    );
    expect((await runReminders(db, smtp.mailer, { now: new Date("2026-03-23T07:00:00Z") }, options)).escalations).toBe(
      1,
    );
    expect(weekStart("2026-03-22")).toBe("2026-03-16");
    expect(weekStart("2026-03-23")).toBe("2026-03-23");
  });

  it("gives up on an address after a bounded number of tries", async () => {
    refusing = true;
    const bouncer = await aPerson(db, {
      organisationId: org.id,
      teamId: people.late.teamId,
      name: "Flint Flaky",
      email: "flaky-2@example.test",
      startDate: "2026-02-02",
    });
    for (let i = 0; i < MAX_EMAIL_TRIES + 2; i++)
      await runReminders(db, smtp.mailer, { now: new Date(`2026-03-24T0${i}:30:00Z`) }, options);
    const [reminder] = await db
      .select()
      .from(nudges)
      .where(and(eq(nudges.recipientUserId, bouncer.id), eq(nudges.kind, "reminder")));
    const tries = await db.select().from(nudgeDeliveries).where(eq(nudgeDeliveries.nudgeId, reminder.id));
    expect(tries.filter((t) => t.channel === "email")).toHaveLength(MAX_EMAIL_TRIES);
    refusing = false;
  });

  it("records reminders without SMTP as not e-mailed", async () => {
    const result = await runReminders(db, null, { now: new Date("2026-03-25T07:00:00Z") }, options);
    expect(result.reminders).toBeGreaterThan(0);
    expect(result.email).toMatchObject({ sent: 0, failed: 0, skipped: result.reminders + result.escalations });
  });
});

describe("a council's reminder rhythm", () => {
  it("under the weekly rhythm, reminds someone daily while due soon, at once when overdue, then once a week", async () => {
    const weekly = await anOrganisation(db, { reminderRhythm: "weekly" });
    const team = await aTeam(db, weekly.id);
    await aRequiredModule(db, weekly.id, { title: "Weekly module", dueWithinDays: 28 });
    // Due 30 March 2026: due soon from 16 March, overdue from 31 March.
    await aPerson(db, {
      organisationId: weekly.id,
      teamId: team.id,
      name: "Wes Weekly",
      email: "wes@example.test",
      startDate: "2026-03-02",
    });
    // The same dates in a council left on the daily rhythm.
    const daily = await anOrganisation(db);
    const dailyTeam = await aTeam(db, daily.id);
    await aRequiredModule(db, daily.id, { title: "Daily module", dueWithinDays: 28 });
    await aPerson(db, {
      organisationId: daily.id,
      teamId: dailyTeam.id,
      name: "Dee Daily",
      email: "dee@example.test",
      startDate: "2026-03-02",
    });
    const days = ["2026-03-28", "2026-03-29", "2026-03-31", "2026-04-01", "2026-04-04", "2026-04-06", "2026-04-07"];
    const sentOn: Record<string, string[]> = {};
    for (const day of days) {
      const before = {
        wes: reminderMailsTo("wes@example.test").length,
        dee: reminderMailsTo("dee@example.test").length,
      };
      await runReminders(db, smtp.mailer, { now: new Date(`${day}T07:00:00Z`) }, options);
      // A second run the same day changes nothing under either rhythm.
      await runReminders(db, smtp.mailer, { now: new Date(`${day}T18:00:00Z`) }, options);
      sentOn[day] = [
        ...(reminderMailsTo("wes@example.test").length > before.wes ? ["wes"] : []),
        ...(reminderMailsTo("dee@example.test").length > before.dee ? ["dee"] : []),
      ];
    }
    expect(sentOn).toEqual({
      "2026-03-28": ["wes", "dee"],
      "2026-03-29": ["wes", "dee"],
      "2026-03-31": ["wes", "dee"],
      "2026-04-01": ["dee"],
      "2026-04-04": ["dee"],
      "2026-04-06": ["dee"],
      "2026-04-07": ["wes", "dee"],
    });
    const wes = reminderMailsTo("wes@example.test");
    expect(wes.map((m) => (m.text.includes("training is overdue:") ? "overdue" : "due soon"))).toEqual([
      "due soon",
      "due soon",
      "overdue",
      "overdue",
    ]);
    expect(wes[3].text).toContain("Weekly module");
  });
});
