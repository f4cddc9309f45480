import { and, asc, eq, isNotNull, sql } from "drizzle-orm";
import { signCodeOfConduct } from "~/attestation/signing.server";
import type { CurrentUser } from "~/auth/session.server";
import { addMonths } from "~/lib/dates";
import { nudgeTeam } from "~/tracking/nudges.server";
import { answerQuestion, attemptState, startOrResumeAttempt } from "~/training/attempts.server";
import { questionsOf, type TrainingModule } from "~/training/content-schema";
import { currentPolicyVersion } from "~/attestation/policies.server";
import type { Db } from "./client.server";
import { organisations, teamChampions, teams, users } from "./schema";

const DAY = 86_400_000;

type Person = CurrentUser & { teamName: string };
type Plan = "complete" | "expired" | "due-soon" | "in-progress" | "failed" | "untouched";

/**
 * Who does what in each demo team of 30, by position in the team (names are random, so this reads as a
 * mix): most have completed, some let their training lapse, new starters are due soon or part way through,
 * and the rest are overdue, some after failing a module.
 */
function planFor(index: number): Plan {
  if (index < 12) return "complete";
  if (index < 15) return "expired";
  if (index < 18) return "due-soon";
  if (index < 20) return "in-progress";
  if (index < 23) return "failed";
  return "untouched";
}

async function takeModule(
  db: Db,
  person: CurrentUser,
  module: TrainingModule,
  at: Date,
  outcome: "pass" | "fail" | "half",
) {
  const attemptId = await startOrResumeAttempt(db, person, module.id, at);
  if (!attemptId) throw new Error(`No module ${module.id} for ${person.organisationSlug}`);
  let clock = at.getTime();
  for (let question = 0; question < 40; question++) {
    const state = await attemptState(db, person, module.id, attemptId);
    if (!state || state.kind !== "question") return;
    if (outcome === "half" && question >= 3) return;
    const scenario = questionsOf(module).get(state.scenario.id)!.scenario;
    const right = scenario.choices.find((c) => c.correct)!;
    const wrong = scenario.choices.find((c) => !c.correct)!;
    const choice = outcome === "fail" && question < 4 ? wrong : right;
    clock += 40_000 + ((question * 7919) % 50_000);
    await answerQuestion(
      db,
      person,
      module.id,
      attemptId,
      { scenarioId: scenario.id, choiceId: choice.id, step: state.step },
      new Date(clock),
    );
  }
}

async function sign(db: Db, person: CurrentUser, at: Date) {
  const version = await currentPolicyVersion(db, person.organisationId, at.toISOString().slice(0, 10));
  if (!version) return;
  const result = await signCodeOfConduct(
    db,
    person,
    {
      policyVersionId: version.id,
      declarationRead: "yes",
      declarationFollow: "yes",
      declarationConsequences: "yes",
      typedName: person.name,
      password: "demo",
    },
    { ip: "192.0.2.10", requestId: "demo-seed", userAgent: "Demo data", now: at },
    // The seed does not know the demo password's plain text: it signs for them through the same function.
    { checkPassword: async () => true },
  );
  if (!result.ok) throw new Error(`Demo signature for ${person.name} failed: ${JSON.stringify(result.errors)}`);
}

/**
 * A year of realistic history for the demo councils, written through the same domain functions the
 * pages use (attempts, answers, signatures, nudges), at past moments, so the ledger verifies and the
 * champions' pages show the product at work on first start.
 */
export async function seedDemoHistory(
  db: Db,
  options: { today: Date; modules: TrainingModule[]; demoEmails: Set<string>; progress?: (line: string) => void },
) {
  const progress = options.progress ?? (() => {});
  const today = options.today;
  const daysAgo = (days: number, hour = 10) =>
    new Date(Math.floor(today.getTime() / DAY) * DAY - days * DAY + hour * 3_600_000);
  let people = 0;
  for (const org of await db.select().from(organisations)) {
    const modules = options.modules.filter((m) => m.organisation === org.slug);
    const version = await currentPolicyVersion(db, org.id, today.toISOString().slice(0, 10));
    const policyFrom = version ? new Date(`${version.effectiveDate}T09:00:00Z`) : today;
    const rows = await db
      .select({ user: users, teamName: teams.name })
      .from(users)
      .innerJoin(teams, eq(teams.id, users.teamId))
      .where(eq(users.organisationId, org.id))
      .orderBy(asc(teams.name), asc(users.employeeNumber));
    const byTeam = new Map<string, Person[]>();
    for (const { user, teamName } of rows) {
      const person: Person = {
        id: user.id,
        name: user.name,
        email: user.email,
        role: user.role,
        organisationId: org.id,
        organisationName: org.name,
        organisationSlug: org.slug,
        teamId: user.teamId,
        championTeamIds: [],
        teamName,
      };
      byTeam.set(user.teamId!, [...(byTeam.get(user.teamId!) ?? []), person]);
    }
    let teamNumber = 0;
    for (const [, members] of byTeam) {
      progress(
        `Writing a year of training and signing for ${org.name}, team ${++teamNumber} of ${byTeam.size} (${members[0].teamName})`,
      );
      let index = 0;
      for (const person of members) {
        if (person.email === null || options.demoEmails.has(person.email)) continue;
        const plan = planFor(index++);
        const spread = (index * 37) % 200;
        if (plan === "due-soon" || plan === "in-progress") {
          // New starters: due within the fortnight, or started and not yet due soon.
          const started = plan === "due-soon" ? 20 + (index % 4) : 3 + (index % 4);
          await db
            .update(users)
            .set({ startDate: daysAgo(started).toISOString().slice(0, 10) })
            .where(eq(users.id, person.id));
          await db.execute(
            sql`update team_memberships set started_on = ${daysAgo(started).toISOString().slice(0, 10)}::date where user_id = ${person.id}::uuid`,
          );
          if (plan === "in-progress") await takeModule(db, person, modules[0], daysAgo(1), "half");
          if (plan === "due-soon" && index % 2 === 0) await takeModule(db, person, modules[0], daysAgo(2), "pass");
        } else if (plan === "complete") {
          const at = daysAgo(10 + spread);
          for (const m of modules) await takeModule(db, person, m, at, "pass");
          await sign(
            db,
            person,
            new Date(Math.max(at.getTime() + 3_600_000, policyFrom.getTime() + spread * 3_600_000)),
          );
        } else if (plan === "expired") {
          // Trained more than a year ago and signed when the code took effect: the training has lapsed.
          const at = daysAgo(380 + (index % 20));
          for (const m of modules) await takeModule(db, person, m, at, "pass");
          if (policyFrom < today && addMonths(at, 12) > policyFrom)
            await sign(db, person, new Date(policyFrom.getTime() + index * 3_600_000));
        } else if (plan === "failed") {
          await takeModule(db, person, modules[0], daysAgo(30 + spread), "fail");
        }
        people++;
      }
    }
    // The demo champion has nudged a few of their overdue people this week.
    const [champion] = await db
      .select({ user: users })
      .from(users)
      .innerJoin(teamChampions, eq(teamChampions.userId, users.id))
      .where(and(eq(users.organisationId, org.id), eq(users.role, "staff"), isNotNull(users.passwordHash)))
      .limit(1);
    if (champion) {
      const [team] = await db
        .select()
        .from(teamChampions)
        .innerJoin(teams, eq(teams.id, teamChampions.teamId))
        .where(eq(teamChampions.userId, champion.user.id))
        .limit(1);
      const sender: CurrentUser = {
        id: champion.user.id,
        name: champion.user.name,
        email: champion.user.email,
        role: champion.user.role,
        organisationId: org.id,
        organisationName: org.name,
        organisationSlug: org.slug,
        teamId: champion.user.teamId,
        championTeamIds: [team.teams.id],
      };
      await nudgeTeam(
        db,
        null,
        sender,
        team.teams,
        { target: "everyone", message: "Please finish your social media training this month. I can help: ask me." },
        {
          ip: null,
          requestId: "demo-seed",
          now: daysAgo(2, 9),
          serviceUrl: "http://localhost:3000",
        },
      );
    }
  }
  return { people };
}
