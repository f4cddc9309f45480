import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../support/database";
import { answerQuestion, startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { signCodeOfConduct } from "~/attestation/signing.server";
import { uploadRoster } from "~/reporting/roster-import.server";
import { aCouncil, aModuleContent, aPolicyVersion, asCurrentUser, TEST_PASSWORD } from "../support/factories";
import { HttpClient } from "../support/http";
import { loadBuild, startTestServer, type TestServer } from "../support/server";

/**
 * Requests every route as a signed-out visitor and as each role of each council, and checks who is
 * answered and who gets 404 or the sign-in page. A route in the build that this table does not cover
 * fails the test, so the table grows with the app.
 */
const database = await freshDatabase();
let server: TestServer;
let one: Awaited<ReturnType<typeof aCouncil>>;
let two: Awaited<ReturnType<typeof aCouncil>>;
let finishedAttempt: string;
let signedReference: string;
let rosterUploadId: string;

const VISITORS = ["anonymous", "staff", "champion", "hr", "admin", "otherAdmin"] as const;
type Visitor = (typeof VISITORS)[number];
type Outcome = 200 | 404 | "sign-in" | "home" | "redirect";

type Case = { route: string; path: () => string; expect: Record<Visitor, Outcome> };

const everyone = (outcome: Outcome, anonymous: Outcome = outcome): Record<Visitor, Outcome> => ({
  anonymous,
  staff: outcome,
  champion: outcome,
  hr: outcome,
  admin: outcome,
  otherAdmin: outcome,
});

const CASES: Case[] = [
  { route: "routes/_index", path: () => "/", expect: everyone(200, "sign-in") },
  { route: "routes/sign-in", path: () => "/sign-in", expect: everyone("home", 200) },
  { route: "routes/sign-out", path: () => "/sign-out", expect: everyone("home") },
  { route: "routes/signed-out", path: () => "/signed-out", expect: everyone(200) },
  { route: "routes/forgot-password", path: () => "/forgot-password", expect: everyone(200) },
  { route: "routes/set-password", path: () => "/set-password?token=nonsense", expect: everyone(200) },
  { route: "routes/accessibility", path: () => "/accessibility", expect: everyone(200) },
  { route: "routes/cookies", path: () => "/cookies", expect: everyone(200) },
  { route: "routes/session.keep-alive", path: () => "/session/keep-alive", expect: everyone(404) },
  { route: "routes/$", path: () => "/no-such-page", expect: everyone(404) },
  {
    route: "routes/teams._index",
    path: () => "/teams",
    expect: { anonymous: "sign-in", staff: 404, champion: 200, hr: 200, admin: 200, otherAdmin: 200 },
  },
  {
    route: "routes/teams.$teamId",
    path: () => `/teams/${one.teamA.id}`,
    expect: { anonymous: "sign-in", staff: 404, champion: 200, hr: 200, admin: 200, otherAdmin: 404 },
  },
  {
    route: "routes/teams.$teamId",
    path: () => `/teams/${one.teamB.id}`,
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 200, otherAdmin: 404 },
  },
  {
    route: "routes/teams.$teamId",
    path: () => "/teams/not-a-uuid",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/teams.$teamId_.nudge",
    path: () => `/teams/${one.teamA.id}/nudge?target=everyone`,
    expect: { anonymous: "sign-in", staff: 404, champion: 200, hr: 200, admin: 200, otherAdmin: 404 },
  },
  {
    route: "routes/teams.$teamId_.nudge",
    path: () => `/teams/${one.teamB.id}/nudge?target=person&personId=${one.hr.id}`,
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 200, otherAdmin: 404 },
  },
  { route: "routes/notices.$nudgeId.dismiss", path: () => `/notices/${one.staff.id}/dismiss`, expect: everyone(404) },
  { route: "routes/training._index", path: () => "/training", expect: everyone(200, "sign-in") },
  {
    route: "routes/training.$moduleSlug._index",
    path: () => "/training/test-module",
    expect: { anonymous: "sign-in", staff: 200, champion: 200, hr: 200, admin: 200, otherAdmin: 404 },
  },
  {
    route: "routes/training.$moduleSlug.attempts.$attemptId._index",
    path: () => `/training/test-module/attempts/${finishedAttempt}`,
    expect: { anonymous: "sign-in", staff: "redirect", champion: 404, hr: 404, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/training.$moduleSlug.attempts.$attemptId.answers.$step",
    path: () => `/training/test-module/attempts/${finishedAttempt}/answers/1`,
    expect: { anonymous: "sign-in", staff: 200, champion: 404, hr: 404, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/training.$moduleSlug.attempts.$attemptId.result",
    path: () => `/training/test-module/attempts/${finishedAttempt}/result`,
    expect: { anonymous: "sign-in", staff: 200, champion: 404, hr: 404, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/code-of-conduct",
    path: () => "/code-of-conduct",
    expect: { anonymous: "sign-in", staff: 200, champion: 200, hr: 200, admin: 200, otherAdmin: 404 },
  },
  { route: "routes/records._index", path: () => "/records", expect: everyone(200, "sign-in") },
  { route: "routes/records.export[.]json", path: () => "/records/export.json", expect: everyone(200, "sign-in") },
  { route: "routes/records.export[.]csv", path: () => "/records/export.csv", expect: everyone(200, "sign-in") },
  ...["", "/certificate.pdf", "/text"].map((suffix) => ({
    route: `routes/records.$reference.${suffix === "" ? "_index" : suffix === "/text" ? "text" : "certificate[.]pdf"}`,
    path: () => `/records/${signedReference}${suffix}`,
    expect: { anonymous: "sign-in", staff: 200, champion: 404, hr: 200, admin: 200, otherAdmin: 404 } as Record<
      Visitor,
      Outcome
    >,
  })),
  { route: "routes/verify", path: () => "/verify", expect: everyone(200) },
  {
    route: "routes/hr.withdraw",
    path: () => "/hr/withdraw",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 },
  },
  ...["/hr", "/hr/report", "/hr/report?status=overdue&asAt=2026-01-01"].map((path) => ({
    route: path === "/hr" ? "routes/hr._index" : "routes/hr.report",
    path: () => path,
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 } as Record<
      Visitor,
      Outcome
    >,
  })),
  ...["", "/evidence.pdf"].flatMap((suffix) => {
    const route = suffix === "" ? "routes/hr.people.$userId" : "routes/hr.people.$userId.evidence[.]pdf";
    return [
      {
        route,
        path: () => `/hr/people/${one.staff.id}${suffix}`,
        expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 } as Record<
          Visitor,
          Outcome
        >,
      },
      // Another council's person, and no person at all: 404 even to HR.
      {
        route,
        path: () => `/hr/people/${two.staff.id}${suffix}`,
        expect: { ...everyone(404), anonymous: "sign-in" } as Record<Visitor, Outcome>,
      },
      {
        route,
        path: () => `/hr/people/not-a-uuid${suffix}`,
        expect: { ...everyone(404), anonymous: "sign-in" } as Record<Visitor, Outcome>,
      },
    ];
  }),
  {
    route: "routes/admin.requirements",
    path: () => "/admin/requirements",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  {
    route: "routes/hr.roster",
    path: () => "/hr/roster",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/hr.roster_.$uploadId",
    path: () => `/hr/roster/${rosterUploadId}`,
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/hr.roster_.$uploadId",
    path: () => "/hr/roster/not-a-uuid",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/hr.exports",
    path: () => "/hr/exports",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/hr.export",
    path: () => "/hr/export?format=csv",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/hr.export",
    path: () => `/hr/export?format=xapi&team=${two.teamA.id}`,
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/hr.evidence-pack",
    path: () => "/hr/evidence-pack",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/hr.evidence-pack",
    path: () => `/hr/evidence-pack?team=${two.teamB.id}`,
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/admin.people",
    path: () => "/admin/people",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
];

const clients = {} as Record<Visitor, HttpClient>;

beforeAll(async () => {
  one = await aCouncil(database.db);
  two = await aCouncil(database.db);
  const content = aModuleContent(one.organisation.slug) as unknown as TrainingModule;
  await syncTrainingModules(database.db, [content], new Date());
  const staff = asCurrentUser(one.staff, one.organisation);
  finishedAttempt = (await startOrResumeAttempt(database.db, staff, "test-module", new Date()))!;
  for (const [step, scenarioId] of ["q1", "q2", "q3"].entries()) {
    await answerQuestion(
      database.db,
      staff,
      "test-module",
      finishedAttempt,
      { scenarioId, choiceId: "a", step },
      new Date(),
    );
  }
  const version = await aPolicyVersion(database.db, one.organisation.id, { label: "1" });
  const signed = await signCodeOfConduct(
    database.db,
    staff,
    {
      policyVersionId: version.id,
      declarationRead: "yes",
      declarationFollow: "yes",
      declarationConsequences: "yes",
      typedName: staff.name,
      password: TEST_PASSWORD,
    },
    { ip: null, requestId: null, now: new Date() },
  );
  if (!signed.ok) throw new Error("the staff member could not sign");
  signedReference = signed.record.reference;
  const roster = new TextEncoder().encode(
    `Employee number,Name,Email,Team,Start date\r\nM1,Matrix Person,matrix@example.test,Team A,2026-01-05\r\n`,
  );
  const uploaded = await uploadRoster(
    database.db,
    asCurrentUser(one.hr, one.organisation),
    { name: "staff.csv", bytes: roster },
    { ip: null, requestId: null, now: new Date() },
  );
  if (!uploaded.ok) throw new Error(uploaded.error);
  rosterUploadId = uploaded.uploadId;
  server = await startTestServer(database);
  const people: Record<Exclude<Visitor, "anonymous">, { email: string }> = {
    staff: one.staff,
    champion: one.champion,
    hr: one.hr,
    admin: one.admin,
    otherAdmin: two.admin,
  };
  clients.anonymous = new HttpClient(server.url);
  for (const [visitor, person] of Object.entries(people)) {
    const client = new HttpClient(server.url);
    await client.signIn(person.email, TEST_PASSWORD);
    clients[visitor as Visitor] = client;
  }
});
afterAll(() => server?.close());

function outcomeOf(response: Response): Outcome | number {
  if (response.status === 302) {
    const location = response.headers.get("location") ?? "";
    if (location.startsWith("/sign-in")) return "sign-in";
    if (location === "/") return "home";
    return "redirect";
  }
  return response.status;
}

describe("who may see each route", () => {
  it("covers every route in the build", async () => {
    const build = await loadBuild();
    const routeIds = Object.keys(build.routes).filter((id) => id !== "root");
    const covered = new Set(CASES.map((c) => c.route));
    expect(routeIds.filter((id) => !covered.has(id))).toEqual([]);
  });

  for (const testCase of CASES) {
    it(`${testCase.route} (${testCase.path.toString().replace(/^\(\) => /, "")})`, async () => {
      const actual: Record<string, Outcome | number> = {};
      for (const visitor of VISITORS) actual[visitor] = outcomeOf(await clients[visitor].get(testCase.path()));
      expect(actual).toEqual(testCase.expect);
    });
  }

  it("shows an admin only their own organisation's people", async () => {
    const html = await (await clients.admin.get("/admin/people")).text();
    expect(html).toContain(one.staff.email);
    expect(html).not.toContain(two.staff.email);
  });

  it("answers 404, not the data, when an admin acts on another organisation's person", async () => {
    const response = await clients.admin.post("/admin/people", { intent: "password-link", personId: two.staff.id });
    expect(response.status).toBe(404);
    const deactivate = await clients.admin.post("/admin/people", { intent: "deactivate", personId: two.staff.id });
    expect(deactivate.status).toBe(404);
  });

  it("answers 404 to anyone answering another person's attempt, and records nothing", async () => {
    const response = await clients.champion.post(`/training/test-module/attempts/${finishedAttempt}`, {
      scenarioId: "q1",
      choiceId: "a",
      step: "0",
    });
    expect(response.status).toBe(404);
  });

  it("answers 404 to a champion nudging in a team they do not champion, or someone of another council, and nudges nobody", async () => {
    expect((await clients.champion.post(`/teams/${one.teamB.id}/nudge`, { target: "everyone" })).status).toBe(404);
    expect((await clients.otherAdmin.post(`/teams/${one.teamA.id}/nudge`, { target: "everyone" })).status).toBe(404);
    expect(
      (await clients.champion.post(`/teams/${one.teamA.id}/nudge`, { target: "person", personId: two.staff.id }))
        .status,
    ).toBe(404);
    expect((await clients.staff.post(`/teams/${one.teamA.id}/nudge`, { target: "everyone" })).status).toBe(404);
    const html = await (await clients.champion.get(`/teams/${one.teamA.id}`)).text();
    expect(html).not.toContain("Recent nudges");
  });

  it("answers 404 to everyone but the HR officer who uploaded a roster when they post to apply it", async () => {
    for (const visitor of ["staff", "champion", "admin", "otherAdmin"] as const) {
      expect(
        (await clients[visitor].post(`/hr/roster/${rosterUploadId}`, { intent: "apply", planDigest: "0".repeat(64) }))
          .status,
      ).toBe(404);
    }
  });

  it("answers 404 to staff and HR posting to the admin page", async () => {
    for (const visitor of ["staff", "hr", "champion"] as const) {
      expect(
        (await clients[visitor].post("/admin/people", { intent: "deactivate", personId: one.staff.id })).status,
      ).toBe(404);
    }
  });
});
