import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { findUsableLink } from "~/auth/password-links.server";
import { ContentError } from "~/training/content-sync.server";
import {
  auditLog,
  organisations,
  passwordTokens,
  policyVersions,
  requirements,
  trainingModules,
  users,
} from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aModuleContent, anOrganisation, aPerson } from "../../test/support/factories";
import {
  createCouncil,
  CouncilRefused,
  PLACEHOLDER_EMPLOYEE_NUMBER,
  type CreateCouncilInput,
} from "./create-council.server";

const { db } = await freshDatabase();
const now = new Date("2026-12-01T10:00:00Z");
const request = { ip: null, requestId: "test" };
const empty = mkdtempSync(join(tmpdir(), "smcoc-council-"));
afterAll(() => rmSync(empty, { recursive: true, force: true }));
const options = (contentDir = empty, delivery: "email" | "printed" = "printed") => ({
  contentDir,
  delivery,
  request,
  now,
});

/** A content folder for a council no code has heard of: one module and the policy it cites. */
function contentFor(slug: string) {
  const dir = mkdtempSync(join(tmpdir(), "smcoc-content-"));
  mkdirSync(join(dir, slug, "modules"), { recursive: true });
  writeFileSync(join(dir, slug, "policy.txt"), "Social media policy\n\n1.1 Personal use\n\nBe careful online.\n");
  writeFileSync(
    join(dir, slug, "policy.json"),
    JSON.stringify({
      title: "Code of conduct",
      versionLabel: "2026-1",
      effectiveDate: "2026-11-01",
      requiresReattestation: true,
    }),
  );
  writeFileSync(join(dir, slug, "modules", "basics.json"), JSON.stringify(aModuleContent(slug, { id: "basics" })));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let n = 0;
function input(overrides: Partial<CreateCouncilInput> = {}): CreateCouncilInput {
  n++;
  return {
    slug: `borough-${n}`,
    name: `Borough ${n} Council`,
    adminEmail: `it.admin${n}@borough${n}.example`,
    adminName: "Ann Admin",
    ...overrides,
  };
}

/** Rows in every table a council set-up writes to: a refusal must leave them all as they were. */
async function tally() {
  const counts = await Promise.all(
    [organisations, users, passwordTokens, auditLog, policyVersions, trainingModules].map(
      async (table) => (await db.select({ n: count() }).from(table))[0].n,
    ),
  );
  return counts;
}

describe("createCouncil", () => {
  it("creates the council, its first admin without a password, a one-time link, and audits each", async () => {
    const result = await createCouncil(db, input({ slug: "north-vale", name: "North Vale Council" }), options());
    expect(result.outcome).toBe("created");
    if (result.outcome !== "created") return;
    const [admin] = await db.select().from(users).where(eq(users.id, result.admin.id));
    expect(admin).toMatchObject({
      organisationId: result.organisation.id,
      role: "admin",
      passwordHash: null,
      active: true,
      employeeNumber: PLACEHOLDER_EMPLOYEE_NUMBER,
      startDate: "2026-12-01",
    });
    const link = await findUsableLink(db, result.token, now);
    expect(link).toMatchObject({ userId: admin.id, purpose: "set" });
    expect(await findUsableLink(db, result.token, new Date(now.getTime() + 8 * 86_400_000))).toBeNull();
    const audit = await db.select().from(auditLog).where(eq(auditLog.organisationId, result.organisation.id));
    expect(audit.map((a) => a.action).sort()).toEqual([
      "organisation.created",
      "people.admin-created",
      "people.password-link-issued",
    ]);
    expect(audit.find((a) => a.action === "people.password-link-issued")?.details).toMatchObject({
      delivery: "printed",
    });
    expect(result.content).toEqual({ policyVersion: null, modules: 0 });
  });

  it("records the code of conduct and modules of content/<slug>/ for any slug, each a requirement", async () => {
    const dir = contentFor("east-borough");
    const result = await createCouncil(db, input({ slug: "east-borough" }), options(dir));
    if (result.outcome !== "created") throw new Error("not created");
    expect(result.content).toEqual({ policyVersion: "2026-1", modules: 1 });
    const modules = await db
      .select({ slug: trainingModules.slug })
      .from(trainingModules)
      .where(eq(trainingModules.organisationId, result.organisation.id));
    expect(modules).toEqual([{ slug: "basics" }]);
    const [version] = await db
      .select()
      .from(policyVersions)
      .where(eq(policyVersions.organisationId, result.organisation.id));
    expect(version).toMatchObject({ versionLabel: "2026-1", effectiveDate: "2026-11-01" });
    const [{ n: required }] = await db
      .select({ n: count() })
      .from(requirements)
      .where(eq(requirements.organisationId, result.organisation.id));
    expect(required).toBe(2);
  });

  it("records the shipped content/wirral/ for a council created with that slug", async () => {
    const result = await createCouncil(
      db,
      input({ slug: "wirral", name: "Wirral Council", adminEmail: "it@wirral.example" }),
      options("content"),
    );
    if (result.outcome !== "created") throw new Error("not created");
    expect(result.content).toEqual({
      policyVersion: "1",
      modules: readdirSync("content/wirral/modules").filter((f) => f.endsWith(".json")).length,
    });
  });

  it("changes nothing and makes no new link when asked again with the same details", async () => {
    const first = input({ adminEmployeeNumber: "E100" });
    await createCouncil(db, first, options());
    const before = await tally();
    const again = await createCouncil(
      db,
      { ...first, adminEmail: first.adminEmail.toUpperCase(), name: ` ${first.name} ` },
      options(),
    );
    expect(again.outcome).toBe("unchanged");
    expect(again).not.toHaveProperty("token");
    expect(await tally()).toEqual(before);
  });

  it("refuses a slug taken with another name or another admin, writing nothing", async () => {
    const first = input();
    await createCouncil(db, first, options());
    const before = await tally();
    await expect(createCouncil(db, { ...first, name: "Another Council" }, options())).rejects.toThrow(
      new CouncilRefused(
        `The slug "${first.slug}" is already taken with other details (its name is "${first.name}"): nothing was changed.`,
      ),
    );
    await expect(createCouncil(db, { ...first, adminEmail: "someone@else.example" }, options())).rejects.toThrow(
      /someone@else\.example is not one of its people/,
    );
    await expect(createCouncil(db, { ...first, adminName: "Bob" }, options())).rejects.toThrow(/is named "Ann Admin"/);
    await expect(createCouncil(db, { ...first, adminEmployeeNumber: "X9" }, options())).rejects.toThrow(
      /has employee number ADMIN-1/,
    );
    expect(await tally()).toEqual(before);
  });

  it("refuses an address already used in another council: an address is unique across the install", async () => {
    const other = await anOrganisation(db);
    const person = await aPerson(db, { organisationId: other.id, email: "Shared.Person@example.org" });
    const before = await tally();
    await expect(createCouncil(db, input({ adminEmail: "shared.person@EXAMPLE.org" }), options())).rejects.toThrow(
      new CouncilRefused(
        "shared.person@EXAMPLE.org is already used by another account (an e-mail address belongs to one person across the whole service): nothing was changed.",
      ),
    );
    expect(await tally()).toEqual(before);
    expect(person.email).toBe("Shared.Person@example.org");
  });

  it("refuses content/<slug>/ with a problem, writing nothing", async () => {
    const dir = contentFor("west-borough");
    writeFileSync(
      join(dir, "west-borough", "modules", "broken.json"),
      JSON.stringify(aModuleContent("west-borough", { id: "broken", passMark: 2 })),
    );
    const before = await tally();
    const attempt = createCouncil(db, input({ slug: "west-borough" }), options(dir));
    await expect(attempt).rejects.toThrow(ContentError);
    await expect(attempt).rejects.toThrow(/broken\.json: passMark/);
    expect(await tally()).toEqual(before);
  });

  it("makes one council of several runs at once with the same details, round after round", async () => {
    // The runs race through each other's look-ups: a run may see the address taken by the council another run
    // has just committed. Several rounds of eight make that interleaving likely on PostgreSQL.
    for (let round = 0; round < 60; round++) {
      const same = input();
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => createCouncil(db, same, options())));
      const outcomes = results.map((r) => (r.status === "fulfilled" ? r.value.outcome : String(r.reason)));
      expect(outcomes.sort()).toEqual(["created", ...Array(7).fill("unchanged")]);
      const [{ n: made }] = await db
        .select({ n: count() })
        .from(organisations)
        .where(eq(organisations.slug, same.slug));
      expect(made).toBe(1);
      const [{ n: links }] = await db
        .select({ n: count() })
        .from(passwordTokens)
        .innerJoin(users, eq(users.id, passwordTokens.userId))
        .where(eq(sql`lower(${users.email})`, same.adminEmail));
      expect(links).toBe(1);
    }
  });
});
