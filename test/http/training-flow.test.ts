import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { attemptEvents, attempts } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aModuleContent, aPolicyVersion, asCurrentUser, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
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

const answer = (client: HttpClient, path: string, scenarioId: string, step: number, choiceId = "a") =>
  client.post(path, { scenarioId, choiceId, step: String(step) });

describe("training over HTTP", () => {
  it("resumes an attempt on another device where the person left it", async () => {
    const laptop = new HttpClient(server.url);
    await laptop.signIn(council.champion.email, TEST_PASSWORD);
    const start = await laptop.post("/training/test-module", {});
    const attemptPath = start.headers.get("location")!;
    expect(attemptPath).toMatch(/^\/training\/test-module\/attempts\/[0-9a-f-]{36}$/);
    expect((await answer(laptop, attemptPath, "q1", 0)).headers.get("location")).toBe(`${attemptPath}/answers/1`);

    const phone = new HttpClient(server.url);
    await phone.signIn(council.champion.email, TEST_PASSWORD);
    const overview = pageText(await (await phone.get("/training/test-module")).text());
    expect(overview).toContain("Continue where you left off");
    const resumed = await phone.post("/training/test-module", {});
    expect(resumed.headers.get("location")).toBe(attemptPath);
    const question = pageText(await (await phone.get(attemptPath)).text());
    expect(question).toContain("What next?");
  });

  it("says clearly when an answer comes from an old page, and records nothing", async () => {
    const client = new HttpClient(server.url);
    await client.signIn(council.hr.email, TEST_PASSWORD);
    const attemptPath = (await client.post("/training/test-module", {})).headers.get("location")!;
    await answer(client, attemptPath, "q1", 0);
    const attemptId = attemptPath.split("/").pop()!;
    const before = (
      await db.select({ n: count() }).from(attemptEvents).where(eq(attemptEvents.attemptId, attemptId))
    )[0].n;
    const replay = await answer(client, attemptPath, "q1", 0, "b");
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
      scenarioId: "q1",
      choiceId: "b",
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
    for (const [step, id] of ["q1", "q2", "q3"].entries()) await answer(client, attemptPath, id, step);
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
