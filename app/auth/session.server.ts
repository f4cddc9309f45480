import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "~db/client.server";
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
  const idleExpiresAt = new Date(row.session.lastSeenAt.getTime() + policy.idleMs);
  if (!row.user.active || idleExpiresAt <= now || row.session.expiresAt <= now) return null;
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
    idleExpiresAt: new Date(Math.min(lastSeen.getTime() + policy.idleMs, row.session.expiresAt.getTime())),
    expiresAt: row.session.expiresAt,
    method: row.session.method,
    createdAt: row.session.createdAt,
    providerReauthAt: row.session.providerReauthAt,
  };
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
