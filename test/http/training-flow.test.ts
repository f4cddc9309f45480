import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { attemptEvents, attempts } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aModuleContent, aPerson, aPolicyVersion, asCurrentUser, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText, questionForm } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";
import { signCodeOfConduct } from "~/attestation/signing.server";

const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let council: Awaited<ReturnType<typeof aCouncil>>;

beforeAll(async () => {
  council = await aCouncil(db);
  await syncTrainingModules(db, [aModuleContent(council.organisation.slug) as unknown as TrainingModule], new Date());
  server = await startTestServer(database);
});
afterAll(() => server.close());

/** The question the attempt's page asks now. */
const asked = async (client: HttpClient, path: string) => questionForm(await (await client.get(path)).text());
const answer = (client: HttpClient, path: string, scenarioId: string, step: number, choiceId = "a") =>
  client.post(path, { scenarioId, choiceId, step: String(step) });

describe("training over HTTP", () => {
  it("resumes an attempt on another device where the person left it", async () => {
    const laptop = new HttpClient(server.url);
    await laptop.signIn(council.champion.email, TEST_PASSWORD);
    const start = await laptop.post("/training/test-module", {});
    const attemptPath = start.headers.get("location")!;
    expect(attemptPath).toMatch(/^\/training\/test-module\/attempts\/[0-9a-f-]{36}$/);
    const first = await asked(laptop, attemptPath);
    expect(first.step).toBe(0);
    expect((await answer(laptop, attemptPath, first.scenarioId, 0)).headers.get("location")).toBe(
      `${attemptPath}/answers/1`,
    );

    const phone = new HttpClient(server.url);
    await phone.signIn(council.champion.email, TEST_PASSWORD);
    const overview = pageText(await (await phone.get("/training/test-module")).text());
    expect(overview).toContain("Continue where you left off");
    const resumed = await phone.post("/training/test-module", {});
    expect(resumed.headers.get("location")).toBe(attemptPath);
    const html = await (await phone.get(attemptPath)).text();
    expect(pageText(html)).toMatch(/What do you do in 2\.[12]\?/);
    expect(pageText(html)).toContain("Question 2 of 3");
    expect(questionForm(html).step).toBe(1);
  });

  it("says clearly when an answer comes from an old page, and records nothing", async () => {
    const client = new HttpClient(server.url);
    await client.signIn(council.hr.email, TEST_PASSWORD);
    const attemptPath = (await client.post("/training/test-module", {})).headers.get("location")!;
    const { scenarioId } = await asked(client, attemptPath);
    await answer(client, attemptPath, scenarioId, 0);
    const attemptId = attemptPath.split("/").pop()!;
    const before = (
      await db.select({ n: count() }).from(attemptEvents).where(eq(attemptEvents.attemptId, attemptId))
    )[0].n;
    const replay = await answer(client, attemptPath, scenarioId, 0, "b");
    expect(replay.status).toBe(409);
    expect(pageText(await replay.text())).toContain("That answer was not recorded");
    const after = (await db.select({ n: count() }).from(attemptEvents).where(eq(attemptEvents.attemptId, attemptId)))[0]
      .n;
    expect(after).toBe(before);
  });

  it("never takes a score or a state from the browser", async () => {
    const client = new HttpClient(server.url);
    await client.signIn(council.admin.email, TEST_PASSWORD);
    const attemptPath = (await client.post("/training/test-module", {})).headers.get("location")!;
    await client.post(attemptPath, {
      scenarioId: (await asked(client, attemptPath)).scenarioId,
      choiceId: "c",
      step: "0",
      score: "99",
      status: "passed",
      value: "passed",
    });
    const [attempt] = await db
      .select()
      .from(attempts)
      .where(eq(attempts.id, attemptPath.split("/").pop()!));
    expect(attempt).toMatchObject({ status: "in_progress", score: 0, answered: 1 });
  });

  it("states the module's length and pass rule, numbers each question, and shows the choices in the attempt's order", async () => {
    const person = await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
    const client = new HttpClient(server.url);
    await client.signIn(person.email, TEST_PASSWORD);
    const start = pageText(await (await client.get("/training/test-module")).text());
    expect(start).toContain("The module has 3 questions.");
    expect(start).toContain("at least 3 of 3");
    expect(start).toContain("Follow-up questions help you learn and do not count towards your score.");
    const attemptPath = (await client.post("/training/test-module", {})).headers.get("location")!;
    const html = await (await client.get(attemptPath)).text();
    expect(pageText(html)).toContain("Question 1 of 3");
    const form = questionForm(html);
    const [attempt] = await db
      .select()
      .from(attempts)
      .where(eq(attempts.id, attemptPath.split("/").pop()!));
    expect(form.choiceIds).toEqual(attempt.choiceOrder[form.scenarioId]);
    // A wrong answer to question 1 leads to its follow-up, which says so.
    await answer(client, attemptPath, form.scenarioId, 0, "b");
    const followUp = await (await client.get(attemptPath)).text();
    expect(pageText(followUp)).toContain("Follow-up to question 1");
    expect(questionForm(followUp).scenarioId).toBe(`${form.scenarioId}-follow-up`);
    // The home page and the training page say the same about a module in progress.
    for (const page of ["/", "/training"]) {
      const text = pageText(await (await client.get(page)).text());
      expect(text, page).toMatch(/Test module.*Started/);
      expect(text, page).not.toContain("In progress");
    }
  });

  it("names each scenario on the result, and after a pass links to signing once every module is passed", async () => {
    const person = await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
    const client = new HttpClient(server.url);
    await client.signIn(person.email, TEST_PASSWORD);
    const attemptPath = (await client.post("/training/test-module", {})).headers.get("location")!;
    for (let step = 0; step < 3; step++) {
      const { scenarioId } = await asked(client, attemptPath);
      await answer(client, attemptPath, scenarioId, step);
    }
    const result = pageText(await (await client.get(`${attemptPath}/result`)).text());
    expect(result).toContain("You passed");
    expect(result).toMatch(/Question 1, variant [12]/);
    expect(result).toMatch(/Question 3, variant [12]/);
    expect(result).toContain("Sign the code of conduct");
    const training = pageText(await (await client.get("/training")).text());
    expect(training).toContain("You have passed 1 of 1 module");
  });

  it("shows what changed since the version someone signed, marked for screen readers too", async () => {
    const org = await aCouncil(db);
    await syncTrainingModules(db, [aModuleContent(org.organisation.slug) as unknown as TrainingModule], new Date());
    const v1 = await aPolicyVersion(db, org.organisation.id, {
      label: "1",
      effectiveDate: "2026-01-01",
      body: "Keep your privacy settings under review.\n",
    });
    const person = asCurrentUser(org.staff, org.organisation);
    const client = new HttpClient(server.url);
    await client.signIn(org.staff.email, TEST_PASSWORD);
    const attemptPath = (await client.post("/training/test-module", {})).headers.get("location")!;
    for (let step = 0; step < 3; step++)
      await answer(client, attemptPath, (await asked(client, attemptPath)).scenarioId, step);
    const signed = await signCodeOfConduct(
      db,
      person,
      {
        policyVersionId: v1.id,
        declarationRead: "yes",
        declarationFollow: "yes",
        declarationConsequences: "yes",
        typedName: person.name,
        password: TEST_PASSWORD,
      },
      { ip: null, requestId: null, now: new Date() },
    );
    expect(signed.ok).toBe(true);
    await aPolicyVersion(db, org.organisation.id, {
      label: "2",
      effectiveDate: "2026-02-01",
      body: "Check your privacy settings every month.\n",
    });
    const html = await (await client.get("/code-of-conduct")).text();
    expect(pageText(html)).toContain("What has changed since version 1, which you signed");
    expect(html).toMatch(/<ins class="app-diff__ins"><span class="govuk-visually-hidden">\[added: <\/span>/);
    expect(html).toMatch(/<del class="app-diff__del"><span class="govuk-visually-hidden">\[removed: <\/span>/);
  });
});
