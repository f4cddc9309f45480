import { randomBytes } from "node:crypto";
import { hashPassword } from "~/auth/password.server";
import type { Db } from "~db/client.server";
import { organisations, teamChampions, teams, users, type Role } from "~db/schema";

export const TEST_PASSWORD = "test-password-long-enough";
let passwordHash: Promise<string> | undefined;
const unique = () => randomBytes(4).toString("hex");

export async function anOrganisation(db: Db, overrides: Partial<typeof organisations.$inferInsert> = {}) {
  const id = unique();
  const [org] = await db
    .insert(organisations)
    .values({ slug: `council-${id}`, name: `Council ${id}`, ...overrides })
    .returning();
  return org;
}

export async function aTeam(db: Db, organisationId: string, name = `Team ${unique()}`) {
  const [team] = await db.insert(teams).values({ organisationId, name }).returning();
  return team;
}

export type PersonOptions = {
  organisationId: string;
  teamId?: string | null;
  role?: Role;
  name?: string;
  email?: string;
  password?: string | null;
  active?: boolean;
  startDate?: string;
};

/** A person who can sign in with TEST_PASSWORD unless told otherwise. */
export async function aPerson(db: Db, options: PersonOptions) {
  const id = unique();
  const hash =
    options.password === null
      ? null
      : options.password === undefined
        ? await (passwordHash ??= hashPassword(TEST_PASSWORD))
        : await hashPassword(options.password);
  const [person] = await db
    .insert(users)
    .values({
      organisationId: options.organisationId,
      teamId: options.teamId ?? null,
      role: options.role ?? "staff",
      employeeNumber: `E${id}`,
      name: options.name ?? `Person ${id}`,
      email: options.email ?? `person-${id}@example.test`,
      passwordHash: hash,
      active: options.active ?? true,
      startDate: options.startDate ?? "2025-01-06",
    })
    .returning();
  return person;
}

export async function aChampion(db: Db, userId: string, teamId: string) {
  await db.insert(teamChampions).values({ userId, teamId });
}

/** One council with two teams and a person of each kind: staff, champion of team A, HR and admin. */
export async function aCouncil(db: Db) {
  const organisation = await anOrganisation(db);
  const teamA = await aTeam(db, organisation.id, "Team A");
  const teamB = await aTeam(db, organisation.id, "Team B");
  const staff = await aPerson(db, { organisationId: organisation.id, teamId: teamA.id, role: "staff" });
  const champion = await aPerson(db, { organisationId: organisation.id, teamId: teamA.id, role: "staff" });
  await aChampion(db, champion.id, teamA.id);
  const hr = await aPerson(db, { organisationId: organisation.id, teamId: teamB.id, role: "hr" });
  const admin = await aPerson(db, { organisationId: organisation.id, teamId: teamB.id, role: "admin" });
  return { organisation, teamA, teamB, staff, champion, hr, admin };
}
