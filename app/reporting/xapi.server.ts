import { createHash } from "node:crypto";
import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import { queryRows, type Db } from "~db/client.server";
import { organisations } from "~db/schema";
import type { ExportCounter } from "./export-csv.server";
import { streamRows } from "./export-rows.server";
import type { ReportFilters } from "./report.server";

/**
 * xAPI 1.0.3 statements (JSON lines) for a learning record store, made from the source rows behind the
 * report rows a filter selects: each attempt (attempted; completed; passed or failed, with its score), each
 * answer (answered), each ledger record (attested; a withdrawal refers to the attestation it withdraws), and each
 * training completed elsewhere (completed elsewhere). Exemptions are not statements: they say nothing was done.
 * Statement ids are UUID v5 of the source row's identity, so exporting again sends the same statements and
 * the record store keeps one of each. Verbs and identifiers: docs/decisions/0008-exports.md; identifiers that
 * do not depend on where an export was made, and the voiding of what the first rule sent:
 * docs/decisions/0020-readable-exports-and-stable-xapi.md.
 */

/** Fixed for ever: changing it would give every statement a new id, and a record store would hold each twice. */
export const STATEMENT_NAMESPACE = "3f0e5a52-6c1b-4d59-9a57-0d8f3c2b7e41";

/**
 * The rule statement ids and content follow. Rule 1 (until decision 0020) put identifiers under the address of
 * each export and copied withdrawal reasons; rule 2 names its statements `rule-2/...`, so none shares an id with a
 * rule 1 statement of other content, and voids every rule 1 statement an earlier export could have sent.
 */
export const XAPI_RULE = 2;
const RULE_PREFIX = `rule-${XAPI_RULE}/`;

/** A statement's id under the current rule, from its source row's identity. */
export const statementId = (identity: string) => uuidV5(`${RULE_PREFIX}${identity}`);
/** The id rule 1 gave the statement of that identity. */
export const rule1StatementId = (identity: string) => uuidV5(identity);

export const VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided";

export const ADL_VERBS = {
  attempted: "http://adlnet.gov/expapi/verbs/attempted",
  answered: "http://adlnet.gov/expapi/verbs/answered",
  completed: "http://adlnet.gov/expapi/verbs/completed",
  passed: "http://adlnet.gov/expapi/verbs/passed",
  failed: "http://adlnet.gov/expapi/verbs/failed",
} as const;

const LANGUAGE = "en-GB";
const PLATFORM = "Social media code of conduct";

/** RFC 9562 name-based UUID, version 5 (SHA-1). */
export function uuidV5(name: string, namespace: string = STATEMENT_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  if (ns.length !== 16) throw new Error("The namespace must be a UUID");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The identifiers an organisation's statements use, under its fixed base (organisations.xapi_iri_base). */
export function xapiVocabulary(serviceUrl: string) {
  const base = serviceUrl.replace(/\/+$/, "");
  return {
    base,
    attested: `${base}/xapi/verbs/attested`,
    withdrew: `${base}/xapi/verbs/withdrew`,
    /** Training completed elsewhere, recorded by HR: never a completion or pass of our module (decision 0021). */
    completedElsewhere: `${base}/xapi/verbs/completed-elsewhere`,
    earlierTraining: (id: string) => `${base}/earlier-training/${id}`,
    module: (slug: string) => `${base}/training/${encodeURIComponent(slug)}`,
    scenario: (slug: string, scenarioId: string) =>
      `${base}/training/${encodeURIComponent(slug)}/scenarios/${encodeURIComponent(scenarioId)}`,
    policyVersion: (id: string) => `${base}/code-of-conduct/versions/${id}`,
    extension: (name: string) => `${base}/xapi/extensions/${name}`,
  };
}

export type StatementSource = {
  source: "attempt_started" | "attempt_finished" | "answer" | "attestation" | "earlier_training";
  at: string;
  user_id: string;
  attempt_id: string | null;
  started_at: string | null;
  completed_at: string | null;
  attempt_status: "in_progress" | "passed" | "failed" | null;
  score: number | null;
  answered: number | null;
  module_slug: string | null;
  module_title: string | null;
  module_hash: string | null;
  step: number | null;
  scenario_id: string | null;
  choice_id: string | null;
  correct: boolean | null;
  reference: string | null;
  record_kind: "signed" | "withdrawn" | null;
  record_hash: string | null;
  policy_version_id: string | null;
  policy_version_label: string | null;
  policy_title: string | null;
  policy_sha256: string | null;
  subject_reference: string | null;
  actor_user_id: string | null;
  reason: string | null;
  earlier_training_id: string | null;
  description: string | null;
  evidence_sha256: string | null;
  recorded_at: string | null;
};

const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * The source rows for the people and requirements the report rows select, up to the report's moment and, when
 * completion dates are given, within them (London days). One row per attempt, answer and ledger record.
 */
export function statementSourcesQuery(
  rowsQuery: SQL,
  filters: Pick<ReportFilters, "completedFrom" | "completedTo">,
  at: Date,
): SQL {
  const period: SQL[] = [sql`src.at_ts <= ${at.toISOString()}::timestamptz`];
  if (filters.completedFrom)
    period.push(sql`(src.at_ts at time zone 'Europe/London')::date >= ${filters.completedFrom}::date`);
  if (filters.completedTo)
    period.push(sql`(src.at_ts at time zone 'Europe/London')::date <= ${filters.completedTo}::date`);
  return sql`
    with sel as (select distinct r.user_id, r.requirement_id from (${rowsQuery}) r),
    wanted as (
      select sel.user_id, sel.requirement_id, req.kind, req.module_id, req.policy_id
      from sel join requirements req on req.id = sel.requirement_id
    ),
    src as (
      -- Each attempt gives two rows: its start, and its end if it had ended by the report's moment.
      select case when ends.finished then 'attempt_finished' else 'attempt_started' end as source, case when ends.finished then 2 else 0 end as rank,
        case when ends.finished then a.completed_at else a.started_at end as at_ts, a.user_id, a.id as attempt_id, a.started_at,
        case when ends.finished then a.completed_at end as completed_at, a.status::text as attempt_status, a.score, a.answered,
        tm.slug as module_slug, mv.title as module_title, mv.content_hash as module_hash,
        null::int as step, null::text as scenario_id, null::text as choice_id, null::boolean as correct,
        null::text as reference, null::text as record_kind, null::text as record_hash, null::uuid as policy_version_id, null::text as policy_version_label,
        null::text as policy_title, null::text as policy_sha256, null::text as subject_reference, null::uuid as actor_user_id, null::text as reason,
        null::uuid as earlier_training_id, null::text as description, null::text as evidence_sha256, null::timestamptz as recorded_at
      from wanted w
      join attempts a on w.kind = 'module' and a.user_id = w.user_id and a.module_id = w.module_id
      cross join lateral (values (false), (true)) as ends(finished)
      join training_modules tm on tm.id = a.module_id
      join module_versions mv on mv.id = a.module_version_id
      where not ends.finished or (a.status <> 'in_progress' and a.completed_at <= ${at.toISOString()}::timestamptz)
      union all
      select 'answer', 1, e.at, a.user_id, a.id, a.started_at, null, null, null, null, tm.slug, mv.title, mv.content_hash,
        e.step, e.scenario_id, e.choice_id, e.correct, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null
      from wanted w
      join attempts a on w.kind = 'module' and a.user_id = w.user_id and a.module_id = w.module_id
      join attempt_events e on e.attempt_id = a.id
      join training_modules tm on tm.id = a.module_id
      join module_versions mv on mv.id = a.module_version_id
      union all
      select 'attestation', 3, t.recorded_at, t.user_id, null, null, null, null, null, null, null, null, null,
        null, null, null, null, t.reference, t.kind::text, t.hash, pv.id, pv.version_label, p.title, t.policy_sha256, t.subject_reference, t.actor_user_id, t.reason,
        null, null, null, null
      from wanted w
      join policy_versions pv on w.kind = 'policy' and pv.policy_id = w.policy_id
      join policies p on p.id = pv.policy_id
      join attestations t on t.user_id = w.user_id and t.policy_version_id = pv.id
      union all
      -- Training completed elsewhere for a module requirement: dated the London day it was completed, and counted
      -- only once recorded by the report's moment (docs/decisions/0021).
      select 'earlier_training', 4, (e.completed_on::timestamp at time zone 'Europe/London'), e.user_id, null, null, null, null, null, null,
        tm.slug, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        e.id, e.description, f.sha256, e.recorded_at
      from wanted w
      join earlier_training e on w.kind = 'module' and e.user_id = w.user_id and e.requirement_id = w.requirement_id
      join training_modules tm on tm.id = w.module_id
      join evidence_files f on f.id = e.evidence_file_id
      where e.recorded_at <= ${at.toISOString()}::timestamptz
    )
    select src.source, ${iso("src.at_ts")} as at, src.user_id::text, src.attempt_id::text, ${iso("src.started_at")} as started_at,
      ${iso("src.completed_at")} as completed_at, src.attempt_status, src.score, src.answered, src.module_slug, src.module_title, src.module_hash,
      src.step, src.scenario_id, src.choice_id, src.correct, src.reference, src.record_kind, src.record_hash, src.policy_version_id::text,
      src.policy_version_label, src.policy_title, src.policy_sha256, src.subject_reference, src.actor_user_id::text, src.reason,
      src.earlier_training_id::text, src.description, src.evidence_sha256, ${iso("src.recorded_at")} as recorded_at
    from src
    where ${sql.join(period, sql` and `)}
    order by src.at_ts, src.rank, src.user_id, src.attempt_id, src.step, src.reference, src.earlier_training_id
  `;
}

type Vocabulary = ReturnType<typeof xapiVocabulary>;

const agent = (v: Vocabulary, userId: string) => ({ objectType: "Agent", account: { homePage: v.base, name: userId } });
const verb = (id: string, display: string) => ({ id, display: { [LANGUAGE]: display } });

/** ISO 8601 duration, to the hundredth of a second as xAPI recommends. */
export function isoDuration(ms: number): string {
  const centis = Math.max(0, Math.round(ms / 10));
  const hours = Math.floor(centis / 360_000);
  const minutes = Math.floor((centis % 360_000) / 6000);
  const seconds = (centis % 6000) / 100;
  return `PT${hours ? `${hours}H` : ""}${minutes ? `${minutes}M` : ""}${seconds || (!hours && !minutes) ? `${seconds}S` : ""}`;
}

/** The statements one source row stands for (the end of an attempt stands for two: completed, then passed or failed). */
export function statementsFor(row: StatementSource, v: Vocabulary): Record<string, unknown>[] {
  if (row.source === "earlier_training") return [earlierTrainingStatement(row, v)];
  if (row.source === "attestation") {
    if (row.record_kind === "withdrawn") {
      return [
        {
          id: statementId(`attestation/${row.reference}`),
          actor: agent(v, row.actor_user_id ?? row.user_id),
          verb: verb(v.withdrew, "withdrew"),
          // The reason is free text HR typed (it may name people): it stays in the ledger, not in statements.
          object: { objectType: "StatementRef", id: statementId(`attestation/${row.subject_reference}`) },
          context: {
            language: LANGUAGE,
            extensions: {
              [v.extension("ledger-reference")]: row.reference,
              [v.extension("ledger-record-hash")]: row.record_hash,
            },
          },
          timestamp: row.at,
        },
      ];
    }
    return [
      {
        id: statementId(`attestation/${row.reference}`),
        actor: agent(v, row.user_id),
        verb: verb(v.attested, "attested"),
        object: {
          objectType: "Activity",
          id: v.policyVersion(row.policy_version_id!),
          definition: { name: { [LANGUAGE]: `${row.policy_title}, version ${row.policy_version_label}` } },
        },
        result: { completion: true, success: true },
        context: {
          revision: row.policy_version_label,
          platform: PLATFORM,
          language: LANGUAGE,
          extensions: {
            [v.extension("ledger-reference")]: row.reference,
            [v.extension("ledger-record-hash")]: row.record_hash,
            [v.extension("policy-sha256")]: row.policy_sha256,
          },
        },
        timestamp: row.at,
      },
    ];
  }
  const module = {
    objectType: "Activity",
    id: v.module(row.module_slug!),
    definition: { name: { [LANGUAGE]: row.module_title }, type: "http://adlnet.gov/expapi/activities/module" },
  };
  const context = {
    registration: row.attempt_id,
    platform: PLATFORM,
    language: LANGUAGE,
    extensions: { [v.extension("module-version")]: row.module_hash },
  };
  if (row.source === "answer") {
    return [
      {
        id: statementId(`attempt/${row.attempt_id}/answer/${row.step}`),
        actor: agent(v, row.user_id),
        verb: verb(ADL_VERBS.answered, "answered"),
        object: {
          objectType: "Activity",
          id: v.scenario(row.module_slug!, row.scenario_id!),
          definition: { type: "http://adlnet.gov/expapi/activities/cmi.interaction", interactionType: "choice" },
        },
        result: { success: row.correct, response: row.choice_id },
        context: { ...context, contextActivities: { parent: [{ objectType: "Activity", id: module.id }] } },
        timestamp: row.at,
      },
    ];
  }
  if (row.source === "attempt_started") {
    return [
      {
        id: statementId(`attempt/${row.attempt_id}/attempted`),
        actor: agent(v, row.user_id),
        verb: verb(ADL_VERBS.attempted, "attempted"),
        object: module,
        context,
        timestamp: row.at,
      },
    ];
  }
  const statements: Record<string, unknown>[] = [];
  if (row.attempt_status === "passed" || row.attempt_status === "failed") {
    const answered = Number(row.answered ?? 0);
    const raw = Number(row.score ?? 0);
    // xAPI wants max above min: an attempt with no answers has no score.
    const score = answered > 0 ? { score: { scaled: raw / answered, raw, min: 0, max: answered } } : {};
    const duration = isoDuration(Date.parse(row.completed_at!) - Date.parse(row.started_at!));
    const success = row.attempt_status === "passed";
    statements.push(
      {
        id: statementId(`attempt/${row.attempt_id}/completed`),
        actor: agent(v, row.user_id),
        verb: verb(ADL_VERBS.completed, "completed"),
        object: module,
        result: { completion: true, ...score, duration },
        context,
        timestamp: row.completed_at,
      },
      {
        id: statementId(`attempt/${row.attempt_id}/result`),
        actor: agent(v, row.user_id),
        verb: success ? verb(ADL_VERBS.passed, "passed") : verb(ADL_VERBS.failed, "failed"),
        object: module,
        result: { success, completion: true, ...score, duration },
        context,
        timestamp: row.completed_at,
      },
    );
  }
  return statements;
}

/**
 * Training completed elsewhere, as what it is: its own verb and its own activity (named by what HR recorded it was),
 * never our module's completed or passed, so a record store never counts it as a pass of our module. The module it
 * counts for is a context activity; the evidence file is named by its sha256. Every part is fixed once recorded
 * (the table is append-only), so the same id always carries the same content. docs/decisions/0020.
 */
function earlierTrainingStatement(row: StatementSource, v: Vocabulary): Record<string, unknown> {
  return {
    id: statementId(`earlier-training/${row.earlier_training_id}`),
    actor: agent(v, row.user_id),
    verb: verb(v.completedElsewhere, "completed elsewhere"),
    object: {
      objectType: "Activity",
      id: v.earlierTraining(row.earlier_training_id!),
      definition: {
        name: { [LANGUAGE]: row.description },
        type: "http://adlnet.gov/expapi/activities/course",
      },
    },
    // Completion only: it was not a pass of anything the service can score.
    result: { completion: true },
    context: {
      language: LANGUAGE,
      contextActivities: { other: [{ objectType: "Activity", id: v.module(row.module_slug!) }] },
      extensions: {
        [v.extension("evidence-sha256")]: row.evidence_sha256,
        [v.extension("recorded-at")]: row.recorded_at,
      },
    },
    timestamp: row.at,
  };
}

/**
 * The identities rule 1 gave the statements of one source row, with the actor each named: the same
 * statements as now, under their rule 1 ids.
 */
export function rule1Identities(row: StatementSource): { identity: string; actorId: string }[] {
  // Rule 1 never made statements of training completed elsewhere.
  if (row.source === "earlier_training") return [];
  if (row.source === "attestation")
    return [
      {
        identity: `attestation/${row.reference}`,
        actorId: row.record_kind === "withdrawn" ? (row.actor_user_id ?? row.user_id) : row.user_id,
      },
    ];
  if (row.source === "answer")
    return [{ identity: `attempt/${row.attempt_id}/answer/${row.step}`, actorId: row.user_id }];
  if (row.source === "attempt_started")
    return [{ identity: `attempt/${row.attempt_id}/attempted`, actorId: row.user_id }];
  if (row.attempt_status !== "passed" && row.attempt_status !== "failed") return [];
  return [
    { identity: `attempt/${row.attempt_id}/completed`, actorId: row.user_id },
    { identity: `attempt/${row.attempt_id}/result`, actorId: row.user_id },
  ];
}

/**
 * Voiding statements for the rule 1 statements of a source row that an export under rule 1 could have sent
 * (its moment at or before the last such export's "as at" moment). Their ids and content are fixed, so
 * exporting again sends the same ones; voiding an id a record store never received is allowed (xAPI 1.0.3,
 * Data 2.3.2: the LRS should not reject it).
 */
export function voidingStatementsFor(
  row: StatementSource,
  v: Vocabulary,
  rule1Until: string,
): Record<string, unknown>[] {
  return rule1Identities(row).map(({ identity, actorId }) => ({
    id: statementId(`void/${identity}`),
    actor: agent(v, actorId),
    verb: verb(VOIDED_VERB, "voided"),
    object: { objectType: "StatementRef", id: rule1StatementId(identity) },
    timestamp: rule1Until,
  }));
}

/**
 * The base of an organisation's identifiers: the one it has, or else this address, kept from now on. The
 * update only fills an empty base (a trigger refuses any change to a set one), so two first exports at once
 * agree on one.
 */
export async function xapiIriBase(db: Db, organisationId: string, serviceUrl: string): Promise<string> {
  const base = serviceUrl.replace(/\/+$/, "");
  await db
    .update(organisations)
    .set({ xapiIriBase: base })
    .where(and(eq(organisations.id, organisationId), isNull(organisations.xapiIriBase)));
  const [org] = await db
    .select({ base: organisations.xapiIriBase })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  return org?.base ?? base;
}

/**
 * The latest "as at" moment of an xAPI export made under rule 1 (an audited xAPI export or evidence pack whose
 * entry names no rule), or null if there was none: statements of source rows after it were never sent under rule 1.
 */
export async function rule1ExportedUntil(db: Db, organisationId: string): Promise<string | null> {
  const [row] = await queryRows<{ until: string | null }>(
    db,
    sql`select to_char(max(coalesce((details->>'asAt')::timestamptz, at)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as until
      from audit_log
      where organisation_id = ${organisationId}::uuid
        and (action = 'evidence-pack.exported' or (action = 'report.exported' and details->>'format' = 'xapi'))
        and details->'xapiRule' is null`,
  );
  return row?.until ?? null;
}

/** Statements as JSON lines, one per line, in the order of their source rows' times. */
export async function* xapiChunks(
  db: Db,
  organisationId: string,
  rowsQuery: SQL,
  filters: Pick<ReportFilters, "completedFrom" | "completedTo">,
  at: Date,
  serviceUrl: string,
  counter: ExportCounter,
): AsyncGenerator<Buffer> {
  const v = xapiVocabulary(await xapiIriBase(db, organisationId, serviceUrl));
  const rule1Until = await rule1ExportedUntil(db, organisationId);
  for await (const rows of streamRows<StatementSource>(db, statementSourcesQuery(rowsQuery, filters, at), 250)) {
    let text = "";
    for (const row of rows) {
      const voiding = rule1Until !== null && row.at <= rule1Until ? voidingStatementsFor(row, v, rule1Until) : [];
      for (const statement of [...voiding, ...statementsFor(row, v)]) {
        text += `${JSON.stringify(statement)}\n`;
        counter.rows++;
      }
    }
    yield Buffer.from(text, "utf8");
  }
}
