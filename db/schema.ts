import { sql } from "drizzle-orm";
import {
  type ExtraConfigColumn,
  bigint,
  bigserial,
  boolean,
  date,
  index,
  inet,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  check,
  customType,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const roleEnum = pgEnum("role", ["staff", "hr", "admin"]);
export type Role = (typeof roleEnum.enumValues)[number];

/** What a person search reads of a user, in the form the search index (users_search_idx) was built on. */
export const PERSON_SEARCH_TEXT = sql.raw("(name || ' ' || coalesce(email, '') || ' ' || employee_number)");

/** A point in time: timestamptz, read as a Date. */
const instant = (name: string) => timestamp(name, { withTimezone: true });
const createdAt = () => instant("created_at").notNull().defaultNow();
const id = () => uuid("id").primaryKey().defaultRandom();
/** The council a row belongs to. */
const organisationId = () =>
  uuid("organisation_id")
    .notNull()
    .references(() => organisations.id);
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/** How often someone overdue gets the automatic reminder: every day, or once a week (due soon is always daily). */
export const reminderRhythmEnum = pgEnum("reminder_rhythm", ["daily", "weekly"]);
export type ReminderRhythm = (typeof reminderRhythmEnum.enumValues)[number];

export const organisations = pgTable("organisations", {
  id: id(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  /** A requirement counts as due soon this many days before its due date. */
  dueSoonDays: integer("due_soon_days").notNull().default(14),
  /** Champions' weekly summary lists people overdue by more than this many days. */
  escalationOverdueDays: integer("escalation_overdue_days").notNull().default(14),
  /**
   * The base of the organisation's xAPI identifiers: the service's address when it first exported statements,
   * kept for ever (a trigger refuses a change), so a statement's content never depends on where an export was
   * made from (docs/decisions/0020-readable-exports-and-stable-xapi.md).
   */
  xapiIriBase: text("xapi_iri_base"),
  reminderRhythm: reminderRhythmEnum("reminder_rhythm").notNull().default("daily"),
  /**
   * Months after a person leaves when stored evidence files (earlier training) and roster uploads naming them are
   * deleted, their hashes and the records citing them kept (docs/decisions/0021); null keeps them.
   */
  evidenceRetentionMonths: integer("evidence_retention_months"),
  /** Where each day's signed checkpoint of the council's ledger is e-mailed (HR, internal audit); null: nowhere. */
  witnessEmail: text("witness_email"),
  createdAt: createdAt(),
});

export const teams = pgTable(
  "teams",
  {
    id: id(),
    organisationId: organisationId(),
    name: text("name").notNull(),
    createdAt: createdAt(),
    /**
     * The London day an admin closed it: nobody can join it from then, and it leaves the lists of current
     * teams, but its row, its dated memberships and its name stay, so reports as at an earlier date still show it.
     */
    closedOn: date("closed_on", { mode: "string" }),
  },
  (t) => [uniqueIndex("teams_organisation_name_key").on(t.organisationId, t.name)],
);

export const users = pgTable(
  "users",
  {
    id: id(),
    organisationId: organisationId(),
    teamId: uuid("team_id").references(() => teams.id),
    role: roleEnum("role").notNull().default("staff"),
    employeeNumber: text("employee_number").notNull(),
    name: text("name").notNull(),
    /** Null for a person without a work e-mail address: they are known by their employee number (decision 0025). */
    email: text("email"),
    passwordHash: text("password_hash"),
    /** A person without a password here signs with this passphrase where their provider cannot prove a fresh sign-in (decision 0022). */
    signingPassphraseHash: text("signing_passphrase_hash"),
    startDate: date("start_date", { mode: "string" }).notNull(),
    leavingDate: date("leaving_date", { mode: "string" }),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: instant("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("users_email_key").on(sql`lower(${t.email})`),
    uniqueIndex("users_organisation_employee_number_key").on(t.organisationId, t.employeeNumber),
    index("users_team_idx").on(t.teamId),
    // An admin's person search (docs/decisions/0017): every word of a name, e-mail and employee number as a
    // prefix-searchable lexeme. The expression must match personSearchDocument in app/people/people-search.server.ts.
    index("users_search_idx").using("gin", sql`to_tsvector('simple'::regconfig, ${PERSON_SEARCH_TEXT})`),
  ],
);

export const teamChampions = pgTable(
  "team_champions",
  {
    teamId: uuid("team_id")
      .notNull()
      .references(() => teams.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("team_champions_user_idx").on(t.userId)],
);

/**
 * Who was in which team, and when (calendar days in Europe/London): a move closes one membership and opens
 * another, so reports "as at" a past date count people where they were then. users.team_id is the open one.
 */
export const teamMemberships = pgTable(
  "team_memberships",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    teamId: uuid("team_id")
      .notNull()
      .references(() => teams.id),
    startedOn: date("started_on", { mode: "string" }).notNull(),
    endedOn: date("ended_on", { mode: "string" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("team_memberships_team_idx").on(t.teamId, t.startedOn),
    index("team_memberships_user_idx").on(t.userId, t.startedOn),
    uniqueIndex("team_memberships_one_open_key")
      .on(t.userId)
      .where(sql`ended_on is null`),
    check("team_memberships_dates_check", sql`${t.endedOn} is null or ${t.endedOn} >= ${t.startedOn}`),
  ],
);

/** Server-side sessions: the cookie carries a random token; only its sha256 is stored. */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    lastSeenAt: instant("last_seen_at").notNull().defaultNow(),
    expiresAt: instant("expires_at").notNull(),
    revokedAt: instant("revoked_at"),
    ip: inet("ip"),
    userAgent: text("user_agent"),
    /** How the session began: "password" or "provider" (the council's OpenID provider). */
    method: text("method").notNull().default("password"),
    /** When the council's provider last proved a fresh authentication of this session's person (auth_time checked). */
    providerReauthAt: instant("provider_reauth_at"),
    /**
     * An assisted session (decision 0025): user_id is the person signing on a shared device, this is the champion
     * or HR officer witnessing, and assisted_code_id the one-time code that opened it. Null for any other session.
     */
    witnessUserId: uuid("witness_user_id").references(() => users.id),
    assistedCodeId: uuid("assisted_code_id").references(() => assistedCodes.id),
    /** The record the assisted session signed: from then on it reaches only that record, until Finish. */
    assistedReference: text("assisted_reference"),
  },
  (t) => [
    index("sessions_user_idx").on(t.userId),
    check("sessions_assisted_check", sql`(${t.witnessUserId} is null) = (${t.assistedCodeId} is null)`),
  ],
);

/**
 * One-time codes for assisted signing (decision 0025): issued to a person by an HR officer or admin, printed or read
 * out, and typed by the person on a shared device to open an assisted session that someone else witnesses. Stored
 * hashed; single use; issuing a new code supersedes the person's earlier unused ones.
 */
export const assistedCodes = pgTable(
  "assisted_codes",
  {
    id: id(),
    organisationId: organisationId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    issuedBy: uuid("issued_by")
      .notNull()
      .references(() => users.id),
    codeHash: text("code_hash").notNull().unique(),
    issuedAt: instant("issued_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
    /** When it opened an assisted session; a used code never opens another. */
    usedAt: instant("used_at"),
    usedBySession: text("used_by_session"),
    /** When a newer code for the same person replaced it unused. */
    supersededAt: instant("superseded_at"),
  },
  (t) => [index("assisted_codes_user_idx").on(t.userId, t.issuedAt)],
);

export const providerKindEnum = pgEnum("provider_kind", ["entra", "google", "oidc"]);
export type ProviderKind = (typeof providerKindEnum.enumValues)[number];

/**
 * A council's OpenID Connect provider (decision 0022). The client secret is never stored in plain text: either the
 * name of an environment variable holding it, or the secret encrypted with SSO_SECRET_KEY.
 */
export const identityProviders = pgTable(
  "identity_providers",
  {
    organisationId: uuid("organisation_id")
      .primaryKey()
      .references(() => organisations.id),
    kind: providerKindEnum("kind").notNull(),
    displayName: text("display_name").notNull(),
    issuer: text("issuer").notNull(),
    /** Entra only: the council's tenant id, pinned; the issuer must name it exactly. */
    tenantId: text("tenant_id"),
    clientId: text("client_id").notNull(),
    clientSecretEnv: text("client_secret_env"),
    clientSecretEncrypted: text("client_secret_encrypted"),
    emailDomains: text("email_domains").array().notNull(),
    /** Whether staff may still sign in with a password here; admins with a password always may (break-glass). */
    passwordSignIn: boolean("password_sign_in").notNull().default(true),
    /** Whether the provider sends auth_time (Entra: the optional claim turned on), so signing can ask it to re-authenticate. */
    provesFreshAuth: boolean("proves_fresh_auth").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: instant("updated_at").notNull().defaultNow(),
  },
  (t) => [
    check(
      "identity_providers_one_secret_check",
      sql`(${t.clientSecretEnv} is null) <> (${t.clientSecretEncrypted} is null)`,
    ),
    check("identity_providers_entra_tenant_check", sql`${t.kind} <> 'entra' or ${t.tenantId} is not null`),
    check("identity_providers_google_fresh_check", sql`${t.kind} <> 'google' or not ${t.provesFreshAuth}`),
  ],
);

/** A person's account at their council's provider: Entra `tid:oid`, elsewhere `sub`. Linked on the first sign-in. */
export const userIdentities = pgTable(
  "user_identities",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    organisationId: organisationId(),
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    linkedAt: createdAt(),
  },
  (t) => [
    uniqueIndex("user_identities_issuer_subject_key").on(t.issuer, t.subject),
    uniqueIndex("user_identities_user_issuer_key").on(t.userId, t.issuer),
  ],
);

/** Failed and successful sign-in (and password link) requests, for throttling across restarts and servers. */
export const authAttempts = pgTable(
  "auth_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind", { enum: ["sign-in", "password-link"] }).notNull(),
    email: text("email").notNull(),
    ip: inet("ip"),
    succeeded: boolean("succeeded").notNull(),
    /** The known device (docs/decisions/0013) the attempt came from, or null for any other browser. */
    device: text("device"),
    at: instant("at").notNull().defaultNow(),
  },
  (t) => [
    index("auth_attempts_email_idx").on(t.kind, t.email, t.at),
    index("auth_attempts_ip_idx").on(t.kind, t.ip, t.at),
  ],
);

/** One-time links to set or reset a password: single use, expiring, stored hashed. */
export const passwordTokens = pgTable(
  "password_tokens",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    tokenHash: text("token_hash").notNull().unique(),
    purpose: text("purpose", { enum: ["set", "reset"] }).notNull(),
    createdAt: createdAt(),
    expiresAt: instant("expires_at").notNull(),
    usedAt: instant("used_at"),
  },
  (t) => [index("password_tokens_user_idx").on(t.userId)],
);

/**
 * E-mail waiting to be sent, drained in the background by the server process and by `npm run reminders`, so that
 * no request waits on a mail server, and /forgot-password answers before any work that depends on the account.
 * A job is deleted once done; one that keeps failing stays, with its last error, after MAIL_JOB_TRIES.
 */
export const mailJobs = pgTable(
  "mail_jobs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind", { enum: ["password-reset", "mail"] }).notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    runAfter: instant("run_after").notNull().defaultNow(),
    tries: integer("tries").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [index("mail_jobs_run_after_idx").on(t.runAfter)],
);

/**
 * A change of a person's e-mail address asked for by a roster import: it hands the account to whoever reads the
 * new address (a password reset), so an administrator confirms it; the old address is told. At most one pending
 * change a person; a decided one is kept as the record of who asked and who decided.
 */
export const emailChanges = pgTable(
  "email_changes",
  {
    id: id(),
    organisationId: organisationId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    /** Null when the person had no address: adding one hands over the account just as changing one does. */
    fromEmail: text("from_email"),
    toEmail: text("to_email").notNull(),
    requestedBy: uuid("requested_by")
      .notNull()
      .references(() => users.id),
    rosterUploadId: uuid("roster_upload_id").references(() => rosterUploads.id),
    requestedAt: instant("requested_at").notNull(),
    decision: text("decision", { enum: ["confirmed", "rejected", "replaced"] }),
    decidedBy: uuid("decided_by").references(() => users.id),
    decidedAt: instant("decided_at"),
  },
  (t) => [
    uniqueIndex("email_changes_one_pending_key")
      .on(t.userId)
      .where(sql`decided_at is null`),
    index("email_changes_organisation_idx").on(t.organisationId, t.requestedAt),
  ],
);

/** Append-only: database triggers refuse UPDATE, DELETE and TRUNCATE (see the migration). */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    organisationId: uuid("organisation_id").references(() => organisations.id),
    actorUserId: uuid("actor_user_id").references(() => users.id),
    action: text("action").notNull(),
    subjectType: text("subject_type"),
    subjectId: text("subject_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    ip: inet("ip"),
    requestId: text("request_id"),
    at: instant("at").notNull().defaultNow(),
  },
  (t) => [
    index("audit_log_organisation_at_idx").on(t.organisationId, t.at),
    // The admin's audit log page: its "what" filter (and the list of actions it offers), and its "who" filter.
    index("audit_log_organisation_action_at_idx").on(t.organisationId, t.action, t.at),
    index("audit_log_organisation_actor_at_idx").on(t.organisationId, t.actorUserId, t.at),
  ],
);

/** Where a module or a version of it came from: content/ read at start, or an admin's upload (docs/decisions/0018). */
export const moduleSourceEnum = pgEnum("module_source", ["content", "admin"]);

/** A training module of one organisation, identified by its slug (its file's name in content/<organisation>/modules). */
export const trainingModules = pgTable(
  "training_modules",
  {
    id: id(),
    organisationId: organisationId(),
    slug: text("slug").notNull(),
    title: text("title").notNull(),
    /** First published from content/ (required at once) or from the admin pages (required when an admin says so). */
    source: moduleSourceEnum("source").notNull().default("content"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("training_modules_organisation_slug_key").on(t.organisationId, t.slug)],
);

/** Each distinct content of a module, by the sha256 of its canonical JSON. An attempt keeps the version it began with. */
export const moduleVersions = pgTable(
  "module_versions",
  {
    id: id(),
    moduleId: uuid("module_id")
      .notNull()
      .references(() => trainingModules.id),
    contentHash: text("content_hash").notNull(),
    content: jsonb("content").notNull(),
    title: text("title").notNull(),
    passMark: integer("pass_mark_percent").notNull(),
    /** Published with requiresRetake: passes of versions published before this one stop counting (status.server.ts). */
    requiresRetake: boolean("requires_retake").notNull().default(false),
    source: moduleSourceEnum("source").notNull().default("content"),
    /** The admin who approved and published it from the admin pages; null for content/. */
    approvedBy: uuid("approved_by").references(() => users.id),
    /** When it was published: the latest is what staff take. */
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("module_versions_module_hash_key").on(t.moduleId, t.contentHash)],
);

/** A module file an admin uploaded and that passed every check, kept to preview and then publish (or not). */
export const moduleUploads = pgTable(
  "module_uploads",
  {
    id: id(),
    organisationId: organisationId(),
    uploadedBy: uuid("uploaded_by")
      .notNull()
      .references(() => users.id),
    fileName: text("file_name").notNull(),
    content: jsonb("content").notNull(),
    contentHash: text("content_hash").notNull(),
    createdAt: createdAt(),
    /** The version its publication made; null until published. */
    moduleVersionId: uuid("module_version_id").references(() => moduleVersions.id),
  },
  (t) => [index("module_uploads_organisation_idx").on(t.organisationId, t.createdAt)],
);

export const attemptStatusEnum = pgEnum("attempt_status", ["in_progress", "passed", "failed"]);

/** One person's go at one module version: the persisted XState snapshot is the source of truth for where they are. */
export const attempts = pgTable(
  "attempts",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    moduleId: uuid("module_id")
      .notNull()
      .references(() => trainingModules.id),
    moduleVersionId: uuid("module_version_id")
      .notNull()
      .references(() => moduleVersions.id),
    status: attemptStatusEnum("status").notNull().default("in_progress"),
    snapshot: jsonb("snapshot").notNull(),
    /** The variant each slot asks (slot id -> variant id), drawn when the attempt began; later draws avoid these. */
    draw: jsonb("draw").$type<Record<string, string>>().notNull().default({}),
    /** The order each question shows its choices in (question id -> choice ids), shuffled when the attempt began. */
    choiceOrder: jsonb("choice_order").$type<Record<string, string[]>>().notNull().default({}),
    /** How many answers are recorded; a form carries the step it was shown at, so a replay or double submit is refused. */
    step: integer("step").notNull().default(0),
    score: integer("score").notNull().default(0),
    answered: integer("answered").notNull().default(0),
    startedAt: instant("started_at").notNull().defaultNow(),
    updatedAt: instant("updated_at").notNull().defaultNow(),
    completedAt: instant("completed_at"),
  },
  (t) => [
    index("attempts_user_module_idx").on(t.userId, t.moduleId),
    // At most one attempt in progress per person and module, so two tabs cannot start two.
    uniqueIndex("attempts_one_in_progress_key")
      .on(t.userId, t.moduleId)
      .where(sql`status = 'in_progress'`),
  ],
);

/** Every answer, append-only (triggers refuse UPDATE, DELETE and TRUNCATE). */
export const attemptEvents = pgTable(
  "attempt_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    attemptId: uuid("attempt_id")
      .notNull()
      .references(() => attempts.id),
    step: integer("step").notNull(),
    type: text("type").notNull(),
    scenarioId: text("scenario_id").notNull(),
    choiceId: text("choice_id").notNull(),
    correct: boolean("correct").notNull(),
    at: instant("at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("attempt_events_attempt_step_key").on(t.attemptId, t.step)],
);

/** An organisation's code of conduct; its text lives in policy_versions. */
export const policies = pgTable(
  "policies",
  {
    id: id(),
    organisationId: organisationId(),
    slug: text("slug").notNull(),
    title: text("title").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("policies_organisation_slug_key").on(t.organisationId, t.slug)],
);

/** The exact text of each published version, with the sha256 of its exact bytes. Never changed once published. */
export const policyVersions = pgTable(
  "policy_versions",
  {
    id: id(),
    policyId: uuid("policy_id")
      .notNull()
      .references(() => policies.id),
    organisationId: organisationId(),
    versionLabel: text("version_label").notNull(),
    body: text("body").notNull(),
    sha256: text("sha256").notNull(),
    effectiveDate: date("effective_date", { mode: "string" }).notNull(),
    requiresReattestation: boolean("requires_reattestation").notNull().default(true),
    publishedAt: instant("published_at").notNull().defaultNow(),
    publishedBy: uuid("published_by").references(() => users.id),
  },
  (t) => [
    uniqueIndex("policy_versions_policy_label_key").on(t.policyId, t.versionLabel),
    index("policy_versions_policy_published_idx").on(t.policyId, t.publishedAt),
  ],
);

export const attestationKindEnum = pgEnum("attestation_kind", ["signed", "withdrawn"]);

/**
 * The attestation ledger: one hash chain per organisation, append-only (triggers refuse UPDATE, DELETE
 * and TRUNCATE). `hash` is sha256 over the RFC 8785 canonical JSON of the record (docs/ledger.md).
 */
export const attestations = pgTable(
  "attestations",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    organisationId: organisationId(),
    seq: integer("seq").notNull(),
    reference: text("reference").notNull().unique(),
    kind: attestationKindEnum("kind").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    policyVersionId: uuid("policy_version_id")
      .notNull()
      .references(() => policyVersions.id),
    policySha256: text("policy_sha256").notNull(),
    declarationText: text("declaration_text").notNull(),
    typedName: text("typed_name"),
    recordedAt: timestamp("recorded_at", { withTimezone: true, precision: 3 }).notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    qualifyingAttemptIds: jsonb("qualifying_attempt_ids").$type<string[]>().notNull(),
    /** For a withdrawal: the reference of the record withdrawn, who withdrew it and why. */
    subjectReference: text("subject_reference"),
    actorUserId: uuid("actor_user_id").references(() => users.id),
    reason: text("reason"),
    previousHash: text("previous_hash").notNull(),
    hash: text("hash").notNull(),
    /** The record format its hash was computed in (docs/decisions/0015): 1 for every record before version 2. */
    formatVersion: smallint("format_version").notNull().default(1),
    /** Format 2 (docs/ledger.md): the account at signing, how the signer and any witness re-authenticated. */
    signerName: text("signer_name"),
    signerEmployeeNumber: text("signer_employee_number"),
    reauthMethod: text("reauth_method"),
    witnessUserId: uuid("witness_user_id").references(() => users.id),
    witnessReauthMethod: text("witness_reauth_method"),
    codeIssuerUserId: uuid("code_issuer_user_id").references(() => users.id),
    earlierTrainingIds: jsonb("earlier_training_ids").$type<string[]>().notNull().default([]),
    /** Format 2: the service key that signed the record's body, and that signature (base64). */
    keyId: text("key_id"),
    bodySignature: text("body_signature"),
  },
  (t) => [
    uniqueIndex("attestations_organisation_seq_key").on(t.organisationId, t.seq),
    // A record of format 2 always carries the service's signature; one of format 1 has none of format 2's facts.
    check(
      "attestations_format_check",
      sql`(${t.formatVersion} = 1 and ${t.keyId} is null and ${t.bodySignature} is null and ${t.signerName} is null
        and ${t.signerEmployeeNumber} is null and ${t.reauthMethod} is null and ${t.witnessUserId} is null
        and ${t.witnessReauthMethod} is null and ${t.codeIssuerUserId} is null and ${t.earlierTrainingIds} = '[]'::jsonb)
        or (${t.formatVersion} = 2 and ${t.keyId} is not null and ${t.bodySignature} is not null)`,
    ),
    // A second record claiming the same predecessor would fork the chain: the database refuses it.
    uniqueIndex("attestations_organisation_previous_key").on(t.organisationId, t.previousHash),
    index("attestations_user_idx").on(t.userId, t.policyVersionId),
    index("attestations_subject_idx").on(t.subjectReference),
  ],
);

/**
 * The Merkle tree over each organisation's ledger (RFC 9162; docs/ledger-proofs.md): the hash of every complete
 * subtree, leaves included. Node (level, index) is the root of leaves [index * 2^level, (index + 1) * 2^level); leaf
 * index is the record's seq - 1. Written by the checkpointer only, append-only.
 */
export const ledgerTreeNodes = pgTable(
  "ledger_tree_nodes",
  {
    organisationId: organisationId(),
    level: smallint("level").notNull(),
    index: bigint("index", { mode: "number" }).notNull(),
    hash: bytea("hash").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organisationId, t.level, t.index] }),
    check("ledger_tree_nodes_hash_check", sql`octet_length(${t.hash}) = 32 and ${t.level} >= 0 and ${t.index} >= 0`),
  ],
);

/**
 * Signed checkpoints of each organisation's tree (C2SP tlog-checkpoint): the note text signed with the service key.
 * Append-only; one per tree size.
 */
export const ledgerCheckpoints = pgTable(
  "ledger_checkpoints",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    organisationId: organisationId(),
    origin: text("origin").notNull(),
    treeSize: bigint("tree_size", { mode: "number" }).notNull(),
    rootHash: bytea("root_hash").notNull(),
    signedNote: text("signed_note").notNull(),
    keyId: text("key_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("ledger_checkpoints_organisation_size_key").on(t.organisationId, t.treeSize)],
);

/**
 * Each day's e-mail of a council's latest checkpoint to its witness address, one a day (the daily job's reruns send
 * nothing more, but retry a failure).
 */
export const ledgerWitnessMails = pgTable(
  "ledger_witness_mails",
  {
    organisationId: organisationId(),
    day: date("day").notNull(),
    treeSize: bigint("tree_size", { mode: "number" }).notNull(),
    email: text("email").notNull(),
    status: text("status").notNull().default("pending"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.organisationId, t.day] })],
);

/** Certificates are rendered once from the ledger record; later downloads return these exact bytes. */
export const certificates = pgTable("certificates", {
  attestationId: bigint("attestation_id", { mode: "number" })
    .primaryKey()
    .references(() => attestations.id),
  pdf: text("pdf_base64").notNull(),
  sha256: text("sha256").notNull(),
  issuedAt: instant("issued_at").notNull().defaultNow(),
});

export const requirementKindEnum = pgEnum("requirement_kind", ["module", "policy"]);

/**
 * What each person of an organisation must complete: pass a module, or sign the code of conduct in force.
 * Due within `dueWithinDays` of their start date (or of the requirement, or of a version that requires
 * everyone to sign again, whichever is latest), and renewed every `renewalMonths`.
 */
export const requirements = pgTable(
  "requirements",
  {
    id: id(),
    organisationId: organisationId(),
    kind: requirementKindEnum("kind").notNull(),
    moduleId: uuid("module_id").references(() => trainingModules.id),
    policyId: uuid("policy_id").references(() => policies.id),
    dueWithinDays: integer("due_within_days").notNull().default(28),
    renewalMonths: integer("renewal_months").notNull().default(12),
    /** The first day the requirement applies: nobody is due before it. */
    effectiveFrom: date("effective_from", { mode: "string" }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("requirements_organisation_module_key").on(t.organisationId, t.moduleId),
    uniqueIndex("requirements_organisation_policy_key").on(t.organisationId, t.policyId),
    check(
      "requirements_kind_check",
      sql`(${t.kind} = 'module' and ${t.moduleId} is not null and ${t.policyId} is null) or (${t.kind} = 'policy' and ${t.policyId} is not null and ${t.moduleId} is null)`,
    ),
    check("requirements_periods_check", sql`${t.dueWithinDays} >= 0 and ${t.renewalMonths} > 0`),
  ],
);

export const nudgeKindEnum = pgEnum("nudge_kind", ["nudge", "reminder", "escalation"]);

/**
 * A nudge from a champion, an automatic reminder, or a champion's weekly escalation summary. At most one
 * of each kind per recipient and day (`day` is the London date; for escalations, the Monday of the week).
 */
export const nudges = pgTable(
  "nudges",
  {
    id: id(),
    organisationId: organisationId(),
    kind: nudgeKindEnum("kind").notNull(),
    recipientUserId: uuid("recipient_user_id")
      .notNull()
      .references(() => users.id),
    senderUserId: uuid("sender_user_id").references(() => users.id),
    teamId: uuid("team_id").references(() => teams.id),
    day: date("day", { mode: "string" }).notNull(),
    message: text("message"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: instant("created_at").notNull().defaultNow(),
    /** When the person dismissed the notice; it also stops showing once they act (train or sign) after it. */
    dismissedAt: instant("dismissed_at"),
  },
  (t) => [
    uniqueIndex("nudges_recipient_kind_day_key").on(t.recipientUserId, t.kind, t.day),
    index("nudges_team_idx").on(t.teamId, t.createdAt),
  ],
);

export const deliveryStatusEnum = pgEnum("delivery_status", ["delivered", "sent", "failed", "skipped"]);

/** Every try at delivering a nudge, append-only: in the app (delivered) and by e-mail (sent, failed, or skipped without SMTP). */
export const nudgeDeliveries = pgTable(
  "nudge_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    nudgeId: uuid("nudge_id")
      .notNull()
      .references(() => nudges.id),
    channel: text("channel", { enum: ["in-app", "email"] }).notNull(),
    status: deliveryStatusEnum("status").notNull(),
    error: text("error"),
    at: instant("at").notNull().defaultNow(),
  },
  (t) => [index("nudge_deliveries_nudge_idx").on(t.nudgeId, t.at)],
);

/**
 * An uploaded staff roster, kept between its preview and its application. The retention rule (docs/decisions/0021)
 * may empty its content and the names in its summary once, setting `deleted_at`; a trigger allows no other change
 * to the file, and no deletion of the row, so the hash and the records citing it stay.
 */
export const rosterUploads = pgTable(
  "roster_uploads",
  {
    id: id(),
    organisationId: organisationId(),
    uploadedBy: uuid("uploaded_by")
      .notNull()
      .references(() => users.id),
    fileName: text("file_name").notNull(),
    sha256: text("sha256").notNull(),
    byteSize: integer("byte_size").notNull(),
    /** Null once the retention rule has deleted it. */
    content: bytea("content"),
    summary: jsonb("summary").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    appliedAt: instant("applied_at"),
    deletedAt: instant("deleted_at"),
  },
  (t) => [index("roster_uploads_organisation_idx").on(t.organisationId, t.createdAt)],
);

/** The dated facts of one person and requirement a status is worked out from (standingFactsQuery). */
const standingColumns = () => ({
  organisationId: uuid("organisation_id").notNull(),
  userId: uuid("user_id").notNull(),
  requirementId: uuid("requirement_id").notNull(),
  name: text("name").notNull(),
  employeeNumber: text("employee_number"),
  teamId: uuid("team_id"),
  teamName: text("team_name"),
  kind: requirementKindEnum("kind").notNull(),
  title: text("title").notNull(),
  moduleSlug: text("module_slug"),
  started: boolean("started").notNull(),
  completedAt: instant("completed_at"),
  expiresAt: instant("expires_at"),
  expiresOn: date("expires_on"),
  anchor: date("anchor").notNull(),
  dueOn: date("due_on").notNull(),
  attemptId: uuid("attempt_id"),
  attestationReference: text("attestation_reference"),
  policyVersionId: uuid("policy_version_id"),
  earlierTrainingId: uuid("earlier_training_id"),
  exemptionId: uuid("exemption_id"),
  exemptionReason: text("exemption_reason"),
  exemptFrom: date("exempt_from"),
  exemptUntil: date("exempt_until"),
});

/** The report's order (team, surname, name, employee number, modules before the code of conduct, title). */
const reportOrder = (
  t: Record<"teamName" | "name" | "employeeNumber" | "kind" | "title" | "requirementId", ExtraConfigColumn>,
) =>
  [
    t.teamName,
    sql`lower(regexp_replace(btrim(${t.name}), '^.*[[:space:]]', ''))`,
    t.name,
    t.employeeNumber,
    sql`(${t.kind} = 'policy')`,
    t.title,
    t.requirementId,
  ] as const;

/**
 * Where each person stands on each requirement today, kept so that HR's report over a whole council need not
 * work it out from every attempt and signature on each request (docs/decisions/0010). It holds the dated facts
 * the status is worked out from, not the status: that is computed when read, against the moment of the read.
 * Rebuilt for an organisation on the first read of each London day; in between, triggers on the tables it is
 * derived from note the people whose rows must be worked out again, or the whole organisation (standing_changes).
 * Only ever derived: nothing here is evidence, and the report as at a past day (but for a day kept in
 * standing_snapshots), every export and every evidence pack read the records themselves.
 */
export const requirementStandings = pgTable("requirement_standings", standingColumns(), (t) => [
  primaryKey({ columns: [t.organisationId, t.userId, t.requirementId] }),
  index("requirement_standings_team_idx").on(t.organisationId, t.teamId),
  // Completions that lapse during the day: the people whose figures change without anything being written.
  index("requirement_standings_expiry_idx").on(t.organisationId, t.expiresAt),
  // The report's order (team, surname, name, employee number, modules before the code of conduct, title), so a
  // page is an index range. The surname is surnameKey's expression in app/tracking/status.server.ts.
  index("requirement_standings_report_order_idx").on(t.organisationId, ...reportOrder(t)),
]);

/** Per team and set of statuses, how many people and how many of their rows have each status. */
const summaryColumns = () => ({
  organisationId: uuid("organisation_id").notNull(),
  teamId: uuid("team_id"),
  statuses: integer("statuses").notNull(),
  people: integer("people").notNull(),
  notStarted: integer("not_started").notNull(),
  inProgress: integer("in_progress").notNull(),
  complete: integer("complete").notNull(),
  dueSoon: integer("due_soon").notNull(),
  overdue: integer("overdue").notNull(),
  expired: integer("expired").notNull(),
  exempt: integer("exempt").notNull().default(0),
});

/**
 * The report's totals, kept with the standings: per team and per set of statuses a person has (a bit per status,
 * in the order of STATUSES), how many people and how many of their rows have each status, as at the last refresh.
 * Totals for any team and any choice of statuses are sums over these rows.
 */
export const standingSummaries = pgTable("standing_summaries", summaryColumns(), (t) => [
  index("standing_summaries_team_idx").on(t.organisationId, t.teamId),
]);

/** The London day an organisation's standings were last rebuilt for; null when something organisation-wide changed. */
export const standingRefreshes = pgTable("standing_refreshes", {
  organisationId: uuid("organisation_id")
    .primaryKey()
    .references(() => organisations.id),
  computedFor: date("computed_for"),
  computedAt: instant("computed_at"),
});

/**
 * The standings as recorded by the end of a past London day (docs/decisions/0026): standingFactsQuery's facts as at
 * the last instant of `day`, written once for the day after it ended (by `npm run reminders`), so that HR's report
 * as at that day reads a range of an index rather than working every status out from the records. Held equal to
 * the records by app/tracking/standings.server.test.ts. Only ever derived, never changed once written.
 */
export const standingSnapshots = pgTable(
  "standing_snapshots",
  { day: date("day", { mode: "string" }).notNull(), ...standingColumns() },
  (t) => [
    primaryKey({ columns: [t.organisationId, t.day, t.userId, t.requirementId] }),
    index("standing_snapshots_team_idx").on(t.organisationId, t.day, t.teamId),
    index("standing_snapshots_report_order_idx").on(t.organisationId, t.day, ...reportOrder(t)),
  ],
);

/** The report's totals as at the end of a snapshot's day (as standing_summaries are for now). */
export const standingSnapshotSummaries = pgTable(
  "standing_snapshot_summaries",
  { day: date("day", { mode: "string" }).notNull(), ...summaryColumns() },
  (t) => [index("standing_snapshot_summaries_team_idx").on(t.organisationId, t.day, t.teamId)],
);

/** The days an organisation's snapshot was taken for: a report as at a day without one reads the records. */
export const standingSnapshotDays = pgTable(
  "standing_snapshot_days",
  {
    organisationId: organisationId(),
    day: date("day", { mode: "string" }).notNull(),
    takenAt: instant("taken_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.organisationId, t.day] })],
);

/** People whose standings must be worked out again before they are next read, or the whole organisation: written by triggers. */
export const standingChanges = pgTable(
  "standing_changes",
  {
    organisationId: uuid("organisation_id").notNull(),
    /** Null: something organisation-wide changed (a requirement, a policy version, a module's title). */
    userId: uuid("user_id"),
  },
  // No unique key, on purpose: a writer never waits on a refresh that is deleting the same person's note.
  (t) => [index("standing_changes_organisation_idx").on(t.organisationId)],
);

/**
 * Requirement settings as they changed (docs/decisions/0021): a new row per change, never updated, so a report as at
 * a past day uses the settings recorded by the end of that day. `teamIds` null: the whole council; otherwise only
 * people in those teams on the day. requirements.due_within_days and renewal_months mirror the newest row.
 */
export const requirementSettings = pgTable(
  "requirement_settings",
  {
    id: id(),
    requirementId: uuid("requirement_id")
      .notNull()
      .references(() => requirements.id),
    dueWithinDays: integer("due_within_days").notNull(),
    renewalMonths: integer("renewal_months").notNull(),
    teamIds: uuid("team_ids").array(),
    /** The London day the row took effect: the day it was recorded. */
    effectiveOn: date("effective_on", { mode: "string" }).notNull(),
    recordedAt: instant("recorded_at").notNull().defaultNow(),
    recordedBy: uuid("recorded_by").references(() => users.id),
  },
  (t) => [
    index("requirement_settings_requirement_idx").on(t.requirementId, t.recordedAt),
    check("requirement_settings_periods_check", sql`${t.dueWithinDays} >= 0 and ${t.renewalMonths} > 0`),
  ],
);

export const exemptionReasonEnum = pgEnum("exemption_reason", [
  "parental_leave",
  "long_term_absence",
  "secondment",
  "not_applicable_to_role",
  "other",
]);
export type ExemptionReason = (typeof exemptionReasonEnum.enumValues)[number];
export const exemptionKindEnum = pgEnum("exemption_kind", ["granted", "ended", "corrected", "cancelled"]);

/**
 * Exemptions of a person from one requirement (or all of them when requirement_id is null), append-only
 * (docs/decisions/0021). A record stands until a later one `replaces` it: ending or correcting an exemption is a new
 * record with the whole of its new content, and cancelling one recorded in error is a record of kind cancelled.
 */
export const exemptions = pgTable(
  "exemptions",
  {
    id: id(),
    organisationId: organisationId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    kind: exemptionKindEnum("kind").notNull(),
    replacesId: uuid("replaces_id"),
    requirementId: uuid("requirement_id").references(() => requirements.id),
    reason: exemptionReasonEnum("reason").notNull(),
    reasonText: text("reason_text"),
    startsOn: date("starts_on", { mode: "string" }).notNull(),
    endsOn: date("ends_on", { mode: "string" }),
    approvedBy: text("approved_by").notNull(),
    recordedBy: uuid("recorded_by")
      .notNull()
      .references(() => users.id),
    recordedAt: instant("recorded_at").notNull().defaultNow(),
  },
  (t) => [
    index("exemptions_user_idx").on(t.userId, t.recordedAt),
    uniqueIndex("exemptions_replaces_key").on(t.replacesId),
    check("exemptions_dates_check", sql`${t.endsOn} is null or ${t.endsOn} >= ${t.startsOn}`),
    check("exemptions_other_check", sql`${t.reason} <> 'other' or ${t.reasonText} is not null`),
    check("exemptions_replaces_check", sql`(${t.kind} = 'granted') = (${t.replacesId} is null)`),
  ],
);

/**
 * A file of evidence HR uploaded (a PDF or an image), kept in the database with its sha256. Append-only, except
 * that the retention rule may empty `content` (setting `deleted_at`): the hash and the records citing it stay.
 */
export const evidenceFiles = pgTable(
  "evidence_files",
  {
    id: id(),
    organisationId: organisationId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    fileName: text("file_name").notNull(),
    mediaType: text("media_type").notNull(),
    byteSize: integer("byte_size").notNull(),
    sha256: text("sha256").notNull(),
    content: bytea("content"),
    uploadedBy: uuid("uploaded_by")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    deletedAt: instant("deleted_at"),
  },
  (t) => [index("evidence_files_user_idx").on(t.userId)],
);

/**
 * Training a person completed elsewhere (another council, a classroom session, an earlier system), recorded by HR
 * with its evidence: it completes a module requirement until it expires by the renewal rule, and is never a pass
 * of our module. Append-only.
 */
export const earlierTraining = pgTable(
  "earlier_training",
  {
    id: id(),
    organisationId: organisationId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    requirementId: uuid("requirement_id")
      .notNull()
      .references(() => requirements.id),
    completedOn: date("completed_on", { mode: "string" }).notNull(),
    description: text("description").notNull(),
    evidenceFileId: uuid("evidence_file_id")
      .notNull()
      .references(() => evidenceFiles.id),
    recordedBy: uuid("recorded_by")
      .notNull()
      .references(() => users.id),
    recordedAt: instant("recorded_at").notNull().defaultNow(),
  },
  (t) => [index("earlier_training_user_idx").on(t.userId, t.requirementId)],
);
