import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createPasswordLink, setPasswordWithLink } from "~/auth/password-links.server";
import { createSession, findActiveSession } from "~/auth/session.server";
import { applyRoster } from "~/people/roster-links.server";
import { uploadRoster } from "~/people/roster-plan.server";
import { auditLog, emailChanges, mailJobs, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aPerson, aPersonWithoutEmail, asCurrentUser } from "../../test/support/factories";
import { decideEmailChange, pendingEmailChanges } from "./email-changes.server";

const database = await freshDatabase();
const db = database.db;
const NOW = new Date("2026-06-15T10:00:00.000Z");
const LATER = new Date("2026-06-15T11:00:00.000Z");
const POLICY = { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000 };
const request = (now = NOW) => ({ ip: "203.0.113.9", requestId: null, userAgent: "vitest", now });
type Council = Awaited<ReturnType<typeof aCouncil>>;
let n = 0;

/** A staff member whose address an HR officer's roster import asked to change; the id of the pending change. */
async function anAskedForChange(council: Council) {
  const person = await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
  const to = `new-${Date.now().toString(36)}-${n++}@example.test`;
  const hr = asCurrentUser(council.hr, council.organisation);
  const csv = `Employee number,Name,Email,Team,Start date\r\n${person.employeeNumber},${person.name},${to},Team A,${person.startDate}\r\n`;
  const uploaded = await uploadRoster(db, hr, { name: "staff.csv", bytes: new TextEncoder().encode(csv) }, request());
  if (!uploaded.ok) throw new Error(uploaded.error);
  await applyRoster(
    db,
    null,
    hr,
    uploaded.uploadId,
    { planDigest: uploaded.summary.planDigest },
    "https://x",
    request(),
  );
  const admin = asCurrentUser(council.admin, council.organisation);
  const [change] = (await pendingEmailChanges(db, admin)).filter((c) => c.toEmail === to);
  return { person, to, change, admin };
}

const emailOf = async (id: string) => (await db.select({ e: users.email }).from(users).where(eq(users.id, id)))[0].e;

describe("a change of address asked for by a roster import", () => {
  it("once an admin confirms it: the address changes, sessions and links end, the old address is told, audited", async () => {
    const council = await aCouncil(db);
    const { person, to, change, admin } = await anAskedForChange(council);
    const session = await createSession(db, person.id, POLICY, { ip: null, userAgent: null, now: NOW });
    const link = await createPasswordLink(db, person.id, "reset", NOW);
    expect(await emailOf(person.id)).toBe(person.email);

    const result = await decideEmailChange(db, admin, { changeId: change.id, decision: "confirm" }, request(LATER));
    expect(result).toMatchObject({ outcome: "confirmed", personName: person.name });
    expect(await emailOf(person.id)).toBe(to);
    expect(await findActiveSession(db, session, POLICY, LATER)).toBeNull();
    expect(await setPasswordWithLink(db, { token: link, password: "a long new password" }, request(LATER))).toEqual({
      ok: false,
    });
    const jobs = await db.select().from(mailJobs);
    expect(jobs.find((j) => (j.payload as { to?: string }).to === person.email)?.payload).toMatchObject({
      subject: "Your email address for the social media code of conduct has changed",
    });
    expect(
      await db
        .select({ actor: auditLog.actorUserId, details: auditLog.details })
        .from(auditLog)
        .where(and(eq(auditLog.action, "person.email-changed"), eq(auditLog.subjectId, person.id))),
    ).toMatchObject([{ actor: council.admin.id, details: { from: person.email, to, requestedBy: council.hr.id } }]);
    expect(await pendingEmailChanges(db, admin)).toEqual([]);
  });

  it("once rejected, leaves the person as they were, and is audited", async () => {
    const council = await aCouncil(db);
    const { person, change, admin } = await anAskedForChange(council);
    const session = await createSession(db, person.id, POLICY, { ip: null, userAgent: null, now: NOW });
    expect(await decideEmailChange(db, admin, { changeId: change.id, decision: "reject" }, request())).toMatchObject({
      outcome: "rejected",
    });
    expect(await emailOf(person.id)).toBe(person.email);
    expect(await findActiveSession(db, session, POLICY, NOW)).not.toBeNull();
    const [entry] = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "person.email-change-rejected"), eq(auditLog.subjectId, person.id)));
    expect(entry.actorUserId).toBe(council.admin.id);
  });

  it("cannot be decided by another council’s admin, or twice", async () => {
    const council = await aCouncil(db);
    const other = await aCouncil(db);
    const { person, change, admin } = await anAskedForChange(council);
    const otherAdmin = asCurrentUser(other.admin, other.organisation);
    expect(await pendingEmailChanges(db, otherAdmin)).toEqual([]);
    expect(await decideEmailChange(db, otherAdmin, { changeId: change.id, decision: "confirm" }, request())).toEqual({
      outcome: "not-found",
    });
    await decideEmailChange(db, admin, { changeId: change.id, decision: "reject" }, request());
    expect(await decideEmailChange(db, admin, { changeId: change.id, decision: "confirm" }, request())).toEqual({
      outcome: "not-found",
    });
    expect(await emailOf(person.id)).toBe(person.email);
  });

  it("is refused while another person holds the new address", async () => {
    const council = await aCouncil(db);
    const { person, to, change, admin } = await anAskedForChange(council);
    const holder = await aPerson(db, { organisationId: council.organisation.id, email: to });
    expect(await decideEmailChange(db, admin, { changeId: change.id, decision: "confirm" }, request())).toEqual({
      outcome: "taken",
      personName: person.name,
      holder: holder.employeeNumber,
    });
    expect(await emailOf(person.id)).toBe(person.email);
  });

  it("goes to one person when changes of several to one address are confirmed at once; the others are refused", async () => {
    const council = await aCouncil(db);
    const admin = asCurrentUser(council.admin, council.organisation);
    // On PostgreSQL the confirmations look the address up before any of them writes it, in some of these rounds.
    for (let round = 0; round < 30; round++) {
      const to = `wanted-${round}-${Date.now().toString(36)}@example.test`;
      const people = await Promise.all(
        Array.from({ length: 4 }, () => aPerson(db, { organisationId: council.organisation.id })),
      );
      const changes = await db
        .insert(emailChanges)
        .values(
          people.map((person) => ({
            organisationId: council.organisation.id,
            userId: person.id,
            fromEmail: person.email,
            toEmail: to,
            requestedBy: council.hr.id,
            requestedAt: NOW,
          })),
        )
        .returning({ id: emailChanges.id });
      const outcomes = await Promise.all(
        changes.map((change) => decideEmailChange(db, admin, { changeId: change.id, decision: "confirm" }, request())),
      );
      const confirmed = outcomes.filter((o) => o.outcome === "confirmed");
      expect(confirmed).toHaveLength(1);
      const [holder] = await db.select().from(users).where(eq(users.email, to));
      expect(outcomes.filter((o) => o.outcome === "taken")).toEqual(
        Array(3).fill(expect.objectContaining({ holder: holder.employeeNumber })),
      );
      const audited = await db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "person.email-changed"), sql`${auditLog.details}->>'to' = ${to}`));
      expect(audited).toHaveLength(1);
    }
  });
});

describe("an address for someone who had none", () => {
  it("is confirmed like any change, with no old inbox to tell", async () => {
    const council = await aCouncil(db);
    const person = await aPersonWithoutEmail(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
    const to = `first-${Date.now().toString(36)}@example.test`;
    const hr = asCurrentUser(council.hr, council.organisation);
    const csv = `Employee number,Name,Email,Team,Start date\r\n${person.employeeNumber},${person.name},${to},Team A,${person.startDate}\r\n`;
    const uploaded = await uploadRoster(db, hr, { name: "staff.csv", bytes: new TextEncoder().encode(csv) }, request());
    if (!uploaded.ok) throw new Error(uploaded.error);
    await applyRoster(
      db,
      null,
      hr,
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      "https://x",
      request(),
    );
    const admin = asCurrentUser(council.admin, council.organisation);
    const [change] = (await pendingEmailChanges(db, admin)).filter((c) => c.toEmail === to);
    expect(change).toMatchObject({ fromEmail: null });
    const jobsBefore = (await db.select().from(mailJobs)).length;
    const result = await decideEmailChange(db, admin, { changeId: change.id, decision: "confirm" }, request(LATER));
    expect(result).toMatchObject({ outcome: "confirmed" });
    expect(await emailOf(person.id)).toBe(to);
    expect((await db.select().from(mailJobs)).length).toBe(jobsBefore);
  });
});
