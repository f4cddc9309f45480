import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, nudgeDeliveries, nudges } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aChampion,
  aPerson,
  aPersonWithoutEmail,
  aRequiredModule,
  aTeam,
  anAttempt,
  anOrganisation,
  asCurrentUser,
} from "../../test/support/factories";
import { startSmtpServer } from "../../test/support/smtp";
import { activeNotice, dismissNotices, NO_EMAIL_ADDRESS, nudgeTeam, teamNudgeLog } from "./nudges.server";

const database = await freshDatabase();
const db = database.db;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
const now = new Date("2026-03-02T10:00:00Z");
const request = (at: Date = now) => ({
  ip: "127.0.0.1",
  requestId: "test",
  now: at,
  serviceUrl: "https://smcoc.example",
});

let org: Awaited<ReturnType<typeof anOrganisation>>;
let team: Awaited<ReturnType<typeof aTeam>>;
let champion: ReturnType<typeof asCurrentUser>;
let required: Awaited<ReturnType<typeof aRequiredModule>>;

beforeAll(async () => {
  smtp = await startSmtpServer({ refuse: (address) => address.startsWith("bounce") });
  org = await anOrganisation(db);
  team = await aTeam(db, org.id, "Permanence Team");
  required = await aRequiredModule(db, org.id, { title: "Personal use of social media" });
  const person = await aPerson(db, { organisationId: org.id, teamId: team.id, name: "Charlie Champion" });
  await aChampion(db, person.id, team.id);
  champion = asCurrentUser(person, org, [team.id]);
  await anAttempt(db, person, required, {
    status: "passed",
    startedAt: new Date("2026-01-10T10:00:00Z"),
    completedAt: new Date("2026-01-10T11:00:00Z"),
  });
});
afterAll(() => smtp.close());

describe("nudging", () => {
  it("nudges one outstanding person in the app and by e-mail, once a day, and logs it", async () => {
    const person = await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Dana Late",
      email: "dana@example.test",
      startDate: "2026-01-05",
    });
    const result = await nudgeTeam(
      db,
      smtp.mailer,
      champion,
      team,
      { target: "person", personId: person.id, message: "Please do it this week." },
      request(),
    );
    expect(result).toMatchObject({ ok: true, nudged: ["Dana Late"], alreadyToday: [], email: { sent: 1, failed: 0 } });
    const mail = smtp.received.find((m) => m.to.includes("dana@example.test"));
    expect(mail?.text).toContain("Charlie Champion, social media champion for Permanence Team");
    expect(mail?.text).toContain("Personal use of social media: overdue, was due by 2 February 2026");
    expect(mail?.text).toContain("Please do it this week.");
    expect(mail?.text).toContain("https://smcoc.example/");

    const again = await nudgeTeam(
      db,
      smtp.mailer,
      champion,
      team,
      { target: "person", personId: person.id },
      request(new Date("2026-03-02T16:00:00Z")),
    );
    expect(again).toMatchObject({ ok: true, nudged: [], alreadyToday: ["Dana Late"] });
    const rows = await db.select().from(nudges).where(eq(nudges.recipientUserId, person.id));
    expect(rows).toHaveLength(1);
    const deliveries = await db.select().from(nudgeDeliveries).where(eq(nudgeDeliveries.nudgeId, rows[0].id));
    expect(deliveries.map((d) => [d.channel, d.status]).sort()).toEqual([
      ["email", "sent"],
      ["in-app", "delivered"],
    ]);
    const log = await teamNudgeLog(db, team.id);
    expect(log[0]).toMatchObject({
      recipient: "Dana Late",
      sender: "Charlie Champion",
      email: "sent",
      message: "Please do it this week.",
    });
    const audit = await db.select().from(auditLog).where(eq(auditLog.action, "nudge.sent"));
    expect(audit.length).toBeGreaterThanOrEqual(2);

    // The next day they can be nudged again.
    expect(
      await nudgeTeam(
        db,
        null,
        champion,
        team,
        { target: "person", personId: person.id },
        request(new Date("2026-03-03T09:00:00Z")),
      ),
    ).toMatchObject({
      ok: true,
      nudged: ["Dana Late"],
      email: { skipped: 1 },
    });
  });

  it("nudges everyone outstanding, skips who is complete, and records a refused e-mail as failed without stopping the rest", async () => {
    const other = await aTeam(db, org.id);
    const ok = await aPerson(db, {
      organisationId: org.id,
      teamId: other.id,
      name: "Eve Due",
      email: "eve@example.test",
      startDate: "2026-02-20",
    });
    const bounce = await aPerson(db, {
      organisationId: org.id,
      teamId: other.id,
      name: "Finn Bounce",
      email: "bounce-finn@example.test",
      startDate: "2026-02-20",
    });
    const done = await aPerson(db, {
      organisationId: org.id,
      teamId: other.id,
      name: "Gus Done",
      startDate: "2026-02-20",
    });
    await anAttempt(db, done, required, {
      status: "passed",
      startedAt: new Date("2026-02-21T10:00:00Z"),
      completedAt: new Date("2026-02-21T11:00:00Z"),
    });
    const hr = asCurrentUser(await aPerson(db, { organisationId: org.id, role: "hr" }), org);
    const result = await nudgeTeam(db, smtp.mailer, hr, other, { target: "everyone" }, request());
    expect(result).toMatchObject({ ok: true, nudged: ["Eve Due", "Finn Bounce"], email: { sent: 1, failed: 1 } });
    const deliveriesTo = (userId: string) =>
      db
        .select({ channel: nudgeDeliveries.channel, status: nudgeDeliveries.status, error: nudgeDeliveries.error })
        .from(nudgeDeliveries)
        .innerJoin(nudges, eq(nudges.id, nudgeDeliveries.nudgeId))
        .where(eq(nudges.recipientUserId, userId));
    const bounced = await deliveriesTo(bounce.id);
    expect(bounced.map((d) => [d.channel, d.status]).sort()).toEqual([
      ["email", "failed"],
      ["in-app", "delivered"],
    ]);
    expect(bounced.find((d) => d.channel === "email")?.error).toMatch(/550|Mailbox unavailable/);
    expect((await deliveriesTo(ok.id)).map((d) => [d.channel, d.status]).sort()).toEqual([
      ["email", "sent"],
      ["in-app", "delivered"],
    ]);
    expect(await deliveriesTo(done.id)).toEqual([]);
  });

  it("refuses a person who is not outstanding or not in the team, and a team with nobody outstanding, writing nothing", async () => {
    const before = (await db.select().from(nudges)).length;
    const outsider = await aPerson(db, { organisationId: org.id, teamId: (await aTeam(db, org.id)).id });
    expect(
      await nudgeTeam(db, null, champion, team, { target: "person", personId: outsider.id }, request()),
    ).toMatchObject({ ok: false, status: 404 });
    expect(
      await nudgeTeam(db, null, champion, team, { target: "person", personId: champion.id }, request()),
    ).toMatchObject({ ok: false, status: 404 });
    const quiet = await aTeam(db, org.id);
    expect(await nudgeTeam(db, null, champion, quiet, { target: "everyone" }, request())).toMatchObject({
      ok: false,
      status: 409,
    });
    expect((await db.select().from(nudges)).length).toBe(before);
  });
});

describe("someone without an e-mail address", () => {
  it("is nudged in the app only, and the champion's log says the e-mail was not sent for want of an address", async () => {
    const person = await aPersonWithoutEmail(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Ellis Noaddress",
      startDate: "2026-01-05",
    });
    const before = smtp.received.length;
    const result = await nudgeTeam(
      db,
      smtp.mailer,
      champion,
      team,
      { target: "person", personId: person.id, message: "" },
      request(),
    );
    expect(result).toMatchObject({ ok: true, nudged: ["Ellis Noaddress"], email: { sent: 0, failed: 0, skipped: 1 } });
    expect(smtp.received.length).toBe(before);
    const [nudge] = await db.select().from(nudges).where(eq(nudges.recipientUserId, person.id));
    const deliveries = await db.select().from(nudgeDeliveries).where(eq(nudgeDeliveries.nudgeId, nudge.id));
    expect(deliveries.map((d) => [d.channel, d.status, d.error])).toEqual(
      expect.arrayContaining([["email", "skipped", NO_EMAIL_ADDRESS]]),
    );
    const log = await teamNudgeLog(db, team.id);
    expect(log.find((n) => n.recipientUserId === person.id)?.email).toBe("no-address");
  });
});

describe("the notice a nudged person sees", () => {
  it("shows until they act on it or dismiss it", async () => {
    const person = await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Hana Notice",
      startDate: "2026-01-05",
    });
    await nudgeTeam(
      db,
      null,
      champion,
      team,
      { target: "person", personId: person.id, message: "Nearly there!" },
      request(),
    );
    const notice = await activeNotice(db, person.id, new Date("2026-03-02T11:00:00Z"));
    expect(notice).toMatchObject({
      senderName: "Charlie Champion",
      teamName: "Permanence Team",
      message: "Nearly there!",
    });
    expect(await activeNotice(db, champion.id, new Date("2026-03-02T11:00:00Z"))).toBeNull();

    // Starting the training after the nudge is acting on it.
    await anAttempt(db, person, required, { status: "in_progress", startedAt: new Date("2026-03-02T12:00:00Z") });
    expect(await activeNotice(db, person.id, new Date("2026-03-02T12:30:00Z"))).toBeNull();

    const other = await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: "Ivo Dismiss",
      startDate: "2026-01-05",
    });
    await nudgeTeam(db, null, champion, team, { target: "person", personId: other.id }, request());
    const shown = await activeNotice(db, other.id, now);
    expect(await dismissNotices(db, person.id, shown!.id, now)).toBe(false);
    expect(await dismissNotices(db, other.id, shown!.id, now)).toBe(true);
    expect(await activeNotice(db, other.id, now)).toBeNull();
  });
});
