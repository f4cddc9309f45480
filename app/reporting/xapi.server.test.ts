import validateStatement from "@learninglocker/xapi-validation";
import { createHash, randomBytes } from "node:crypto";
import { eq, inArray, sql } from "drizzle-orm";
import postgres from "postgres";
import { beforeAll, describe, expect, it } from "vitest";
import { withdrawAttestation } from "~/attestation/signing.server";
import { writeAudit } from "~/audit/audit.server";
import { openDatabase } from "~db/client.server";
import { recordEarlierTraining } from "~/tracking/earlier-training.server";
import { recordExemption } from "~/tracking/exemptions.server";
import { ALL_REQUIREMENTS, exemptionSchema } from "~/tracking/forms";
import { attempts, auditLog, earlierTraining, organisations } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { collect } from "../../test/support/streams";
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
import { ADL_VERBS, isoDuration, uuidV5, VOIDED_VERB, xapiIriBase, xapiVocabulary } from "./xapi.server";

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

const job = (query = "", serviceUrl = SERVICE): ExportJob => {
  const parsed = parseReportFilters(new URLSearchParams(query), now);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  return {
    organisationId: org.id,
    filters: parsed.data,
    now,
    serviceUrl,
    actor: { userId: hr.id, via: "web" },
    request: { ip: null, requestId: null },
  };
};

async function statements(
  query = "",
  serviceUrl = SERVICE,
): Promise<{ text: string; lines: Record<string, unknown>[] }> {
  const started = await startExport(db, "xapi", job(query, serviceUrl));
  if (!started.ok) throw new Error(started.reason);
  const text = (await collect(started.chunks)).toString("utf8");
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
    });
    // The free-text reason stays in the ledger: statements leave the record store's readers no room for it.
    expect(withdrawal).not.toHaveProperty("result");
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

describe("xAPI identifiers", () => {
  it("do not depend on the address an export is made from: the organisation's first one is kept", async () => {
    const first = await statements();
    const [row] = await db
      .select({ base: organisations.xapiIriBase })
      .from(organisations)
      .where(eq(organisations.id, org.id));
    expect(row.base).toBe(SERVICE);
    // Another SERVICE_URL, or the request's own address: the same statements, byte for byte.
    expect((await statements("", "http://localhost:3000")).text).toBe(first.text);
    expect((await statements("", "https://moved.example/")).text).toBe(first.text);
    expect(first.text).not.toContain("localhost");
    expect(first.text).not.toContain("moved.example");
    expect(first.text).not.toContain("Signed on behalf of someone else");
  });

  it("are fixed in the database: a set base cannot be changed", async () => {
    await expect(
      db.update(organisations).set({ xapiIriBase: "https://other.example" }).where(eq(organisations.id, org.id)),
    ).rejects.toThrow();
    const [row] = await db
      .select({ base: organisations.xapiIriBase })
      .from(organisations)
      .where(eq(organisations.id, org.id));
    expect(row.base).toBe(SERVICE);
  });

  it.runIf(database.kind === "postgres")(
    "are fixed under the production role of docs/ledger.md too: it sets a council's base once and cannot change it",
    async () => {
      const role = `smcoc_app_${randomBytes(4).toString("hex")}`;
      const owner = postgres(database.url!, { max: 1, onnotice: () => {} });
      // The grants docs/ledger.md gives the app's role (it does not own the tables, so it cannot disable triggers).
      await owner.unsafe(
        `CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA public TO ${role}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}; GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`,
      );
      const url = new URL(database.url!);
      url.username = role;
      const asApp = await openDatabase({ url: url.toString(), maxConnections: 1 });
      try {
        const fresh = await anOrganisation(db);
        expect(await xapiIriBase(asApp.db, fresh.id, "https://first.example/")).toBe("https://first.example");
        expect(await xapiIriBase(asApp.db, fresh.id, "https://second.example")).toBe("https://first.example");
        await expect(
          asApp.db.update(organisations).set({ xapiIriBase: null }).where(eq(organisations.id, fresh.id)),
        ).rejects.toThrow();
        await expect(asApp.db.execute(sql`alter table organisations disable trigger all`)).rejects.toThrow();
      } finally {
        await asApp.close();
        await owner.unsafe(
          `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}; REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${role}; REVOKE ALL ON SCHEMA public FROM ${role}; DROP ROLE ${role}`,
        );
        await owner.end();
      }
    },
  );

  it("changed with the content: no statement shares an id with what rule 1 made of the same row", async () => {
    const { lines } = await statements();
    const ids = new Set(lines.map((s) => s.id));
    expect(ids.has(uuidV5(`attestation/${signedReference}`))).toBe(false);
    const attested = lines.find(
      (s) =>
        (s.context as { extensions?: Record<string, string> } | undefined)?.extensions?.[
          vocabulary.extension("ledger-reference")
        ] === signedReference,
    )!;
    expect(attested.id).toBe(uuidV5(`rule-2/attestation/${signedReference}`));
  });
});

describe("xAPI voiding of statements an earlier rule sent", () => {
  it("is not in an export when no export was made under rule 1", async () => {
    const { lines } = await statements();
    expect(lines.some((s) => (s.verb as { id: string }).id === VOIDED_VERB)).toBe(false);
    const exportsSoFar = await db.select().from(auditLog).where(eq(auditLog.action, "report.exported"));
    expect(exportsSoFar.length).toBeGreaterThan(0);
    for (const entry of exportsSoFar) expect(entry.details).toMatchObject({ format: "xapi", xapiRule: 2 });
  });

  it("voids each rule 1 statement an earlier export could have sent, and nothing after it", async () => {
    // An export made under rule 1 (its audit entry names no rule), as at the end of 3 February 2026.
    await writeAudit(
      db,
      {
        action: "report.exported",
        organisationId: org.id,
        actorUserId: hr.id,
        subjectType: "organisation",
        subjectId: org.id,
        details: { format: "xapi", filters: {}, asAt: "2026-02-03T23:59:59.999Z", outcome: "completed" },
      },
      { ip: null, requestId: null },
    );
    const { lines, text } = await statements();
    const voiding = lines.filter((s) => (s.verb as { id: string }).id === VOIDED_VERB);
    const voided = new Set(voiding.map((s) => (s.object as { id: string }).id));
    // Rule 1's ids, as it made them (UUID v5 of the row's identity), for the rows up to 3 February.
    const rows = await db
      .select()
      .from(attempts)
      .where(inArray(attempts.userId, [ada.id, ben.id]));
    const early = rows.filter((a) => a.startedAt <= new Date("2026-02-03T23:59:59.999Z"));
    expect(early.length).toBe(2);
    for (const a of early) expect(voided).toContain(uuidV5(`attempt/${a.id}/attempted`));
    const adas = early.find((a) => a.userId === ada.id)!;
    const bens = early.find((a) => a.userId === ben.id)!;
    for (const identity of [
      `attempt/${bens.id}/completed`,
      `attempt/${bens.id}/result`,
      `attempt/${bens.id}/answer/0`,
      `attempt/${adas.id}/completed`,
      `attempt/${adas.id}/answer/1`,
    ])
      expect(voided).toContain(uuidV5(identity));
    // Signed on 4 February and later: never sent under rule 1, so not voided.
    expect(voided).not.toContain(uuidV5(`attestation/${signedReference}`));
    expect(voiding).toHaveLength(voided.size);
    for (const statement of voiding) {
      expect(validateStatement(statement).map((w) => `${w.path.join(".")}: ${w.constructor.name}`)).toEqual([]);
      expect(problemsWith(statement), JSON.stringify(statement)).toEqual([]);
      expect(statement).toMatchObject({
        object: { objectType: "StatementRef" },
        timestamp: "2026-02-03T23:59:59.999Z",
      });
      // A voiding statement is never itself a rule 1 id, nor the id of a statement of this export.
      expect(voided.has(String(statement.id))).toBe(false);
    }
    // Each rule 1 statement is voided once, and the new statements are all still there under new ids.
    const others = lines.filter((s) => (s.verb as { id: string }).id !== VOIDED_VERB);
    for (const s of others) expect(voided.has(String(s.id))).toBe(false);
    // The same file when exported again, from anywhere: a record store keeps one of each.
    expect((await statements("", "http://localhost:3000")).text).toBe(text);
  });
});

describe("xAPI statements of exemptions and training completed elsewhere", () => {
  it("say training completed elsewhere with its own verb, never completed or passed, and nothing of an exemption", async () => {
    const council = await anOrganisation(db);
    const office = await aTeam(db, council.id, "Office");
    const required = await aRequiredModule(db, council.id, { title: "Personal use", slug: "personal-use" });
    const hrUser = asCurrentUser(
      await aPerson(db, { organisationId: council.id, teamId: office.id, role: "hr", startDate: "2026-01-05" }),
      council,
    );
    const cleo = await aPerson(db, { organisationId: council.id, teamId: office.id, startDate: "2026-01-05" });
    const dan = await aPerson(db, { organisationId: council.id, teamId: office.id, startDate: "2026-01-05" });
    const evidence = new TextEncoder().encode("%PDF-1.4\nclassroom\n%%EOF\n");
    const recorded = await recordEarlierTraining(
      db,
      hrUser,
      cleo.id,
      {
        requirementId: required.requirement.id,
        // In British Summer Time: the day starts at 23:00 UTC the day before.
        completedOn: "2026-04-10",
        description: "Classroom course at Barset Council",
        file: { name: "certificate.pdf", bytes: evidence },
      },
      { ip: null, requestId: null, now: new Date("2026-04-12T10:00:00Z") },
    );
    expect(recorded.ok).toBe(true);
    const exempt = await recordExemption(
      db,
      hrUser,
      dan.id,
      exemptionSchema.parse({
        requirementId: ALL_REQUIREMENTS,
        reason: "parental_leave",
        startsOn: "2026-02-01",
        approvedBy: "Head of HR",
      }),
      { ip: null, requestId: null, now: new Date("2026-01-20T10:00:00Z") },
    );
    expect(exempt.ok).toBe(true);
    const [earlier] = await db.select().from(earlierTraining).where(eq(earlierTraining.userId, cleo.id));
    const exportOf = async (query = "", serviceUrl = SERVICE) => {
      const parsed = parseReportFilters(new URLSearchParams(query), now);
      if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
      const started = await startExport(db, "xapi", {
        organisationId: council.id,
        filters: parsed.data,
        now,
        serviceUrl,
        actor: { userId: hrUser.id, via: "web" },
        request: { ip: null, requestId: null },
      });
      if (!started.ok) throw new Error(started.reason);
      const text = (await collect(started.chunks)).toString("utf8");
      return {
        text,
        lines: text
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      };
    };
    const { text, lines } = await exportOf();
    expect(lines).toEqual([
      {
        id: uuidV5(`rule-2/earlier-training/${earlier.id}`),
        actor: { objectType: "Agent", account: { homePage: SERVICE, name: cleo.id } },
        verb: { id: `${SERVICE}/xapi/verbs/completed-elsewhere`, display: { "en-GB": "completed elsewhere" } },
        object: {
          objectType: "Activity",
          id: `${SERVICE}/earlier-training/${earlier.id}`,
          definition: {
            name: { "en-GB": "Classroom course at Barset Council" },
            type: "http://adlnet.gov/expapi/activities/course",
          },
        },
        result: { completion: true },
        context: {
          language: "en-GB",
          contextActivities: { other: [{ objectType: "Activity", id: `${SERVICE}/training/personal-use` }] },
          extensions: {
            [vocabulary.extension("evidence-sha256")]: createHash("sha256").update(evidence).digest("hex"),
            [vocabulary.extension("recorded-at")]: earlier.recordedAt.toISOString(),
          },
        },
        timestamp: "2026-04-09T23:00:00.000Z",
      },
    ]);
    expect(vocabulary.completedElsewhere).toBe(`${SERVICE}/xapi/verbs/completed-elsewhere`);
    for (const statement of lines) {
      expect(validateStatement(statement).map((w) => `${w.path.join(".")}: ${w.constructor.name}`)).toEqual([]);
      expect(problemsWith(statement), JSON.stringify(statement)).toEqual([]);
    }
    // Exempt Dan did nothing and is owed nothing: no statement names him (not failed, not attempted).
    expect(text).not.toContain(dan.id);
    // The same bytes from another address, and none as at a day before the training was recorded.
    expect((await exportOf("", "http://localhost:3000")).text).toBe(text);
    expect((await exportOf("asAt=2026-04-11")).lines).toEqual([]);
    expect((await exportOf("status=exempt")).lines).toEqual([]);
  });
});
