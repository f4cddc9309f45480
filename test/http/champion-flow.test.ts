import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nudges, teams } from "~db/schema";
import { freshDatabase } from "../support/database";
import {
  aChampion,
  aPerson,
  aRequiredModule,
  aTeam,
  anAttempt,
  anOrganisation,
  TEST_PASSWORD,
} from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";
import { startSmtpServer } from "../support/smtp";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
const now = new Date("2026-03-02T10:00:00Z");
let team: Awaited<ReturnType<typeof aTeam>>;
let champion: HttpClient;
let late: Awaited<ReturnType<typeof aPerson>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  const org = await anOrganisation(db);
  team = await aTeam(db, org.id, "Complex and Contextual Safeguarding");
  const required = await aRequiredModule(db, org.id, { title: "Personal use of social media" });
  const me = await aPerson(db, {
    organisationId: org.id,
    teamId: team.id,
    name: "Charlie Champion",
    email: "charlie@example.test",
  });
  await aChampion(db, me.id, team.id);
  await anAttempt(db, me, required, {
    status: "passed",
    startedAt: new Date("2026-01-10T10:00:00Z"),
    completedAt: new Date("2026-01-10T11:00:00Z"),
  });
  late = await aPerson(db, {
    organisationId: org.id,
    teamId: team.id,
    name: "Dana Late",
    email: "dana@example.test",
    startDate: "2026-01-05",
  });
  // Twenty-seven more, so the list has two pages.
  for (let i = 0; i < 27; i++) {
    await aPerson(db, {
      organisationId: org.id,
      teamId: team.id,
      name: `Person ${String(i).padStart(2, "0")}`,
      startDate: "2026-02-20",
    });
  }
  const scored = await aPerson(db, {
    organisationId: org.id,
    teamId: team.id,
    name: "Sam Retake",
    startDate: "2026-02-20",
  });
  await anAttempt(db, scored, required, {
    status: "failed",
    startedAt: new Date("2026-02-21T10:00:00Z"),
    completedAt: new Date("2026-02-21T10:30:00Z"),
  });
  server = await startTestServer(database, {
    now: () => now,
    env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: "service@example.test" },
  });
  champion = new HttpClient(server.url);
  await champion.signIn("charlie@example.test", TEST_PASSWORD);
});
afterAll(async () => {
  await server.close();
  await smtp.close();
});

describe("a champion's team page", () => {
  it("lists the teams they champion, and only those, with their figures", async () => {
    const text = pageText(await (await champion.get("/teams")).text());
    expect(text).toContain("1 team");
    expect(text).toMatch(/Complex and Contextual Safeguarding 30 1 \(3%\) 1 Charlie Champion/);
  });

  it("shows completion figures as a chart and a table, and who is outstanding, most urgent first", async () => {
    const html = await (await champion.get(`/teams/${team.id}`)).text();
    const text = pageText(html);
    expect(text).toContain("1 of 30 people have completed everything.");
    expect(html).toMatch(/<svg[^>]*role="img"/);
    expect(html).toContain("Personal use of social media: 1 of 30 complete (3%)");
    expect(text).toMatch(/Personal use of social media 1 1 27 0 1 0 3%/);
    expect(text).toMatch(
      /Dana Late Overdue Personal use of social media: overdue 5 January 2026 2 February 2026 Nudge Dana Late/,
    );
    expect(text).toContain("29 people, page 1 of 2");
    expect(text).not.toMatch(/score|%\s*correct/i);
  });

  it("filters by status, sorts, and pages, keeping the filters", async () => {
    const overdue = pageText(await (await champion.get(`/teams/${team.id}?status=overdue`)).text());
    expect(overdue).toContain("1 person");
    expect(overdue).toContain("Dana Late");
    expect(overdue).not.toContain("Person 00");
    const page2 = await (await champion.get(`/teams/${team.id}?sort=name&page=2`)).text();
    expect(pageText(page2)).toContain("page 2 of 2");
    expect(page2).toContain('href="/teams/' + team.id + '?sort=name&amp;page=1"');
    const bad = await champion.get(`/teams/${team.id}?sort=shoe-size`);
    expect(bad.status).toBe(400);
    expect(pageText(await bad.text())).toContain("There is a problem Choose how to sort from the list");
  });

  it("nudges one person without JavaScript: a notice on their next page and an e-mail, once a day", async () => {
    const form = pageText(
      await (await champion.get(`/teams/${team.id}/nudge?target=person&personId=${late.id}`)).text(),
    );
    expect(form).toContain("Nudge Dana Late");
    expect(form).toContain("Personal use of social media: overdue, was due by 2 February 2026");

    const tooLong = await champion.post(`/teams/${team.id}/nudge?target=person&personId=${late.id}`, {
      target: "person",
      personId: late.id,
      message: "x".repeat(501),
    });
    expect(tooLong.status).toBe(400);
    expect(pageText(await tooLong.text())).toContain("Your message must be 500 characters or fewer");
    expect(await db.select().from(nudges).where(eq(nudges.recipientUserId, late.id))).toHaveLength(0);

    const sent = await champion.post(`/teams/${team.id}/nudge?target=person&personId=${late.id}`, {
      target: "person",
      personId: late.id,
      message: "I can help on Thursday.",
    });
    expect(sent.status).toBe(302);
    expect(sent.headers.get("location")).toBe(`/teams/${team.id}?nudged=1&already=0&person=${late.id}#people`);
    expect(pageText(await (await champion.get(sent.headers.get("location")!)).text())).toContain(
      "Success Dana Late was nudged.",
    );
    // Someone not among this team's nudges is never named, whatever the address says.
    expect(
      pageText(
        await (
          await champion.get(`/teams/${team.id}?nudged=1&already=0&person=00000000-0000-4000-8000-000000000000`)
        ).text(),
      ),
    ).toContain("Success 1 person was nudged.");
    expect(smtp.received.filter((m) => m.to.includes("dana@example.test"))).toHaveLength(1);

    // A double submit nudges nobody twice.
    const again = await champion.post(`/teams/${team.id}/nudge?target=person&personId=${late.id}`, {
      target: "person",
      personId: late.id,
    });
    expect(again.headers.get("location")).toBe(`/teams/${team.id}?nudged=0&already=1&person=${late.id}#people`);
    expect(pageText(await (await champion.get(again.headers.get("location")!)).text())).toContain(
      "Dana Late had already been nudged today, so was not nudged again.",
    );
    expect(await db.select().from(nudges).where(eq(nudges.recipientUserId, late.id))).toHaveLength(1);
    expect(pageText(await (await champion.get(`/teams/${team.id}?status=overdue`)).text())).toContain("Nudged today");

    const dana = new HttpClient(server.url);
    await dana.signIn("dana@example.test", TEST_PASSWORD);
    const home = await (await dana.get("/")).text();
    expect(pageText(home)).toContain(
      "Charlie Champion, social media champion for Complex and Contextual Safeguarding, has asked you to complete your social media code of conduct training.",
    );
    expect(pageText(home)).toContain("“I can help on Thursday.”");
    // Its link goes where Dana acts, the module she has still to do, not back to the page it is on.
    expect(home).toMatch(
      /<a class="govuk-notification-banner__link"[^>]* href="\/training\/[a-z0-9-]+">Personal use of social media<\/a>/,
    );
    const noticeId = /action="\/notices\/([0-9a-f-]{36})\/dismiss"/.exec(home)![1];
    const dismissed = await dana.post(`/notices/${noticeId}/dismiss`, { returnTo: "/training" });
    expect(dismissed.headers.get("location")).toBe("/training");
    expect(pageText(await (await dana.get("/")).text())).not.toContain("has asked you to complete");
  });

  it("nudges everyone outstanding in one go, skipping who was nudged today", async () => {
    const page = pageText(await (await champion.get(`/teams/${team.id}/nudge?target=everyone`)).text());
    expect(page).toContain("Nudge everyone outstanding (29)");
    const sent = await champion.post(`/teams/${team.id}/nudge?target=everyone`, { target: "everyone" });
    expect(sent.headers.get("location")).toBe(`/teams/${team.id}?nudged=28&already=1#people`);
    expect(pageText(await (await champion.get(sent.headers.get("location")!)).text())).toContain(
      "28 people were nudged. 1 person had already been nudged today, so they were not nudged again. See who was nudged",
    );
  });
});

describe("the teams list for HR", () => {
  it("shows every team of the council, fifty to a page, with figures for the page's teams", async () => {
    const [{ organisationId }] = await db
      .select({ organisationId: teams.organisationId })
      .from(teams)
      .where(eq(teams.id, team.id));
    for (let i = 0; i < 50; i++) await aTeam(db, organisationId, `Zz team ${String(i).padStart(2, "0")}`);
    await aPerson(db, { organisationId, role: "hr", email: "hana-hr@example.test" });
    const hr = new HttpClient(server.url);
    await hr.signIn("hana-hr@example.test", TEST_PASSWORD);
    const first = pageText(await (await hr.get("/teams")).text());
    expect(first).toContain("51 teams, page 1 of 2");
    expect(first).toMatch(/Complex and Contextual Safeguarding 30 1 \(3%\) 1 Charlie Champion/);
    expect(first).not.toContain("Zz team 49");
    const second = pageText(await (await hr.get("/teams?page=2")).text());
    expect(second).toContain("51 teams, page 2 of 2");
    expect(second).toMatch(/Zz team 49 0 0 0 None named/);
  });
});

describe("a person's own home page", () => {
  it("lists what they must do with due dates, as a GOV.UK task list", async () => {
    const text = pageText(await (await champion.get("/")).text());
    expect(text).toMatch(/Personal use of social media Completed 10 January 2026\. Renew by 10 January 2027 Completed/);
  });
});
