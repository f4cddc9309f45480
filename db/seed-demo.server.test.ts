import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyLedger } from "~/attestation/ledger.server";
import { completionFigures } from "~/tracking/status.server";
import { freshDatabase } from "../test/support/database";
import { attempts, organisations, teamChampions, teams, users } from "./schema";
import { seedDemo } from "./seed-demo.server";

const database = await freshDatabase();
const db = database.db;
const today = new Date("2026-12-01T09:00:00Z");

beforeAll(async () => {
  await seedDemo(db, { demoPassword: "correct-horse-battery-staple", today });
}, 300_000);

describe("the demo data", () => {
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

  it("has passed and failed attempts, and signed records in chains that verify", async () => {
    const statuses = new Set((await db.select({ status: attempts.status }).from(attempts)).map((a) => a.status));
    expect(statuses).toEqual(new Set(["passed", "failed", "in_progress"]));
    const report = await verifyLedger(db);
    expect(report.ok).toBe(true);
    expect(report.chains.every((c) => c.records > 0)).toBe(true);
    expect((await db.select().from(organisations)).length).toBe(2);
  });
});
