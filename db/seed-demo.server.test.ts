import { and, eq, isNull } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyLedger } from "~/attestation/ledger.server";
import { completionFigures } from "~/tracking/status.server";
import { freshDatabase } from "../test/support/database";
import { attempts, organisations, teamChampions, teams, users } from "./schema";
import { PEOPLE_WITHOUT_EMAIL, seedDemo } from "./seed-demo.server";

const database = await freshDatabase();
const db = database.db;
const today = new Date("2026-12-01T09:00:00Z");

const progress: string[] = [];

beforeAll(async () => {
  await seedDemo(db, { demoPassword: "correct-horse-battery-staple", today, progress: (line) => progress.push(line) });
}, 300_000);

describe("the demo data", () => {
  it("says what it is doing at each step, so a first start is never silent for long", () => {
    expect(progress[0]).toMatch(/^Seeding .+: \d+ teams of about \d+ people$/);
    expect(progress).toContain("Recording each council's code of conduct and training modules");
    expect(progress.filter((line) => line.startsWith("Writing a year of training and signing for"))).toHaveLength(8);
  });

  it("shows each demo champion's teams at work: complete, in progress, due soon, overdue and expired", async () => {
    const championed = await db
      .select({ teamId: teamChampions.teamId, organisationId: teams.organisationId })
      .from(teamChampions)
      .innerJoin(users, eq(users.id, teamChampions.userId))
      .innerJoin(teams, eq(teams.id, teamChampions.teamId))
      .where(eq(users.email, "champion@wirral.example"));
    expect(championed).toHaveLength(2);
    for (const team of championed) {
      const figures = await completionFigures(
        db,
        { organisationId: team.organisationId, teamId: team.teamId },
        { now: today },
      );
      for (const status of ["complete", "in_progress", "due_soon", "overdue", "expired"] as const) {
        expect(figures.peopleByStatus[status], status).toBeGreaterThan(0);
      }
    }
  });

  it("has people without a work e-mail address in each demo champion's first team, to sign with assistance", async () => {
    for (const domain of ["hertfordshire.example", "wirral.example"]) {
      const [champion] = await db
        .select()
        .from(users)
        .where(eq(users.email, `champion@${domain}`));
      const without = await db
        .select({ teamId: users.teamId, passwordHash: users.passwordHash, passphrase: users.signingPassphraseHash })
        .from(users)
        .where(and(eq(users.organisationId, champion.organisationId), isNull(users.email)));
      expect(without).toHaveLength(PEOPLE_WITHOUT_EMAIL);
      const championed = await db
        .select({ teamId: teamChampions.teamId })
        .from(teamChampions)
        .where(eq(teamChampions.userId, champion.id));
      for (const person of without) {
        expect(championed.map((c) => c.teamId)).toContain(person.teamId);
        expect(person).toMatchObject({ passwordHash: null, passphrase: null });
      }
    }
  });

  it("has passed and failed attempts, and signed records in chains that verify", async () => {
    const statuses = new Set((await db.select({ status: attempts.status }).from(attempts)).map((a) => a.status));
    expect(statuses).toEqual(new Set(["passed", "failed", "in_progress"]));
    const report = await verifyLedger(db);
    expect(report.ok).toBe(true);
    expect(report.chains.every((c) => c.records > 0)).toBe(true);
    expect((await db.select().from(organisations)).length).toBe(2);
  });
});
