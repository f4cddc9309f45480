import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { auditStatement, type RequestInfo } from "~/audit/audit.server";
import { verifyPassword } from "~/auth/password.server";
import type { CurrentUser } from "~/auth/session.server";
import { normaliseEmail, recordAttempt, throttledBy, throttleQuery } from "~/auth/throttle.server";
import type { FieldErrors } from "~/components/form-errors";
import { addMonths, londonDate } from "~/lib/dates";
import { pipelined, preparedSql } from "~/lib/prepared.server";
import { moduleStandingsQuery, requiredModulesFor, standingsFrom } from "~/training/attempts.server";
import type { Db } from "~db/client.server";
import { DEFAULT_RENEWAL_MONTHS } from "~/tracking/requirements.server";
import {
  assistedCodes,
  attestations,
  identityProviders,
  policyVersions,
  requirements,
  sessions,
  users,
} from "~db/schema";
import { DECLARATION_TEXT, type SignInput, type withdrawSchema } from "./forms";
import { appendRecord, type AttestationRow } from "./ledger.server";
import { currentPolicyVersion } from "./policies.server";

/** Names match ignoring case and spacing: "Sam  Staff" and "sam staff" are the same person's hand. */
export function namesMatch(typed: string, accountName: string): boolean {
  const fold = (s: string) => s.normalize("NFKC").toLocaleLowerCase("en-GB").replace(/\s+/g, "");
  return fold(typed) === fold(accountName);
}

/** Records of a person's that have been withdrawn, by reference. */
async function withdrawnReferences(db: Db, userId: string) {
  const rows = await db
    .select({ subject: attestations.subjectReference })
    .from(attestations)
    .where(and(eq(attestations.userId, userId), eq(attestations.kind, "withdrawn")));
  return new Set(rows.map((r) => r.subject));
}

// The account as it is at signing: how it proves who it is, and the name and employee number the record keeps.
type SigningAccount = {
  password_hash: string | null;
  signing_passphrase_hash: string | null;
  provider_name: string | null;
  proves_fresh_auth: boolean | null;
  name: string;
  employee_number: string | null;
};

const signingAccountOf = preparedSql<SigningAccount>(
  "signing_account_of",
  sql`select u.password_hash, u.signing_passphrase_hash, p.display_name as provider_name, p.proves_fresh_auth,
             u.name, u.employee_number
      from ${users} u left join ${identityProviders} p on p.organisation_id = u.organisation_id
      where u.id = ${sql.placeholder("userId")}`,
);

/** How the signer proves who they are at the moment of signing: the signed record's reauthMethod (decision 0015). */
export type ReauthMethod = "password" | "provider" | "passphrase";

/** How long after the provider re-authenticated a person they may sign (decision 0022). */
export const PROVIDER_REAUTH_WINDOW_MS = 10 * 60_000;

/**
 * The one rule for how a person re-authenticates to sign (decision 0022): their password here if they have one;
 * otherwise their council's provider, where it proves a fresh authentication (auth_time); otherwise a signing
 * passphrase they set in this service.
 */
export function reauthMethodFor(account: {
  hasPassword: boolean;
  providerProvesFreshAuth: boolean | null;
}): ReauthMethod {
  if (account.hasPassword) return "password";
  if (account.providerProvesFreshAuth) return "provider";
  return "passphrase";
}

/** What the sign page shows for re-authentication: the method, and whether it is ready (fresh, or a passphrase set). */
export async function signingReauth(
  db: Db,
  userId: string,
  session: { providerReauthAt: Date | null },
  now: Date,
): Promise<{ method: ReauthMethod; providerName: string | null; fresh: boolean; passphraseSet: boolean }> {
  const [account] = await signingAccountOf.run(db, { userId });
  const method = reauthMethodFor({
    hasPassword: account?.password_hash != null,
    providerProvesFreshAuth: account?.proves_fresh_auth ?? null,
  });
  return {
    method,
    providerName: account?.provider_name ?? null,
    fresh: isFreshProviderReauth(session.providerReauthAt, now),
    passphraseSet: account?.signing_passphrase_hash != null,
  };
}

function isFreshProviderReauth(at: Date | null | undefined, now: Date): boolean {
  return (
    at != null && now.getTime() - at.getTime() <= PROVIDER_REAUTH_WINDOW_MS && at.getTime() <= now.getTime() + 60_000
  );
}

type VersionFacts = {
  id: string;
  policy_id: string;
  sha256: string;
  effective_date: string;
  requires_reattestation: boolean;
  renewal_months: number;
};

// Every version of the organisation's code of conduct, newest first, with its policy's renewal period: enough
// to find the version asked for, the version in force and which signatures satisfy it, in one read.
const versionFacts = preparedSql<VersionFacts>(
  "policy_version_facts",
  sql`select v.id, v.policy_id, v.sha256, v.effective_date, v.requires_reattestation,
             coalesce((select r.renewal_months from ${requirements} r where r.kind = 'policy' and r.policy_id = v.policy_id limit 1), ${DEFAULT_RENEWAL_MONTHS})::int as renewal_months
      from ${policyVersions} v
      where v.organisation_id = ${sql.placeholder("organisationId")}
      order by v.effective_date desc, v.published_at desc`,
);

type SignatureRules = { versionIds: string[]; signedAfter: Date };

/**
 * Which signatures satisfy `version`: those on it, or on a later-or-equal version in force since the last
 * one that required everyone to sign again, signed within the renewal period. `versions` are the
 * organisation's, newest first. Read before the ledger's lock. The status query's `binding` rule says the same in
 * SQL; signature-rule.test.ts holds the two equal.
 */
function rulesFor(versions: VersionFacts[], version: { id: string; policyId: string }, now: Date): SignatureRules {
  const today = londonDate(now);
  const ofPolicy = versions.filter((v) => v.policy_id === version.policyId);
  const months = ofPolicy[0]?.renewal_months ?? DEFAULT_RENEWAL_MONTHS;
  const inForce = ofPolicy.filter((v) => v.effective_date <= today);
  const binding = inForce.find((v) => v.requires_reattestation) ?? inForce[inForce.length - 1];
  const acceptable = new Set(binding ? inForce.slice(0, inForce.indexOf(binding) + 1).map((v) => v.id) : []);
  acceptable.add(version.id);
  return { versionIds: [...acceptable], signedAfter: addMonths(now, -months) };
}

async function signatureRules(
  db: Db,
  version: { id: string; policyId: string; organisationId: string },
  now: Date,
): Promise<SignatureRules> {
  return rulesFor(await versionFacts.run(db, { organisationId: version.organisationId }), version, now);
}

/**
 * The person's newest signature that the rules accept and that has not been withdrawn: one query, so it can run
 * inside the ledger's lock. Raw SQL, because it is built on every signing: the drizzle builder cost more CPU than
 * the query does.
 */
function acceptedSignatureQuery(userId: string, rules: SignatureRules): SQL {
  return sql`select s.* from ${attestations} s
    where s.user_id = ${userId} and s.kind = 'signed' and s.policy_version_id = any(${`{${rules.versionIds.join(",")}}`}::uuid[])
      and s.recorded_at > ${rules.signedAfter.toISOString()}::timestamptz
      and not exists (select 1 from ${attestations} w where w.subject_reference = s.reference and w.kind = 'withdrawn')
    order by s.recorded_at desc
    limit 1`;
}

async function acceptedSignature(db: Db, userId: string, rules: SignatureRules): Promise<AttestationRow | null> {
  const [row] = await db
    .select()
    .from(attestations)
    .where(sql`${attestations.id} = (select accepted.id from (${acceptedSignatureQuery(userId, rules)}) accepted)`);
  return row ?? null;
}

/** The person's signature that satisfies the version in force, if any (not withdrawn, not expired). */
export async function validSignature(
  db: Db,
  userId: string,
  version: typeof policyVersions.$inferSelect,
  now: Date,
): Promise<AttestationRow | null> {
  return acceptedSignature(db, userId, await signatureRules(db, version, now));
}

/** Everything the sign page needs: the version in force, whether the person may sign it, and what changed since they last signed. */
export async function signingStatus(db: Db, user: CurrentUser, now: Date) {
  const version = await currentPolicyVersion(db, user.organisationId, londonDate(now));
  if (!version) return null;
  const modules = await requiredModulesFor(db, user, now);
  const remaining = modules.filter((m) => m.status !== "passed").map((m) => ({ slug: m.slug, title: m.title }));
  const signature = await validSignature(db, user.id, version, now);
  const withdrawn = await withdrawnReferences(db, user.id);
  const [lastSigned] = (
    await db
      .select({
        reference: attestations.reference,
        versionId: attestations.policyVersionId,
        body: policyVersions.body,
        label: policyVersions.versionLabel,
      })
      .from(attestations)
      .innerJoin(policyVersions, eq(policyVersions.id, attestations.policyVersionId))
      .where(and(eq(attestations.userId, user.id), eq(attestations.kind, "signed")))
      .orderBy(desc(attestations.recordedAt))
  ).filter((r) => !withdrawn.has(r.reference));
  const previous =
    lastSigned && lastSigned.versionId !== version.id ? { label: lastSigned.label, body: lastSigned.body } : null;
  return { version, remaining, signature, previous };
}

/**
 * What qualifies a person to sign: for each module required of them, the pass of ours that counts, or else the
 * training completed elsewhere that counts (docs/decisions/0021). The one place this rule is written; the signed
 * record names both lists (format 2: qualifyingAttemptIds and earlierTrainingIds, each sorted).
 */
export function qualificationOf(modules: { passedAttemptId: string | null; earlierTrainingId: string | null }[]): {
  attemptIds: string[];
  earlierTrainingIds: string[];
} {
  return {
    attemptIds: modules.flatMap((m) => (m.passedAttemptId ? [m.passedAttemptId] : [])).sort(),
    earlierTrainingIds: modules
      .flatMap((m) => (!m.passedAttemptId && m.earlierTrainingId ? [m.earlierTrainingId] : []))
      .sort(),
  };
}

/**
 * How the witness of an assisted signing re-authenticates (decision 0025): their password here, or else their
 * signing passphrase. Their provider cannot be asked, since the device is in the person's session, not theirs.
 */
export function witnessReauthMethodFor(account: { hasPassword: boolean }): "password" | "passphrase" {
  return account.hasPassword ? "password" : "passphrase";
}

/** What the sign page of an assisted session shows for the witness's re-authentication. */
export async function witnessReauth(db: Db, witnessUserId: string) {
  const [witness] = await db
    .select({
      name: users.name,
      hasPassword: sql<boolean>`${users.passwordHash} is not null`,
      passphraseSet: sql<boolean>`${users.signingPassphraseHash} is not null`,
    })
    .from(users)
    .where(eq(users.id, witnessUserId));
  return {
    name: witness?.name ?? "",
    method: witnessReauthMethodFor({ hasPassword: witness?.hasPassword ?? false }),
    passphraseSet: witness?.passphraseSet ?? false,
  };
}

/** The assisted session a signing happens in (decision 0025): the record names the witness and the code's issuer. */
export type AssistedSigning = { sessionId: string; witnessUserId: string; codeId: string };

type AssistedCheck =
  | { ok: true; witnessReauthMethod: "password" | "passphrase"; codeIssuerUserId: string }
  | { ok: false; errors: FieldErrors; status: number };

/** The witness re-authenticates and the session's code is still unused: what an assisted signing needs besides the person's own checks. */
async function checkAssisted(
  db: Db,
  assisted: AssistedSigning,
  input: SignInput,
  request: RequestInfo & { now: Date },
  checkPassword: (password: string, hash: string | null | undefined) => Promise<boolean>,
): Promise<AssistedCheck> {
  const [code] = await db
    .select({
      issuedBy: assistedCodes.issuedBy,
      usedAt: assistedCodes.usedAt,
      usedBySession: assistedCodes.usedBySession,
    })
    .from(assistedCodes)
    .where(eq(assistedCodes.id, assisted.codeId));
  if (!code || code.usedAt !== null || code.usedBySession !== assisted.sessionId)
    return { ok: false, status: 409, errors: { form: "This assisted session's code has already been used to sign" } };
  const [witness] = await db
    .select({
      email: users.email,
      passwordHash: users.passwordHash,
      passphraseHash: users.signingPassphraseHash,
      active: users.active,
    })
    .from(users)
    .where(eq(users.id, assisted.witnessUserId));
  if (!witness?.active) return { ok: false, status: 409, errors: { form: "The witness can no longer witness" } };
  const method = witnessReauthMethodFor({ hasPassword: witness.passwordHash !== null });
  const secret = method === "password" ? "password" : "signing passphrase";
  if (method === "passphrase" && witness.passphraseHash === null)
    return {
      ok: false,
      status: 409,
      errors: { form: "The witness has neither a password nor a signing passphrase here: they set a passphrase first" },
    };
  if (input.password === "") return { ok: false, status: 400, errors: { password: `Witness: enter your ${secret}` } };
  const key = normaliseEmail(witness.email ?? `user:${assisted.witnessUserId}`);
  const [counts] = await pipelined(db, [throttleQuery("sign-in", key, request.ip, request.now)]);
  if (throttledBy("sign-in", counts))
    return {
      ok: false,
      status: 429,
      errors: { password: "There have been too many wrong attempts. Wait 15 minutes and try again." },
    };
  const hash = method === "password" ? witness.passwordHash : witness.passphraseHash;
  if (!(await checkPassword(input.password, hash))) {
    await recordAttempt(db, "sign-in", key, request.ip, false, request.now);
    return { ok: false, status: 400, errors: { password: `Witness: your ${secret} is not correct` } };
  }
  return { ok: true, witnessReauthMethod: method, codeIssuerUserId: code.issuedBy };
}

export type SignResult =
  | { ok: true; record: AttestationRow; created: boolean; reauthMethod: ReauthMethod | "one-time-code" }
  | { ok: false; errors: FieldErrors; status: number };

/**
 * Signs the version in force. A signature is the act of a freshly authenticated person who has passed
 * the required modules. Double submits, resubmits and two tabs give one record: inside the ledger's lock,
 * an existing valid signature is returned instead of a new one.
 */
export async function signCodeOfConduct(
  db: Db,
  user: CurrentUser,
  input: SignInput,
  // providerReauthAt: when the council's provider last re-authenticated this session's person (sessions.provider_reauth_at).
  request: RequestInfo & { now: Date; providerReauthAt?: Date | null; assisted?: AssistedSigning | null },
  // Benchmarks measure everything but the password hash, whose cost is deliberate.
  options: { checkPassword?: (password: string, hash: string | null | undefined) => Promise<boolean> } = {},
): Promise<SignResult> {
  // Wrong passwords are counted per account; someone without an address is counted by their id.
  const email = normaliseEmail(user.email ?? `user:${user.id}`);
  // Everything the checks need, sent down one connection at once; none of it waits on the ledger's lock.
  const [versions, standings, throttleCounts, [account]] = await pipelined(db, [
    versionFacts.bind({ organisationId: user.organisationId }),
    moduleStandingsQuery(user, request.now),
    throttleQuery("sign-in", email, request.ip, request.now),
    signingAccountOf.bind({ userId: user.id }),
  ]);
  const modules = standingsFrom(standings);
  const throttled = throttledBy("sign-in", throttleCounts);
  const version = versions.find((v) => v.id === input.policyVersionId);
  if (!version)
    return { ok: false, status: 404, errors: { form: "This version of the code of conduct cannot be signed" } };
  const today = londonDate(request.now);
  const current = versions.find((v) => v.effective_date <= today);
  if (!current || current.id !== version.id) {
    return {
      ok: false,
      status: 409,
      errors: { form: "This is not the current version of the code of conduct. Sign the current version instead." },
    };
  }
  const remaining = modules.filter((m) => m.status !== "passed");
  if (remaining.length > 0) {
    return {
      ok: false,
      status: 409,
      errors: { form: `Pass ${remaining.map((m) => m.title).join(", ")} before you sign` },
    };
  }
  if (!namesMatch(input.typedName, user.name)) {
    return { ok: false, status: 400, errors: { typedName: "Enter your full name as it appears on your account" } };
  }
  const assisted = request.assisted ?? null;
  let witnessed: Extract<AssistedCheck, { ok: true }> | null = null;
  const method = reauthMethodFor({
    hasPassword: account?.password_hash != null,
    providerProvesFreshAuth: account?.proves_fresh_auth ?? null,
  });
  if (assisted) {
    // The person proved who they are with the one-time code; the witness proves who they are now.
    const check = await checkAssisted(db, assisted, input, request, options.checkPassword ?? verifyPassword);
    if (!check.ok) return check;
    witnessed = check;
  } else if (method === "provider") {
    if (!isFreshProviderReauth(request.providerReauthAt, request.now)) {
      return {
        ok: false,
        status: 401,
        errors: {
          form: `Confirm who you are with ${account?.provider_name ?? "your council's sign-in"} before you sign`,
        },
      };
    }
  } else {
    const secret = method === "password" ? "password" : "signing passphrase";
    if (method === "passphrase" && account?.signing_passphrase_hash == null) {
      return { ok: false, status: 409, errors: { form: "Set a signing passphrase before you sign" } };
    }
    if (input.password === "") return { ok: false, status: 400, errors: { password: `Enter your ${secret}` } };
    if (throttled) {
      return {
        ok: false,
        status: 429,
        errors: { password: `There have been too many wrong attempts. Wait 15 minutes and try again.` },
      };
    }
    const hash = method === "password" ? account?.password_hash : account?.signing_passphrase_hash;
    if (!(await (options.checkPassword ?? verifyPassword)(input.password, hash))) {
      await recordAttempt(db, "sign-in", email, request.ip, false, request.now);
      return { ok: false, status: 400, errors: { password: `Your ${secret} is not correct` } };
    }
  }
  // The signed record's reauthMethod (decision 0015, format 2): how the signer proved who they are just now.
  const reauthMethod = witnessed ? ("one-time-code" as const) : method;
  const qualifying = qualificationOf(modules);
  const rules = rulesFor(versions, { id: version.id, policyId: version.policy_id }, request.now);
  const result = await appendRecord(
    db,
    {
      organisationId: user.organisationId,
      kind: "signed",
      userId: user.id,
      policyVersionId: version.id,
      policySha256: version.sha256,
      declarationText: DECLARATION_TEXT,
      typedName: input.typedName.trim(),
      recordedAt: request.now,
      ip: request.ip,
      userAgent: request.userAgent?.slice(0, 500) ?? null,
      qualifyingAttemptIds: qualifying.attemptIds,
      earlierTrainingIds: qualifying.earlierTrainingIds,
      subjectReference: null,
      actorUserId: user.id,
      reason: null,
      signerName: account?.name ?? user.name,
      signerEmployeeNumber: account?.employee_number ?? null,
      reauthMethod,
      witnessUserId: assisted && witnessed ? assisted.witnessUserId : null,
      witnessReauthMethod: witnessed?.witnessReauthMethod ?? null,
      codeIssuerUserId: witnessed?.codeIssuerUserId ?? null,
    },
    acceptedSignatureQuery(user.id, rules),
    ({ reference, created }) => {
      const audit = auditStatement(
        {
          action: "attestation.signed",
          organisationId: user.organisationId,
          actorUserId: user.id,
          subjectType: "attestation",
          subjectId: reference,
          details: assisted ? { assisted: true, witnessUserId: assisted.witnessUserId } : undefined,
        },
        request,
        created,
      );
      if (!assisted) return audit;
      // In the same transaction as the record: the code is used, and the session now reaches only this record.
      return sql`with audit as (${audit}),
        code as (update ${assistedCodes} set used_at = ${request.now.toISOString()}::timestamptz
                 where id = ${assisted.codeId}::uuid and used_at is null and ${created}),
        session as (update ${sessions} set assisted_reference = ${reference}
                    where id = ${assisted.sessionId} and ${created})
        select 1`;
    },
  );
  return { ok: true, record: result.record, created: result.created, reauthMethod };
}

/** HR withdraws a signed record with a reason: a new record of kind withdrawn; the original is never changed. */
export async function withdrawAttestation(
  db: Db,
  hr: CurrentUser,
  input: z.infer<typeof withdrawSchema>,
  request: RequestInfo & { now: Date },
): Promise<
  { ok: true; record: AttestationRow; created: boolean } | { ok: false; errors: FieldErrors; status: number }
> {
  const [original] = await db
    .select()
    .from(attestations)
    .where(
      and(
        eq(attestations.reference, input.reference.toUpperCase()),
        eq(attestations.organisationId, hr.organisationId),
        eq(attestations.kind, "signed"),
      ),
    );
  if (!original)
    return {
      ok: false,
      status: 404,
      errors: { reference: "There is no signed record with that reference in your organisation" },
    };
  const result = await appendRecord(
    db,
    {
      organisationId: hr.organisationId,
      kind: "withdrawn",
      userId: original.userId,
      policyVersionId: original.policyVersionId,
      policySha256: original.policySha256,
      declarationText: `Withdrawal of ${original.reference}`,
      typedName: null,
      recordedAt: request.now,
      ip: request.ip,
      userAgent: request.userAgent?.slice(0, 500) ?? null,
      qualifyingAttemptIds: [],
      subjectReference: original.reference,
      actorUserId: hr.id,
      reason: input.reason,
    },
    db
      .select()
      .from(attestations)
      .where(and(eq(attestations.subjectReference, original.reference), eq(attestations.kind, "withdrawn")))
      .limit(1),
    ({ reference, created }) =>
      auditStatement(
        {
          action: "attestation.withdrawn",
          organisationId: hr.organisationId,
          actorUserId: hr.id,
          subjectType: "attestation",
          subjectId: original.reference,
          details: { withdrawal: reference },
        },
        request,
        created,
      ),
  );
  return { ok: true, record: result.record, created: result.created };
}
