import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { count } from "drizzle-orm";
import { z } from "zod";
import { syncPolicyContent } from "~/attestation/policies.server";
import { hashPassword } from "~/auth/password.server";
import { syncTrainingModules } from "~/training/content-sync.server";
import { loadModules } from "~/training/load-content";
import { seedDemoHistory } from "./seed-demo-history.server";
import type { Db } from "./client.server";
import { organisations, teamChampions, teamMemberships, teams, users, type Role } from "./schema";

const organisationFile = z.object({
  slug: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  demoEmailDomain: z.string().min(3),
  teams: z.array(z.string().min(1)).min(2),
});

/**
 * The demo councils: every content/<slug>/ folder whose organisation.json describes demo people (demoEmailDomain
 * and teams). A council created with `npm run council:create` needs no organisation.json.
 */
export function demoOrganisations(contentDir: string): string[] {
  return readdirSync(contentDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(resolve(contentDir, d.name, "organisation.json")))
    .map((d) => d.name)
    .filter((slug) => organisationFile.safeParse(readJson(resolve(contentDir, slug, "organisation.json"))).success)
    .sort();
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}
export const STAFF_PER_TEAM = 30;
/** People of the demo champion's first team in each council who have no work e-mail address (docs/decisions/0025). */
export const PEOPLE_WITHOUT_EMAIL = 2;

const FIRST_NAMES = [
  "Aisha",
  "Amelia",
  "Ben",
  "Bethany",
  "Callum",
  "Chloe",
  "Daniel",
  "Deborah",
  "Eleanor",
  "Emeka",
  "Fatima",
  "Gareth",
  "Grace",
  "Hannah",
  "Harpreet",
  "Imran",
  "Isla",
  "Jack",
  "Jasmine",
  "Joanne",
  "Kieran",
  "Laura",
  "Liam",
  "Lucy",
  "Mohammed",
  "Megan",
  "Nadia",
  "Niamh",
  "Oliver",
  "Priya",
  "Rachel",
  "Rhys",
  "Samuel",
  "Sarah",
  "Siobhan",
  "Thomas",
  "Tomasz",
  "Uzma",
  "Victoria",
  "Wendy",
  "Yusuf",
  "Zoe",
  "Andrew",
  "Catherine",
  "Declan",
  "Esther",
  "Femi",
  "Gemma",
];
const LAST_NAMES = [
  "Adeyemi",
  "Ahmed",
  "Bailey",
  "Begum",
  "Campbell",
  "Chen",
  "Clarke",
  "Davies",
  "Doherty",
  "Evans",
  "Fitzgerald",
  "Green",
  "Hall",
  "Hughes",
  "Iqbal",
  "Jackson",
  "Jones",
  "Kaur",
  "Kowalski",
  "Lewis",
  "McDonald",
  "Morgan",
  "Murphy",
  "Nowak",
  "O'Brien",
  "Okafor",
  "Patel",
  "Price",
  "Roberts",
  "Robinson",
  "Shah",
  "Singh",
  "Smith",
  "Taylor",
  "Thomas",
  "Turner",
  "Walker",
  "Ward",
  "Watson",
  "White",
  "Williams",
  "Wilson",
  "Wright",
  "Young",
];

/** A small deterministic generator, so every fresh machine gets the same demo people. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function readOrganisationFile(contentDir: string, slug: string) {
  return organisationFile.parse(JSON.parse(readFileSync(resolve(contentDir, slug, "organisation.json"), "utf8")));
}

/** `progress` is told each step as it starts (the first start's seed takes a minute or more), one line each. */
export type SeedOptions = { contentDir?: string; demoPassword: string; today?: Date; progress?: SeedProgress };
export type SeedProgress = (line: string) => void;

export async function isSeeded(db: Db): Promise<boolean> {
  const [{ n }] = await db.select({ n: count() }).from(organisations);
  return n > 0;
}

/** Demo organisations, teams, about 30 people a team, and the four fixed demo accounts per council. */
export async function seedDemo(
  db: Db,
  options: SeedOptions,
): Promise<{ organisations: number; people: number; withHistory: number }> {
  const contentDir = options.contentDir ?? "content";
  const demoHash = await hashPassword(options.demoPassword);
  const today = options.today ?? new Date();
  const progress = options.progress ?? (() => {});
  const demoSlugs = demoOrganisations(contentDir);
  let people = 0;
  await db.transaction(async (tx) => {
    for (const [orgIndex, slug] of demoSlugs.entries()) {
      const file = readOrganisationFile(contentDir, slug);
      progress(`Seeding ${file.name}: ${file.teams.length} teams of about ${STAFF_PER_TEAM} people`);
      const random = prng(orgIndex + 1);
      const [org] = await tx.insert(organisations).values({ slug: file.slug, name: file.name }).returning();
      const teamRows = await tx
        .insert(teams)
        .values(file.teams.map((name) => ({ organisationId: org.id, name })))
        .returning();
      const prefix = slug.slice(0, 3).toUpperCase();
      const rows: (typeof users.$inferInsert)[] = [];
      const usedEmails = new Set<string>();
      let employee = 1000;
      const daysAgo = (days: number) => new Date(today.getTime() - days * 86_400_000).toISOString().slice(0, 10);
      const demo = (local: string, name: string, role: Role, teamIndex: number) => {
        const email = `${local}@${file.demoEmailDomain}`;
        usedEmails.add(email);
        rows.push({
          organisationId: org.id,
          teamId: teamRows[teamIndex].id,
          role,
          employeeNumber: `${prefix}${++employee}`,
          name,
          email,
          passwordHash: demoHash,
          startDate: daysAgo(400 + teamIndex * 30),
        });
      };
      demo("staff", "Sam Staff", "staff", 0);
      demo("champion", "Charlie Champion", "staff", 1);
      demo("hr", "Harriet HR", "hr", 2);
      demo("admin", "Adrian Admin", "admin", 3);
      for (const [teamIndex, team] of teamRows.entries()) {
        const already = rows.filter((r) => r.teamId === team.id).length;
        for (let i = already; i < STAFF_PER_TEAM; i++) {
          const first = FIRST_NAMES[Math.floor(random() * FIRST_NAMES.length)];
          const last = LAST_NAMES[Math.floor(random() * LAST_NAMES.length)];
          let local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, "");
          let n = 1;
          while (usedEmails.has(`${local}@${file.demoEmailDomain}`))
            local = `${first}.${last}${++n}`.toLowerCase().replace(/[^a-z0-9.]/g, "");
          const email = `${local}@${file.demoEmailDomain}`;
          usedEmails.add(email);
          // The last few of the demo champion's first team have no work e-mail address: they sign with assistance.
          const withoutEmail = teamIndex === 0 && i >= STAFF_PER_TEAM - PEOPLE_WITHOUT_EMAIL;
          rows.push({
            organisationId: org.id,
            teamId: team.id,
            role: "staff",
            employeeNumber: `${prefix}${++employee}`,
            name: `${first} ${last}`,
            email: withoutEmail ? null : email,
            passwordHash: null,
            // No password here, so they re-authenticate to sign with a signing passphrase: the demo password.
            signingPassphraseHash: withoutEmail ? null : demoHash,
            startDate: daysAgo(Math.floor(random() * 2000) + 7 + teamIndex),
          });
        }
      }
      const inserted = await tx
        .insert(users)
        .values(rows)
        .returning({ id: users.id, email: users.email, teamId: users.teamId, startDate: users.startDate });
      await tx
        .insert(teamMemberships)
        .values(inserted.map((u) => ({ userId: u.id, teamId: u.teamId!, startedOn: u.startDate })));
      people += inserted.length;
      const champion = inserted.find((u) => u.email === `champion@${file.demoEmailDomain}`)!;
      // The demo champion is named for two teams; each other team gets one of its own members.
      const championRows = [
        { teamId: teamRows[0].id, userId: champion.id },
        { teamId: teamRows[1].id, userId: champion.id },
      ];
      for (const team of teamRows.slice(2)) {
        const member = rows.findIndex((r) => r.teamId === team.id && r.passwordHash === null);
        championRows.push({ teamId: team.id, userId: inserted[member].id });
      }
      await tx.insert(teamChampions).values(championRows);
    }
  });
  // The policy and modules as the councils adopted them, then a year of people training and signing.
  const adopted = new Date(today.getTime() - 450 * 86_400_000);
  progress("Recording each council's code of conduct and training modules");
  await syncPolicyContent(db, contentDir, {
    now: (effectiveDate) => new Date(Math.min(today.getTime(), Date.parse(`${effectiveDate}T00:00:00Z`))),
  });
  const { modules } = await loadModules(contentDir);
  await syncTrainingModules(db, modules, adopted);
  const demoEmails = new Set(
    demoSlugs.flatMap((slug) =>
      ["staff", "champion", "hr", "admin"].map((l) => `${l}@${readOrganisationFile(contentDir, slug).demoEmailDomain}`),
    ),
  );
  const history = await seedDemoHistory(db, { today, modules, demoEmails, progress });
  return { organisations: demoSlugs.length, people, withHistory: history.people };
}
