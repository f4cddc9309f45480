import { redirect } from "@remix-run/node";
import type { AppLoadContext } from "@remix-run/node";
import { and, eq } from "drizzle-orm";
import type { Db } from "~db/client.server";
import { teams, type Role } from "~db/schema";
import { assistedMayReach } from "./assisted.server";
import { cookiesFor } from "./cookies.server";
import { findActiveSession, type ActiveSession, type CurrentUser } from "./session.server";

export type { CurrentUser };

/** The one way to say "not yours": the same answer as a page that does not exist. */
export function notFound(): Response {
  return new Response("Not Found", { status: 404, statusText: "Not Found" });
}

/**
 * The session behind the request's cookie, wherever it may go: for the layout alone (root.tsx), which shows who is
 * signed in on every page, a 404 included. Every loader and action uses getSession or the helpers built on it.
 */
export async function getLayoutSession(request: Request, context: AppLoadContext): Promise<ActiveSession | null> {
  const token = await cookiesFor(context.config).session.parse(request.headers.get("Cookie"));
  if (typeof token !== "string" || token.length === 0) return null;
  const session = await findActiveSession(
    context.db,
    token,
    { idleMs: context.config.sessionIdleMs, maxMs: context.config.sessionMaxMs },
    context.now(),
  );
  if (session) context.log.userId = session.user.id;
  return session;
}

export async function getSession(request: Request, context: AppLoadContext): Promise<ActiveSession | null> {
  const session = await getLayoutSession(request, context);
  // An assisted session reaches only the person's training and signing (decision 0025): here, so that every
  // loader and action of every other page answers 404 without a check of its own.
  if (session?.assisted && !assistedMayReach(session.assisted, new URL(request.url).pathname)) throw notFound();
  return session;
}

export async function getOptionalUser(request: Request, context: AppLoadContext): Promise<CurrentUser | null> {
  return (await getSession(request, context))?.user ?? null;
}

/** Signed-in people only; anyone else goes to the sign-in page and comes back afterwards. */
export async function requireSession(request: Request, context: AppLoadContext): Promise<ActiveSession> {
  const session = await getSession(request, context);
  if (session) return session;
  const url = new URL(request.url);
  const returnTo = request.method === "GET" ? url.pathname + url.search : "/";
  const headers = new Headers();
  if (request.headers.get("Cookie")?.includes("session=")) {
    headers.append("Set-Cookie", await cookiesFor(context.config).session.serialize("", { maxAge: 0 }));
  }
  throw redirect(`/sign-in?returnTo=${encodeURIComponent(returnTo)}`, { headers });
}

export async function requireUser(request: Request, context: AppLoadContext): Promise<CurrentUser> {
  return (await requireSession(request, context)).user;
}

export async function requireRole(
  request: Request,
  context: AppLoadContext,
  roles: readonly Role[],
): Promise<CurrentUser> {
  const user = await requireUser(request, context);
  if (!roles.includes(user.role)) throw notFound();
  return user;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string | undefined): value is string {
  return typeof value === "string" && UUID.test(value);
}

/** A team the user may see: one they champion, or any team of their own organisation for HR and admins. */
export async function requireTeamAccess(db: Db, user: CurrentUser, teamId: string | undefined) {
  if (!isUuid(teamId)) throw notFound();
  const mayAccess = user.role === "hr" || user.role === "admin" || user.championTeamIds.includes(teamId);
  if (!mayAccess) throw notFound();
  const [team] = await db
    .select({ id: teams.id, name: teams.name, organisationId: teams.organisationId })
    .from(teams)
    .where(and(eq(teams.id, teamId), eq(teams.organisationId, user.organisationId)));
  if (!team) throw notFound();
  return team;
}

export function requestInfo(context: AppLoadContext) {
  return { ip: context.clientIp, requestId: context.requestId, userAgent: context.userAgent };
}
