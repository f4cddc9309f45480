import validateStatement from "@learninglocker/xapi-validation";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withdrawAttestation } from "~/attestation/signing.server";
import { attempts } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aPerson,
  aPolicyVersion,
  aRequiredModule,
  aSignature,
  aTeam,
  anAnswer,
  anAttempt,
  anOrganisation,
  asCurrentUser,
} from "../../test/support/factories";
import { startExport, type ExportJob } from "./export.server";
import { parseReportFilters } from "./report.server";
import { ADL_VERBS, isoDuration, uuidV5, xapiVocabulary } from "./xapi.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-05-01T12:00:00Z");
const SERVICE = "https://smcoc.example";
const vocabulary = xapiVocabulary(SERVICE);

let org: Awaited<ReturnType<typeof anOrganisation>>;
let hr: Awaited<ReturnType<typeof aPerson>>;
let ada: Awaited<ReturnType<typeof aPerson>>;
let ben: Awaited<ReturnType<typeof aPerson>>;
let signedReference: string;

const job = (query = ""): ExportJob => {
  const parsed = parseReportFilters(new URLSearchParams(query), now);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  return {
    organisationId: org.id,
    filters: parsed.data,
    now,
    serviceUrl: SERVICE,
    actor: { userId: hr.id, via: "web" },
    request: { ip: null, requestId: null },
  };
};

async function statements(query = ""): Promise<{ text: string; lines: Record<string, unknown>[] }> {
  const started = await startExport(db, "xapi", job(query));
  if (!started.ok) throw new Error(started.reason);
  const parts: Buffer[] = [];
  for await (const chunk of started.chunks) parts.push(chunk);
  const text = Buffer.concat(parts).toString("utf8");
  return {
    text,
    lines: text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

beforeAll(async () => {
  org = await anOrganisation(db);
  const team = await aTeam(db, org.id, "Red");
  hr = await aPerson(db, {
    organisationId: org.id,
    teamId: team.id,
    role: "hr",
    name: "Harriet",
    startDate: "2026-01-05",
  });
  ada = await aPerson(db, { organisationId: org.id, teamId: team.id, name: "Ada", startDate: "2026-01-05" });
  ben = await aPerson(db, { organisationId: org.id, teamId: team.id, name: "Ben", startDate: "2026-01-05" });
  const required = await aRequiredModule(db, org.id, { title: "Personal use", slug: "personal-use" });
  const v1 = await aPolicyVersion(db, org.id, { label: "1", effectiveDate: "2026-01-01" });
  const failed = await anAttempt(db, ben, required, {
    status: "failed",
    startedAt: new Date("2026-02-01T09:00:00Z"),
    completedAt: new Date("2026-02-01T09:10:00Z"),
  });
  await anAnswer(db, failed, {
    step: 0,
    scenarioId: "q1",
    choiceId: "b",
    correct: false,
    at: new Date("2026-02-01T09:05:00Z"),
  });
  const passed = await anAttempt(db, ada, required, {
    status: "passed",
    startedAt: new Date("2026-02-03T09:00:00Z"),
    completedAt: new Date("2026-02-03T09:12:34.560Z"),
  });
  await anAnswer(db, passed, {
    step: 0,
    scenarioId: "q1",
    choiceId: "a",
    correct: true,
    at: new Date("2026-02-03T09:04:00Z"),
  });
  await anAnswer(db, passed, {
    step: 1,
    scenarioId: "q2",
    choiceId: "a",
    correct: true,
    at: new Date("2026-02-03T09:08:00Z"),
  });
  await db.update(attempts).set({ score: 2, answered: 2 }).where(eq(attempts.id, passed.id));
  await db.update(attempts).set({ score: 0, answered: 1 }).where(eq(attempts.id, failed.id));
  await anAttempt(db, ben, required, { status: "in_progress", startedAt: new Date("2026-04-20T09:00:00Z") });
  signedReference = (await aSignature(db, ada, v1, new Date("2026-02-04T10:00:00Z"))).reference;
  const bens = await aSignature(db, ben, v1, new Date("2026-02-05T10:00:00Z"));
  const withdrawn = await withdrawAttestation(
    db,
    asCurrentUser(hr, org),
    { reference: bens.reference, reason: "Signed on behalf of someone else" },
    { ip: null, requestId: null, now: new Date("2026-03-01T10:00:00Z") },
  );
  if (!withdrawn.ok) throw new Error("could not withdraw");
});

describe("UUID v5", () => {
  it("matches RFC 9562's example", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });
});

describe("ISO 8601 durations", () => {
  it("writes hours, minutes and seconds to the hundredth", () => {
    expect(isoDuration(754_560)).toBe("PT12M34.56S");
    expect(isoDuration(0)).toBe("PT0S");
    expect(isoDuration(3_600_000)).toBe("PT1H");
    expect(isoDuration(3_661_000)).toBe("PT1H1M1S");
  });
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DURATION = /^PT(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?$/;
const isIri = (value: unknown) => typeof value === "string" && /^https?:\/\/[^\s]+$/.test(value) && URL.canParse(value);
const isLanguageMap = (value: unknown) =>
  typeof value === "object" &&
  value !== null &&
  Object.entries(value).every(([k, v]) => /^[a-z]{2}(-[A-Z]{2})?$/.test(k) && typeof v === "string");

/** The xAPI 1.0.3 rules for each property these statements use (Data 2.4), checked one by one. */
function problemsWith(s: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const allowed = ["id", "actor", "verb", "object", "result", "context", "timestamp"];
  for (const key of Object.keys(s))
    if (!allowed.includes(key))
      problems.push(`unexpected property ${key} (stored, authority and version are the LRS's)`);
  if (!UUID.test(String(s.id))) problems.push("id is not a version 5 UUID");
  const actor = s.actor as { objectType: string; account?: { homePage: string; name: string }; mbox?: string };
  if (actor.objectType !== "Agent") problems.push("actor is not an Agent");
  const identifiers = ["mbox", "mbox_sha1sum", "openid", "account"].filter((k) => k in actor);
  if (identifiers.length !== 1) problems.push("actor must have exactly one inverse functional identifier");
  if (!actor.account || !isIri(actor.account.homePage) || !actor.account.name)
    problems.push("actor.account needs a homePage IRL and a name");
  const verb = s.verb as { id: string; display: unknown };
  if (!isIri(verb.id) || !isLanguageMap(verb.display)) problems.push("verb needs an IRI and a language map");
  const object = s.object as { objectType: string; id: string; definition?: Record<string, unknown> };
  if (object.objectType === "Activity") {
    if (!isIri(object.id)) problems.push("activity id is not an IRI");
    const d = object.definition ?? {};
    if (d.name !== undefined && !isLanguageMap(d.name)) problems.push("definition.name is not a language map");
    if (d.type !== undefined && !isIri(d.type)) problems.push("definition.type is not an IRI");
    if (d.interactionType !== undefined && d.type !== "http://adlnet.gov/expapi/activities/cmi.interaction")
      problems.push("interactionType needs the cmi.interaction type");
  } else if (object.objectType === "StatementRef") {
    if (!UUID.test(object.id)) problems.push("StatementRef id is not a UUID");
  } else problems.push(`unexpected object type ${object.objectType}`);
  const result = s.result as
    | {
        score?: { scaled: number; raw: number; min: number; max: number };
        success?: unknown;
        completion?: unknown;
        duration?: string;
        response?: unknown;
      }
    | undefined;
  if (result) {
    if (result.score) {
      const { scaled, raw, min, max } = result.score;
      if (!(scaled >= -1 && scaled <= 1)) problems.push("score.scaled outside -1..1");
      if (!(min <= raw && raw <= max && min < max))
        problems.push("score.raw must lie between min and max, min below max");
    }
    if (result.success !== undefined && typeof result.success !== "boolean")
      problems.push("result.success is not a boolean");
    if (result.completion !== undefined && typeof result.completion !== "boolean")
      problems.push("result.completion is not a boolean");
    if (result.duration !== undefined && !DURATION.test(result.duration))
      problems.push("result.duration is not an ISO 8601 duration");
    if (result.response !== undefined && typeof result.response !== "string")
      problems.push("result.response is not a string");
  }
  const context = s.context as
    | {
        registration?: string;
        platform?: string;
        revision?: string;
        language?: string;
        extensions?: Record<string, unknown>;
        contextActivities?: Record<string, { id: string }[]>;
      }
    | undefined;
  if (context) {
    if (context.registration !== undefined && !/^[0-9a-f-]{36}$/.test(context.registration))
      problems.push("registration is not a UUID");
    if (object.objectType !== "Activity" && (context.platform !== undefined || context.revision !== undefined))
      problems.push("platform and revision are for Activity objects only");
    if (context.language !== undefined && context.language !== "en-GB") problems.push("language is not a language tag");
    for (const key of Object.keys(context.extensions ?? {}))
      if (!isIri(key)) problems.push(`extension key ${key} is not an IRI`);
    for (const list of Object.values(context.contextActivities ?? {}))
      for (const a of list) if (!isIri(a.id)) problems.push("context activity id is not an IRI");
  }
  if (!TIMESTAMP.test(String(s.timestamp))) problems.push("timestamp is not ISO 8601 in UTC");
  return problems;
}

describe("xAPI statements", () => {
  it("are each valid by Learning Locker's validator and by every xAPI 1.0.3 rule they touch", async () => {
    const { lines, text } = await statements();
    expect(text.endsWith("\n")).toBe(true);
    expect(lines.length).toBeGreaterThan(0);
    for (const statement of lines) {
      expect(
        validateStatement(statement).map((w) => `${w.path.join(".")}: ${w.constructor.name}`),
        JSON.stringify(statement),
      ).toEqual([]);
      expect(problemsWith(statement), JSON.stringify(statement)).toEqual([]);
    }
  });

  it("say attempted, answered, completed, passed and failed with ADL verbs, and attested with the documented verb", async () => {
    const { lines } = await statements();
    const verbs = lines.map((s) => (s.verb as { id: string }).id);
    for (const verb of Object.values(ADL_VERBS)) expect(verbs).toContain(verb);
    expect(verbs).toContain(vocabulary.attested);
    expect(verbs).toContain(vocabulary.withdrew);
    const pass = lines.find((s) => (s.verb as { id: string }).id === ADL_VERBS.passed)!;
    expect(pass).toMatchObject({
      actor: { objectType: "Agent", account: { homePage: SERVICE, name: ada.id } },
      object: { objectType: "Activity", id: `${SERVICE}/training/personal-use` },
      result: {
        success: true,
        completion: true,
        score: { scaled: 1, raw: 2, min: 0, max: 2 },
        duration: "PT12M34.56S",
      },
      timestamp: "2026-02-03T09:12:34.560Z",
    });
    const answered = lines.filter((s) => (s.verb as { id: string }).id === ADL_VERBS.answered);
    expect(answered.map((s) => [(s.object as { id: string }).id, (s.result as { success: boolean }).success])).toEqual([
      [`${SERVICE}/training/personal-use/scenarios/q1`, false],
      [`${SERVICE}/training/personal-use/scenarios/q1`, true],
      [`${SERVICE}/training/personal-use/scenarios/q2`, true],
    ]);
    const attested = lines.find(
      (s) =>
        (s.context as { extensions?: Record<string, string> }).extensions?.[
          vocabulary.extension("ledger-reference")
        ] === signedReference,
    )!;
    expect(attested).toMatchObject({
      verb: { id: vocabulary.attested },
      context: { revision: "1" },
      timestamp: "2026-02-04T10:00:00.000Z",
    });
    const withdrawal = lines.find((s) => (s.verb as { id: string }).id === vocabulary.withdrew)!;
    expect(withdrawal).toMatchObject({
      actor: { account: { name: hr.id } },
      object: { objectType: "StatementRef" },
      result: { response: "Signed on behalf of someone else" },
    });
    const withdrawnId = (withdrawal.object as { id: string }).id;
    expect(lines.find((s) => s.id === withdrawnId)).toMatchObject({
      verb: { id: vocabulary.attested },
      actor: { account: { name: ben.id } },
    });
  });

  it("have ids from their source rows, so a second export is the same statements, byte for byte", async () => {
    const first = await statements();
    const second = await statements();
    expect(second.text).toBe(first.text);
    const ids = first.lines.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("cover only the people and period the filters select, as at the chosen day", async () => {
    // Completion dates select report rows completed then (Ada's: Ben's signature was withdrawn), and the statements of that period.
    const february = await statements("completedFrom=2026-02-03&completedTo=2026-02-28");
    expect(new Set(february.lines.map((s) => (s.actor as { account: { name: string } }).account.name))).toEqual(
      new Set([ada.id]),
    );
    expect(february.lines.every((s) => String(s.timestamp) >= "2026-02-03")).toBe(true);
    expect(february.lines.some((s) => (s.verb as { id: string }).id === vocabulary.withdrew)).toBe(false);
    const completeOnly = await statements("status=complete");
    expect(new Set(completeOnly.lines.map((s) => (s.actor as { account: { name: string } }).account.name))).toEqual(
      new Set([ada.id]),
    );
    const early = await statements("asAt=2026-02-01");
    expect(early.lines.every((s) => String(s.timestamp) < "2026-02-02")).toBe(true);
    expect(early.lines.map((s) => (s.verb as { id: string }).id)).toEqual([
      ADL_VERBS.attempted,
      ADL_VERBS.answered,
      ADL_VERBS.completed,
      ADL_VERBS.failed,
    ]);
  });
});
