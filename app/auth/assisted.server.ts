import { randomInt } from "node:crypto";
import { and, count, eq, gt, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { writeAudit, type RequestInfo } from "~/audit/audit.server";
import type { FieldErrors } from "~/components/form-errors";
import type { Db } from "~db/client.server";
import { assistedCodes, auditLog, sessions, teams, users } from "~db/schema";
import { revokeSession, type ActiveSession, type CurrentUser } from "./session.server";

export { ASSISTED_IDLE_MS } from "./session.server";
import { randomToken, sha256Hex } from "./tokens.server";

/**
 * Assisted signing (docs/decisions/0025-assisted-signing.md): a person without a work e-mail address or an account
 * of their own signs on a shared device. HR issues them a one-time code; a champion of their team or an HR officer
 * witnesses, and the person types the code, which turns the witness's browser session into an assisted session of
 * the person's that reaches only their training, the code of conduct and then the record they signed.
 */

/** How long an issued code may open a session. */
export const ASSISTED_CODE_LIFETIME_MS = 24 * 3600_000;
/** And after this long in all, however active. */
export const ASSISTED_MAX_MS = 3 * 3600_000;
/** Wrong codes typed for one person within WRONG_CODE_WINDOW_MS before further tries are refused. */
const WRONG_CODE_LIMIT = 5;
const WRONG_CODE_WINDOW_MS = 15 * 60_000;

// No 0, 1, I, L, O or U: nothing a person reading it out or typing it could take for something else.
const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LENGTH = 8;

/** A new code, shown as two groups of four ("K7QM-3XTA"). */
function newCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return `${chars.slice(0, 4).join("")}-${chars.slice(4).join("")}`;
}

/** What a person typed, as it was issued: case, spaces and hyphens do not matter. */
export function normaliseCode(typed: string): string {
  const bare = typed.toUpperCase().replace(/[\s-]+/g, "");
  return bare.length === CODE_LENGTH ? `${bare.slice(0, 4)}-${bare.slice(4)}` : bare;
}

const codeHash = (code: string) => sha256Hex(`assisted-code\u0000${normaliseCode(code)}`);

type Request = RequestInfo & { now: Date };

type AssistedPerson = {
  id: string;
  name: string;
  employeeNumber: string;
  teamId: string | null;
  teamName: string | null;
};

/** An active person of the council, or null. */
async function personOfCouncil(db: Db, organisationId: string, personId: string): Promise<AssistedPerson | null> {
  const [person] = await db
    .select({
      id: users.id,
      name: users.name,
      employeeNumber: users.employeeNumber,
      teamId: users.teamId,
      teamName: teams.name,
    })
    .from(users)
    .leftJoin(teams, eq(teams.id, users.teamId))
    .where(and(eq(users.id, personId), eq(users.organisationId, organisationId), eq(users.active, true)));
  return person ?? null;
}

/**
 * Issues a person a new one-time code (HR officers and admins of their council): shown once to the issuer, stored
 * hashed, valid for 24 hours; any earlier unused code of theirs stops working. Null: not a person of the issuer's.
 */
export async function issueAssistedCode(db: Db, issuer: CurrentUser, personId: string, request: Request) {
  if (issuer.role !== "hr" && issuer.role !== "admin") return null;
  const person = await personOfCouncil(db, issuer.organisationId, personId);
  if (!person) return null;
  const code = newCode();
  const expiresAt = new Date(request.now.getTime() + ASSISTED_CODE_LIFETIME_MS);
  await db.transaction(async (transaction) => {
    const tx = transaction as unknown as Db;
    await tx
      .update(assistedCodes)
      .set({ supersededAt: request.now })
      .where(
        and(
          eq(assistedCodes.userId, person.id),
          isNull(assistedCodes.usedBySession),
          isNull(assistedCodes.supersededAt),
        ),
      );
    const [row] = await tx
      .insert(assistedCodes)
      .values({
        organisationId: issuer.organisationId,
        userId: person.id,
        issuedBy: issuer.id,
        codeHash: codeHash(code),
        issuedAt: request.now,
        expiresAt,
      })
      .returning({ id: assistedCodes.id });
    await writeAudit(
      tx,
      {
        action: "assisted.code-issued",
        organisationId: issuer.organisationId,
        actorUserId: issuer.id,
        subjectType: "user",
        subjectId: person.id,
        details: { codeId: row.id, expiresAt: expiresAt.toISOString() },
      },
      request,
    );
  });
  return { code, person, expiresAt };
}

/** A person an HR officer or admin may issue a code to: an active person of their council. */
export async function codeRecipient(db: Db, issuer: CurrentUser, personId: string) {
  if (issuer.role !== "hr" && issuer.role !== "admin") return null;
  const person = await personOfCouncil(db, issuer.organisationId, personId);
  return person ? { id: person.id, name: person.name, employeeNumber: person.employeeNumber } : null;
}

/**
 * The person a witness may open an assisted session for: an active person of the witness's council, not the
 * witness, in a team the witness champions, or anyone of the council for an HR officer. Null: 404.
 */
export async function assistablePerson(db: Db, witness: CurrentUser, personId: string) {
  const person = await personOfCouncil(db, witness.organisationId, personId);
  if (!person || person.id === witness.id) return null;
  const mayWitness =
    witness.role === "hr" || (person.teamId !== null && witness.championTeamIds.includes(person.teamId));
  return mayWitness ? person : null;
}

export type RefusalReason =
  | "not-yours"
  | "wrong-code"
  | "used-code"
  | "superseded-code"
  | "expired-code"
  | "issuer-as-witness"
  | "too-many-tries";

const REFUSALS: Record<Exclude<RefusalReason, "not-yours">, { status: number; message: string }> = {
  "wrong-code": { status: 400, message: "The code is not right. Check it and type it again" },
  "used-code": { status: 409, message: "This code has already been used. Ask HR for a new code" },
  "superseded-code": { status: 409, message: "A newer code has been issued for this person. Type the newest code" },
  "expired-code": { status: 409, message: "This code has expired. Ask HR for a new code" },
  "issuer-as-witness": {
    status: 409,
    message:
      "You issued this code, so you cannot also witness this signing. Ask another champion or HR officer to witness",
  },
  "too-many-tries": {
    status: 429,
    message: "There have been too many wrong codes for this person. Wait 15 minutes and try again",
  },
};

async function auditRefusal(db: Db, witness: CurrentUser, personId: string, reason: RefusalReason, request: Request) {
  await writeAudit(
    db,
    {
      action: "assisted.refused",
      organisationId: witness.organisationId,
      actorUserId: witness.id,
      subjectType: "user",
      subjectId: personId,
      details: { reason },
    },
    request,
  );
}

class CodeClaimedMeanwhile extends Error {}

export type StartOutcome =
  { ok: true; token: string; person: AssistedPerson } | { ok: false; status: number; errors: FieldErrors } | null;

/**
 * The person types their code on the witness's device: when it is theirs, unused, newest, unexpired and issued by
 * someone other than the witness, the witness's session ends and an assisted session of the person's begins (its
 * token returned for the cookie). The code is claimed by that session, so it never opens another. Every refusal is
 * audited and writes nothing else; null is someone the witness may not assist (404).
 */
export async function startAssistedSession(
  db: Db,
  witness: CurrentUser,
  witnessSessionId: string,
  personId: string,
  typedCode: string,
  request: Request & { userAgent?: string | null },
): Promise<StartOutcome> {
  const person = await assistablePerson(db, witness, personId);
  if (!person) {
    await auditRefusal(db, witness, personId, "not-yours", request);
    return null;
  }
  const refuse = async (reason: Exclude<RefusalReason, "not-yours">): Promise<StartOutcome> => {
    await auditRefusal(db, witness, person.id, reason, request);
    const { status, message } = REFUSALS[reason];
    return { ok: false, status, errors: { code: message } };
  };
  const [{ wrong }] = await db
    .select({ wrong: count() })
    .from(auditLog)
    .where(
      and(
        eq(auditLog.organisationId, witness.organisationId),
        eq(auditLog.action, "assisted.refused"),
        eq(auditLog.subjectId, person.id),
        sql`${auditLog.details}->>'reason' = 'wrong-code'`,
        gt(auditLog.at, new Date(request.now.getTime() - WRONG_CODE_WINDOW_MS)),
      ),
    );
  if (wrong >= WRONG_CODE_LIMIT) return refuse("too-many-tries");
  const [code] = await db
    .select()
    .from(assistedCodes)
    .where(eq(assistedCodes.codeHash, codeHash(typedCode)));
  if (!code || code.userId !== person.id) return refuse("wrong-code");
  if (code.usedBySession !== null || code.usedAt !== null) return refuse("used-code");
  if (code.supersededAt !== null) return refuse("superseded-code");
  if (code.expiresAt <= request.now) return refuse("expired-code");
  if (code.issuedBy === witness.id) return refuse("issuer-as-witness");

  const token = randomToken();
  const sessionId = sha256Hex(token);
  const started = await db
    .transaction(async (transaction) => {
      const tx = transaction as unknown as Db;
      await tx.insert(sessions).values({
        id: sessionId,
        userId: person.id,
        createdAt: request.now,
        lastSeenAt: request.now,
        expiresAt: new Date(request.now.getTime() + ASSISTED_MAX_MS),
        ip: request.ip,
        userAgent: request.userAgent?.slice(0, 500) ?? null,
        method: "assisted",
        witnessUserId: witness.id,
        assistedCodeId: code.id,
      });
      // Two submits at once: only one claims the code; the other's session is rolled back.
      const [claimed] = await tx
        .update(assistedCodes)
        .set({ usedBySession: sessionId })
        .where(
          and(eq(assistedCodes.id, code.id), isNull(assistedCodes.usedBySession), isNull(assistedCodes.supersededAt)),
        )
        .returning({ id: assistedCodes.id });
      if (!claimed) throw new CodeClaimedMeanwhile();
      await revokeSession(tx, witnessSessionId, request.now);
      await writeAudit(
        tx,
        {
          action: "assisted.session-started",
          organisationId: witness.organisationId,
          actorUserId: witness.id,
          subjectType: "user",
          subjectId: person.id,
          details: { codeId: code.id, codeIssuerUserId: code.issuedBy },
        },
        request,
      );
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof CodeClaimedMeanwhile) return false;
      throw error;
    });
  if (!started) return refuse("used-code");
  return { ok: true, token, person };
}

/**
 * Where an assisted session may go (decision 0025): the person's home page, training and the code of conduct
 * until they sign; from then, only the record they signed. Its own page, keeping it alive and signing out always;
 * the public pages too. Everything else, the witness's pages above all, is 404.
 */
export function assistedMayReach(assisted: { reference: string | null }, pathname: string): boolean {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  if (
    ["/assisted", "/session/keep-alive", "/sign-out", "/signed-out", "/cookies", "/accessibility", "/verify"].includes(
      path,
    )
  )
    return true;
  if (path === "/code-of-conduct") return true;
  if (assisted.reference === null) return path === "/" || path === "/training" || path.startsWith("/training/");
  const record = `/records/${assisted.reference}`;
  return path === record || path.startsWith(`${record}/`);
}

const witnessUser = alias(users, "witness");
const issuerUser = alias(users, "issuer");

/** Who witnesses an assisted session and who issued its code, by name, for its banner, signing and record. */
export async function assistedSessionDetails(db: Db, session: ActiveSession) {
  if (!session.assisted) return null;
  const [row] = await db
    .select({
      witnessUserId: witnessUser.id,
      witnessName: witnessUser.name,
      codeId: assistedCodes.id,
      codeIssuerUserId: assistedCodes.issuedBy,
      codeIssuerName: issuerUser.name,
      codeUsedAt: assistedCodes.usedAt,
    })
    .from(assistedCodes)
    .innerJoin(witnessUser, eq(witnessUser.id, session.assisted.witnessUserId))
    .innerJoin(issuerUser, eq(issuerUser.id, assistedCodes.issuedBy))
    .where(eq(assistedCodes.id, session.assisted.codeId));
  return row ? { ...row, reference: session.assisted.reference } : null;
}

/** Finish: the assisted session ends and the device is signed out. */
export async function finishAssistedSession(db: Db, session: ActiveSession, request: Request): Promise<void> {
  if (!session.assisted) return;
  await revokeSession(db, session.id, request.now);
  await writeAudit(
    db,
    {
      action: "assisted.session-ended",
      organisationId: session.user.organisationId,
      actorUserId: session.assisted.witnessUserId,
      subjectType: "user",
      subjectId: session.user.id,
      details: {
        how: session.assisted.reference ? "signed-and-finished" : "finished",
        record: session.assisted.reference,
      },
    },
    request,
  );
}
