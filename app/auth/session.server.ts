import { and, eq, isNull, sql } from "drizzle-orm";
import { writeAudit } from "~/audit/audit.server";
import { queryRows, type Db } from "~db/client.server";
import { organisations, sessions, teamChampions, users, type Role } from "~db/schema";
import { preparedPerDatabase } from "~/lib/prepared.server";
import { randomToken, sha256Hex } from "./tokens.server";

export type CurrentUser = {
  id: string;
  name: string;
  /** Null for a person without a work e-mail address (decision 0025). */
  email: string | null;
  role: Role;
  organisationId: string;
  organisationName: string;
  organisationSlug: string;
  teamId: string | null;
  championTeamIds: string[];
};

export type SessionPolicy = { idleMs: number; maxMs: number };

/** An assisted session (decision 0025) ends after this long without a request, whatever the council's usual idle time. */
export const ASSISTED_IDLE_MS = 15 * 60_000;

// last_seen_at is written at most this often, so a page view is not always a write.
const TOUCH_INTERVAL_MS = 60_000;

export async function createSession(
  db: Db,
  userId: string,
  policy: SessionPolicy,
  context: { ip: string | null; userAgent: string | null; now: Date; method?: "password" | "provider" },
): Promise<string> {
  const token = randomToken();
  await db.insert(sessions).values({
    id: sha256Hex(token),
    userId,
    createdAt: context.now,
    lastSeenAt: context.now,
    expiresAt: new Date(context.now.getTime() + policy.maxMs),
    ip: context.ip,
    userAgent: context.userAgent?.slice(0, 500) ?? null,
    method: context.method ?? "password",
  });
  return token;
}

export type ActiveSession = {
  id: string;
  user: CurrentUser;
  idleExpiresAt: Date;
  expiresAt: Date;
  /** How the session began, and when the council's provider last re-authenticated its person (decision 0022). */
  method: string;
  createdAt: Date;
  providerReauthAt: Date | null;
  /**
   * An assisted session (decision 0025): `user` is the person signing, witnessed by `witnessUserId`, opened with
   * the one-time code `codeId`; `reference` is the record it signed, once it has. Null for every other session.
   */
  assisted: { witnessUserId: string; codeId: string; reference: string | null } | null;
};

const sessionById = preparedPerDatabase((db) =>
  db
    .select({
      session: sessions,
      user: {
        id: users.id,
        name: users.name,
        email: users.email,
        role: users.role,
        active: users.active,
        organisationId: users.organisationId,
        teamId: users.teamId,
      },
      organisation: { name: organisations.name, slug: organisations.slug },
      championTeamIds: sql<
        string[]
      >`coalesce((select array_agg(${teamChampions.teamId}::text order by ${teamChampions.teamId}) from ${teamChampions} where ${teamChampions.userId} = ${users.id}), '{}')`,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(organisations, eq(organisations.id, users.organisationId))
    .where(and(eq(sessions.id, sql.placeholder("id")), isNull(sessions.revokedAt)))
    .prepare("session_by_id"),
);

/** The session behind a cookie token, or null when it is unknown, revoked, idle too long, too old or its user is inactive. */
export async function findActiveSession(
  db: Db,
  token: string,
  policy: SessionPolicy,
  now: Date,
): Promise<ActiveSession | null> {
  const id = sha256Hex(token);
  const [row] = await sessionById(db).execute({ id });
  if (!row) return null;
  const assisted =
    row.session.witnessUserId && row.session.assistedCodeId
      ? {
          witnessUserId: row.session.witnessUserId,
          codeId: row.session.assistedCodeId,
          reference: row.session.assistedReference,
        }
      : null;
  const idleMs = assisted ? assistedIdleMs(policy) : policy.idleMs;
  const idleExpiresAt = new Date(row.session.lastSeenAt.getTime() + idleMs);
  if (!row.user.active || idleExpiresAt <= now || row.session.expiresAt <= now) {
    if (assisted) await endTimedOutAssistedSession(db, id, row.user, assisted, now);
    return null;
  }
  let lastSeen = row.session.lastSeenAt;
  if (now.getTime() - lastSeen.getTime() >= TOUCH_INTERVAL_MS) {
    await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id));
    lastSeen = now;
  }
  const { active: _active, ...user } = row.user;
  return {
    id,
    user: {
      ...user,
      organisationName: row.organisation.name,
      organisationSlug: row.organisation.slug,
      championTeamIds: row.championTeamIds ?? [],
    },
    idleExpiresAt: new Date(Math.min(lastSeen.getTime() + idleMs, row.session.expiresAt.getTime())),
    expiresAt: row.session.expiresAt,
    method: row.session.method,
    createdAt: row.session.createdAt,
    providerReauthAt: row.session.providerReauthAt,
    assisted,
  };
}

/** How long an assisted session may sit idle: its own limit, or the service's when that is shorter. */
const assistedIdleMs = (policy: Pick<SessionPolicy, "idleMs">) => Math.min(policy.idleMs, ASSISTED_IDLE_MS);

/** The first request after an assisted session timed out ends it for good, and says so in the audit log. */
async function endTimedOutAssistedSession(
  db: Db,
  sessionId: string,
  person: { id: string; organisationId: string },
  assisted: { witnessUserId: string; reference: string | null },
  now: Date,
) {
  const [ended] = await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  if (ended) await auditAssistedTimeout(db, { userId: person.id, organisationId: person.organisationId, ...assisted });
}

/** The audit entry of an assisted session that timed out (or whose person was deactivated), written once by what ended it. */
async function auditAssistedTimeout(
  db: Db,
  ended: { userId: string; organisationId: string; witnessUserId: string; reference: string | null },
) {
  await writeAudit(
    db,
    {
      action: "assisted.session-ended",
      organisationId: ended.organisationId,
      actorUserId: ended.witnessUserId,
      subjectType: "user",
      subjectId: ended.userId,
      details: { how: "timed-out", record: ended.reference },
    },
    { ip: null, requestId: null },
  );
}

/**
 * Ends every assisted session that has timed out with no request since (a shared device left or switched off), as
 * the first request after it would: revoked and audited, once. `npm run reminders` runs it, so that the audit log
 * does not wait for a cookie that may never come back. Returns how many it ended.
 */
export async function endLapsedAssistedSessions(
  db: Db,
  policy: Pick<SessionPolicy, "idleMs">,
  now: Date,
): Promise<number> {
  const idleSince = new Date(now.getTime() - assistedIdleMs(policy));
  return db.transaction(async (tx) => {
    const ended = await queryRows<{
      user_id: string;
      organisation_id: string;
      witness_user_id: string;
      assisted_reference: string | null;
    }>(
      tx,
      sql`update sessions s set revoked_at = ${now.toISOString()}::timestamptz
          from users u
          where u.id = s.user_id and s.witness_user_id is not null and s.revoked_at is null
            and (s.last_seen_at <= ${idleSince.toISOString()}::timestamptz
                 or s.expires_at <= ${now.toISOString()}::timestamptz or not u.active)
          returning s.user_id, u.organisation_id, s.witness_user_id, s.assisted_reference`,
    );
    for (const row of ended)
      await auditAssistedTimeout(tx, {
        userId: row.user_id,
        organisationId: row.organisation_id,
        witnessUserId: row.witness_user_id,
        reference: row.assisted_reference,
      });
    return ended.length;
  });
}

/** Keeps an idle session alive (the timeout warning's "stay signed in"). */
export async function touchSession(db: Db, sessionId: string, now: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ lastSeenAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

export async function revokeSession(db: Db, sessionId: string, now: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

export async function revokeAllSessions(db: Db, userId: string, now: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
}
