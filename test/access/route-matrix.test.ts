import { checkpointLedger } from "~/attestation/checkpoints.server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../support/database";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { moduleContentHash } from "~/training/machine";
import { moduleUploads } from "~db/schema";
import { signCodeOfConduct, withdrawAttestation } from "~/attestation/signing.server";
import { uploadRoster } from "~/people/roster-plan.server";
import {
  aCouncil,
  aModuleContent,
  aPolicyVersion,
  aSignature,
  asCurrentUser,
  TEST_PASSWORD,
  answerEveryQuestion,
} from "../support/factories";
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
let signedHash: string;
let withdrawnReference: string;
let rosterUploadId: string;
let moduleUploadId: string;

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
  { route: "routes/sso.start", path: () => "/sso/start", expect: everyone("home", "sign-in") },
  { route: "routes/sso.start", path: () => "/sso/start?council=no-such-council", expect: everyone("home", 404) },
  { route: "routes/sso.callback", path: () => "/sso/callback?state=x&code=y", expect: everyone("redirect") },
  { route: "routes/sso.refused", path: () => "/sso/refused?reason=unknown-person", expect: everyone(200) },
  { route: "routes/sso.unavailable", path: () => "/sso/unavailable", expect: everyone(200) },
  { route: "routes/signing-passphrase", path: () => "/signing-passphrase", expect: everyone(200, "sign-in") },
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
    // The other council has published no code of conduct: its admin is told so (decision 0016).
    expect: everyone(200, "sign-in"),
  },
  { route: "routes/records._index", path: () => "/records", expect: everyone(200, "sign-in") },
  { route: "routes/records.export[.]json", path: () => "/records/export.json", expect: everyone(200, "sign-in") },
  { route: "routes/records.export[.]csv", path: () => "/records/export.csv", expect: everyone(200, "sign-in") },
  ...["", "/certificate.pdf", "/text", "/receipt.json"].map((suffix) => ({
    route: `routes/records.$reference.${suffix === "" ? "_index" : suffix === "/text" ? "text" : suffix === "/receipt.json" ? "receipt[.]json" : "certificate[.]pdf"}`,
    path: () => `/records/${signedReference}${suffix}`,
    expect: { anonymous: "sign-in", staff: 200, champion: 404, hr: 200, admin: 200, otherAdmin: 404 } as Record<
      Visitor,
      Outcome
    >,
  })),
  ...["/withdrawal", "/withdrawal.pdf"].map((suffix) => ({
    route: `routes/records.$reference.${suffix === "/withdrawal" ? "withdrawal" : "withdrawal[.]pdf"}`,
    path: () => `/records/${withdrawnReference}${suffix}`,
    expect: { anonymous: "sign-in", staff: 200, champion: 404, hr: 200, admin: 200, otherAdmin: 404 } as Record<
      Visitor,
      Outcome
    >,
  })),
  ...["/withdrawal", "/withdrawal.pdf"].map((suffix) => ({
    route: `routes/records.$reference.${suffix === "/withdrawal" ? "withdrawal" : "withdrawal[.]pdf"}`,
    path: () => `/records/${signedReference}${suffix}`,
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 404, otherAdmin: 404 } as Record<
      Visitor,
      Outcome
    >,
  })),
  { route: "routes/verify", path: () => "/verify", expect: everyone(200) },
  // The council's checkpoint and consistency proofs: for whoever holds a genuine record's reference and hash.
  {
    route: "routes/ledger.checkpoint",
    path: () => `/ledger/checkpoint?reference=${signedReference}&hash=${signedHash}`,
    expect: everyone(200),
  },
  {
    route: "routes/ledger.checkpoint",
    path: () => `/ledger/checkpoint?reference=${signedReference}&hash=${"0".repeat(64)}`,
    expect: everyone(404),
  },
  {
    route: "routes/ledger.consistency",
    path: () => `/ledger/consistency?reference=${signedReference}&hash=${signedHash}&from=1`,
    expect: everyone(200),
  },
  {
    route: "routes/ledger.consistency",
    path: () => `/ledger/consistency?reference=${signedReference}&hash=${"0".repeat(64)}&from=1`,
    expect: everyone(404),
  },
  {
    route: "routes/hr.ledger",
    path: () => "/hr/ledger",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 },
  },
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
  ...["routes/hr.people.$userId_.exemptions.new", "routes/hr.people.$userId_.earlier-training.new"].flatMap((route) => {
    const suffix = route.endsWith("exemptions.new") ? "/exemptions/new" : "/earlier-training/new";
    return [
      {
        route,
        path: () => `/hr/people/${one.staff.id}${suffix}`,
        expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 404, otherAdmin: 404 } as Record<
          Visitor,
          Outcome
        >,
      },
      {
        route,
        path: () => `/hr/people/${two.staff.id}${suffix}`,
        expect: { ...everyone(404), anonymous: "sign-in" } as Record<Visitor, Outcome>,
      },
    ];
  }),
  // Assisted signing (decision 0025): a champion of the person's team or HR witnesses; HR or an admin issues the code.
  {
    route: "routes/assisted.start.$userId",
    path: () => `/assisted/start/${one.staff.id}`,
    expect: { anonymous: "sign-in", staff: 404, champion: 200, hr: 200, admin: 404, otherAdmin: 404 },
  },
  {
    route: "routes/assisted.start.$userId",
    path: () => `/assisted/start/${two.staff.id}`,
    expect: { ...everyone(404), anonymous: "sign-in" } as Record<Visitor, Outcome>,
  },
  {
    route: "routes/hr.people.$userId_.one-time-code",
    path: () => `/hr/people/${one.staff.id}/one-time-code`,
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 200, admin: 200, otherAdmin: 404 },
  },
  {
    route: "routes/hr.people.$userId_.one-time-code",
    path: () => `/hr/people/not-a-uuid/one-time-code`,
    expect: { ...everyone(404), anonymous: "sign-in" } as Record<Visitor, Outcome>,
  },
  // Outside an assisted session, it says what one is.
  { route: "routes/assisted._index", path: () => "/assisted", expect: everyone(200, "sign-in") },
  // An exemption, an evidence file or a requirement that does not exist: 404 to everyone signed in.
  {
    route: "routes/hr.people.$userId_.exemptions.$exemptionId",
    path: () => `/hr/people/${one.staff.id}/exemptions/00000000-0000-4000-8000-000000000000`,
    expect: { ...everyone(404), anonymous: "sign-in" } as Record<Visitor, Outcome>,
  },
  {
    route: "routes/hr.people.$userId_.evidence-files.$fileId",
    path: () => `/hr/people/${one.staff.id}/evidence-files/00000000-0000-4000-8000-000000000000`,
    expect: { ...everyone(404), anonymous: "sign-in" } as Record<Visitor, Outcome>,
  },
  {
    route: "routes/admin.requirements_.$requirementId.teams",
    path: () => "/admin/requirements/00000000-0000-4000-8000-000000000000/teams",
    expect: { ...everyone(404), anonymous: "sign-in" } as Record<Visitor, Outcome>,
  },
  {
    route: "routes/admin._index",
    path: () => "/admin",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  {
    route: "routes/admin.audit._index",
    path: () => "/admin/audit",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  {
    route: "routes/admin.audit.export[.]csv",
    path: () => "/admin/audit/export.csv",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  {
    route: "routes/admin.requirements",
    path: () => "/admin/requirements",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  {
    route: "routes/admin.retention",
    path: () => "/admin/retention",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  {
    route: "routes/admin.ledger-witness",
    path: () => "/admin/ledger-witness",
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
  ...["/admin/people", "/admin/people?q=person", "/admin/people?q=%27%26%21&page=2"].map((path) => ({
    route: "routes/admin.people._index",
    path: () => path,
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 } as Record<
      Visitor,
      Outcome
    >,
  })),
  ...["", "/deactivate"].flatMap((suffix) => {
    const route = suffix === "" ? "routes/admin.people.$userId" : "routes/admin.people.$userId_.deactivate";
    return [
      {
        route,
        path: () => `/admin/people/${one.staff.id}${suffix}`,
        expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 404 } as Record<
          Visitor,
          Outcome
        >,
      },
      // Another council's person: 404 to this council's admin; no person at all: 404 to everyone.
      {
        route,
        path: () => `/admin/people/${two.staff.id}${suffix}`,
        expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 404, otherAdmin: 200 } as Record<
          Visitor,
          Outcome
        >,
      },
      {
        route,
        path: () => `/admin/people/not-a-uuid${suffix}`,
        expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 404, otherAdmin: 404 } as Record<
          Visitor,
          Outcome
        >,
      },
    ];
  }),
  {
    route: "routes/admin.teams._index",
    path: () => "/admin/teams",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  {
    route: "routes/admin.teams.new",
    path: () => "/admin/teams/new",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  ...["", "/close"].flatMap((suffix) => {
    const route = suffix === "" ? "routes/admin.teams.$teamId" : "routes/admin.teams.$teamId_.close";
    return [
      {
        route,
        path: () => `/admin/teams/${one.teamA.id}${suffix}`,
        expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 404 } as Record<
          Visitor,
          Outcome
        >,
      },
      {
        route,
        path: () => `/admin/teams/${two.teamA.id}${suffix}`,
        expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 404, otherAdmin: 200 } as Record<
          Visitor,
          Outcome
        >,
      },
      {
        route,
        path: () => `/admin/teams/not-a-uuid${suffix}`,
        expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 404, otherAdmin: 404 } as Record<
          Visitor,
          Outcome
        >,
      },
    ];
  }),
  {
    route: "routes/admin.sign-in",
    path: () => "/admin/sign-in",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  {
    route: "routes/admin.email-changes",
    path: () => "/admin/email-changes",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 },
  },
  ...["routes/admin.policy._index", "routes/admin.policy.new", "routes/admin.modules._index"].map((route) => ({
    route,
    path: () =>
      ({ "routes/admin.policy._index": "/admin/policy", "routes/admin.policy.new": "/admin/policy/new" })[route] ??
      "/admin/modules",
    expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 200 } as Record<
      Visitor,
      Outcome
    >,
  })),
  ...["", "/preview"].flatMap((suffix) => {
    const route = `routes/admin.modules.uploads.$moduleUploadId.${suffix === "" ? "_index" : "preview"}`;
    return [
      {
        route,
        path: () => `/admin/modules/uploads/${moduleUploadId}${suffix}`,
        expect: { anonymous: "sign-in", staff: 404, champion: 404, hr: 404, admin: 200, otherAdmin: 404 } as Record<
          Visitor,
          Outcome
        >,
      },
      {
        route,
        path: () => `/admin/modules/uploads/not-a-uuid${suffix}`,
        expect: { ...everyone(404), anonymous: "sign-in" } as Record<Visitor, Outcome>,
      },
    ];
  }),
];

const clients = {} as Record<Visitor, HttpClient>;

beforeAll(async () => {
  one = await aCouncil(database.db);
  two = await aCouncil(database.db);
  const content = aModuleContent(one.organisation.slug) as unknown as TrainingModule;
  await syncTrainingModules(database.db, [content], new Date());
  const staff = asCurrentUser(one.staff, one.organisation);
  finishedAttempt = (await startOrResumeAttempt(database.db, staff, "test-module", new Date()))!;
  await answerEveryQuestion(database.db, staff, "test-module", finishedAttempt, new Date());
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
  signedHash = signed.record.hash;
  const earlier = await aSignature(database.db, one.staff, version, new Date("2026-01-02T09:00:00Z"));
  const withdrawn = await withdrawAttestation(
    database.db,
    asCurrentUser(one.hr, one.organisation),
    { reference: earlier.reference, reason: "Signed on a shared computer." },
    { ip: null, requestId: null, now: new Date() },
  );
  if (!withdrawn.ok) throw new Error("could not withdraw");
  withdrawnReference = earlier.reference;
  // The records' receipts exist once a checkpoint covers them.
  await checkpointLedger(database.db, one.organisation.id);
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
  [{ id: moduleUploadId }] = await database.db
    .insert(moduleUploads)
    .values({
      organisationId: one.organisation.id,
      uploadedBy: one.admin.id,
      fileName: "test-module.json",
      content,
      contentHash: moduleContentHash(content),
    })
    .returning({ id: moduleUploads.id });
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

  it("answers 404, not the data, when an admin acts on another organisation's person or team", async () => {
    const person = `/admin/people/${two.staff.id}`;
    for (const fields of [
      { intent: "password-link" } as Record<string, string>,
      { intent: "move", teamId: one.teamB.id },
      { intent: "role", role: "admin" },
      { intent: "name-champion", teamId: one.teamA.id },
      { intent: "remove-champion", teamId: two.teamA.id },
      { intent: "reactivate" },
    ])
      expect((await clients.admin.post(person, fields)).status, fields.intent).toBe(404);
    expect((await clients.admin.post(`${person}/deactivate`, {})).status).toBe(404);
    // Naming one of their own people champion of another council's team.
    expect(
      (await clients.admin.post(`/admin/people/${one.staff.id}`, { intent: "name-champion", teamId: two.teamA.id }))
        .status,
    ).toBe(404);
    expect((await clients.admin.post(`/admin/teams/${two.teamA.id}`, { name: "Taken over" })).status).toBe(404);
    expect(
      (
        await clients.admin.post(`/admin/teams/${two.teamA.id}`, {
          intent: "remove-champion",
          personId: two.champion.id,
        })
      ).status,
    ).toBe(404);
    expect((await clients.admin.post(`/admin/teams/${two.teamB.id}/close`, { moveTo: two.teamA.id })).status).toBe(404);
    const html = await (await clients.otherAdmin.get(`/admin/teams/${two.teamA.id}`)).text();
    expect(html).toContain(">Team A<");
    expect(html).toContain(two.champion.name);
  });

  it("answers 404 to anyone answering another person's attempt, and records nothing", async () => {
    const response = await clients.champion.post(`/training/test-module/attempts/${finishedAttempt}`, {
      scenarioId: "s1-v1",
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

  it("answers 404 to staff and HR posting to the admin pages", async () => {
    for (const visitor of ["staff", "hr", "champion"] as const) {
      expect((await clients[visitor].post(`/admin/people/${one.staff.id}/deactivate`, {})).status).toBe(404);
      expect(
        (await clients[visitor].post(`/admin/people/${one.staff.id}`, { intent: "role", role: "admin" })).status,
      ).toBe(404);
      expect((await clients[visitor].post("/admin/teams/new", { name: "Mine" })).status).toBe(404);
      expect((await clients[visitor].post("/admin/retention", { retention: "delete", months: "1" })).status).toBe(404);
      expect((await clients[visitor].post("/admin/ledger-witness", { email: "x@example.test" })).status).toBe(404);
      expect((await clients[visitor].post(`/admin/teams/${one.teamA.id}/close`, { moveTo: one.teamB.id })).status).toBe(
        404,
      );
    }
  });
});
