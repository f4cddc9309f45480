import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrationsFolder, openDatabase, queryRows, type Database } from "~db/client.server";
import { attestations, organisations } from "~db/schema";
import { freePort, startAppProcess, type AppProcess } from "../support/app-process";
import { aPerson, aTeam, databaseError, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { productionRoles } from "../support/production-roles";

/**
 * The README's production runbook on a fresh PostgreSQL database: the roles exactly as docs/ledger.md writes them,
 * migrations as the owner, the app started in production as the app role, a council created and its admin signed
 * in through the printed link; then the app role signs, withdraws and reports, is refused every change to the
 * ledger, and after an upgrade can use the new release's plain table and is refused on its append-only one.
 */
const onPostgres = inject("databaseTemplate").kind === "postgres";
const root = resolve(import.meta.dirname, "../..");
const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const roles = productionRoles(serverUrl);
const urlAs = roles.urlAs;

type Outcome = { code: number | null; stdout: string; stderr: string };

/** A command-line script as package.json runs it, with only the environment given. */
function runScript(script: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["DATABASE_URL", "NODE_ENV", "SESSION_SECRET", "PGLITE_DIR", "SMTP_URL", "SERVICE_URL", "PORT"])
    delete childEnv[name];
  Object.assign(childEnv, env);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: root,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

const scratch = mkdtempSync(join(tmpdir(), "smcoc-runbook-"));
let app: AppProcess;
let appDatabase: Database;
let production: Record<string, string>;

async function cleanUp() {
  await app?.stop();
  await appDatabase?.close();
  await roles.drop();
  rmSync(scratch, { recursive: true, force: true });
}

describe.skipIf(!onPostgres)("the production runbook on a fresh PostgreSQL database", () => {
  const admin = { email: "rita.admin@riverside.example", name: "Rita Admin", password: "a-long-password-for-rita" };
  let adminClient: HttpClient;

  beforeAll(async () => {
    const port = await freePort();
    production = {
      NODE_ENV: "production",
      SESSION_SECRET: randomBytes(32).toString("hex"),
      SERVICE_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: urlAs("app"),
    };
    // 1. Roles and database, exactly as docs/ledger.md says.
    await roles.create();
    // 2. Migrate as the owner (npm run db:migrate).
    const migrated = await runScript("scripts/migrate.ts", [], { DATABASE_URL: urlAs("owner") });
    expect(migrated.code, migrated.stderr).toBe(0);
    // 3. Start as the app role, in production.
    app = startAppProcess(production, port);
    await app.waitForServing({ ms: 120_000 });
    appDatabase = await openDatabase({ url: urlAs("app"), maxConnections: 2 });
  }, 300_000);
  afterAll(cleanUp, 60_000);

  it("creates a council as the app role and its admin sets a password through the printed link and signs in", async () => {
    const created = await runScript(
      "scripts/council-create.ts",
      ["--slug", "riverside", "--name", "Riverside Council", "--admin-email", admin.email, "--admin-name", admin.name],
      production,
    );
    expect(created.code, created.stderr).toBe(0);
    const link = new URL(/http:\/\/\S+\/set-password\?token=\S+/.exec(created.stdout)![0]);
    expect(link.origin).toBe(app.url);
    adminClient = new HttpClient(app.url);
    const form = await adminClient.get(link.pathname + link.search);
    expect(form.status).toBe(200);
    const set = await adminClient.post("/set-password", {
      token: link.searchParams.get("token")!,
      password: admin.password,
      confirmPassword: admin.password,
    });
    expect(set.status).toBe(302);
    expect(set.headers.get("location")).toBe("/sign-in?passwordSet=1");
    await adminClient.signIn(admin.email, admin.password);
    const home = pageText(await (await adminClient.get("/")).text());
    expect(home).toContain(`Welcome, ${admin.name}`);
    expect(home).toContain("Your council has not set any training yet.");
    expect(pageText(await (await adminClient.get("/training")).text())).toContain(
      "Riverside Council has not set any training yet.",
    );
    expect(pageText(await (await adminClient.get("/code-of-conduct")).text())).toContain(
      "Riverside Council has not published its code of conduct here yet",
    );
    // The link worked once.
    const again = await adminClient.post("/set-password", {
      token: link.searchParams.get("token")!,
      password: "another-long-password",
      confirmPassword: "another-long-password",
    });
    expect(again.status).not.toBe(302);
  }, 180_000);

  it("lets the app role publish, sign, withdraw and report", async () => {
    const policyFile = join(scratch, "policy.txt");
    writeFileSync(policyFile, "Riverside social media code\n\n1. Personal use\n\nKeep work and home apart.\n");
    const today = new Date().toISOString().slice(0, 10);
    const published = await runScript(
      "scripts/policy-publish.ts",
      ["--organisation", "riverside", "--file", policyFile, "--label", "1", "--effective", today],
      production,
    );
    expect(published.code, published.stderr).toBe(0);

    const db = appDatabase.db;
    const [council] = await db.select().from(organisations).where(eq(organisations.slug, "riverside"));
    const team = await aTeam(db, council.id, "Children's services");
    const staff = await aPerson(db, { organisationId: council.id, teamId: team.id, name: "Sam Signer" });
    const hr = await aPerson(db, { organisationId: council.id, teamId: team.id, role: "hr" });

    const signer = new HttpClient(app.url);
    await signer.signIn(staff.email, TEST_PASSWORD);
    const page = await (await signer.get("/code-of-conduct")).text();
    const versionId = /name="policyVersionId"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="policyVersionId"/.exec(
      page,
    );
    const signed = await signer.post("/code-of-conduct", {
      policyVersionId: versionId![1] ?? versionId![2],
      declarationRead: "yes",
      declarationFollow: "yes",
      declarationConsequences: "yes",
      typedName: staff.name,
      password: TEST_PASSWORD,
    });
    expect(signed.status).toBe(302);
    const reference = /\/records\/(ATT-[A-Z0-9-]+)/.exec(signed.headers.get("location")!)![1];

    const hrClient = new HttpClient(app.url);
    await hrClient.signIn(hr.email, TEST_PASSWORD);
    const withdrawn = await hrClient.post("/hr/withdraw", {
      reference,
      reason: "Signed on behalf of someone else by mistake.",
    });
    expect(withdrawn.status).toBe(200);
    expect(pageText(await withdrawn.text())).toContain(`Record ${reference} is withdrawn`);
    const kinds = await db
      .select({ kind: attestations.kind })
      .from(attestations)
      .where(eq(attestations.organisationId, council.id))
      .orderBy(attestations.seq);
    expect(kinds.map((k) => k.kind)).toEqual(["signed", "withdrawn"]);

    const report = await hrClient.get("/hr/report");
    expect(report.status).toBe(200);
    expect(pageText(await report.text())).toContain("Sam Signer");

    const verified = await runScript("scripts/ledger-verify.ts", [], production);
    expect(verified.code, verified.stderr).toBe(0);
  }, 180_000);

  it("refuses the app role UPDATE, DELETE, TRUNCATE and DISABLE TRIGGER on the ledger, and on every append-only table", async () => {
    const db = appDatabase.db;
    const [before] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from attestations`);
    expect(before.n).toBe(2);
    expect(await databaseError(db.execute(sql`update attestations set typed_name = 'Someone else'`))).toMatch(
      /permission denied for table attestations/,
    );
    expect(await databaseError(db.execute(sql`delete from attestations`))).toMatch(
      /permission denied for table attestations/,
    );
    expect(await databaseError(db.execute(sql`truncate attestations`))).toMatch(
      /permission denied for table attestations/,
    );
    expect(
      await databaseError(db.execute(sql`alter table attestations disable trigger attestations_no_update_delete`)),
    ).toMatch(/must be owner of table attestations/);
    expect(await databaseError(db.execute(sql`alter table attestations disable trigger all`))).toMatch(
      /must be owner of table attestations/,
    );
    const [after] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from attestations`);
    expect(after.n).toBe(2);
    // The app role's start said nothing of it; the owner's does.
    const warning = "The app's database role can change or disable the triggers of the append-only tables";
    expect(app.lines.filter((l) => l.msg?.startsWith(warning))).toEqual([]);
    const asOwner = startAppProcess({ ...production, DATABASE_URL: urlAs("owner") }, await freePort());
    try {
      const line = await asOwner.waitForLine((l) => l.msg?.startsWith(warning) ?? false, { ms: 120_000 });
      expect(line.tables).toContain("attestations");
    } finally {
      await asOwner.stop();
    }
    const rights = await queryRows<{ table: string; changes: boolean; owns: boolean }>(
      db,
      sql`select c.relname as table,
            has_table_privilege(c.oid, 'UPDATE') or has_table_privilege(c.oid, 'DELETE')
              or has_table_privilege(c.oid, 'TRUNCATE') or has_table_privilege(c.oid, 'TRIGGER') as changes,
            pg_has_role(c.relowner, 'USAGE') as owns
          from pg_class c
          where exists (select 1 from pg_trigger t where t.tgrelid = c.oid
                          and t.tgfoid = 'refuse_change_to_append_only()'::regprocedure)
          order by 1`,
    );
    expect(rights).toEqual(
      [
        "attempt_events",
        "attestations",
        "audit_log",
        "certificates",
        "earlier_training",
        "exemptions",
        "ledger_checkpoints",
        "ledger_tree_nodes",
        "nudge_deliveries",
        "policy_versions",
        "requirement_settings",
      ].map((table) => ({ table, changes: false, owns: false })),
    );
  }, 180_000);

  it("after an upgrade migrated as the owner, the app role uses the new plain table and is refused on the new append-only one", async () => {
    const folder = join(scratch, "next-release-migrations");
    cpSync(migrationsFolder, folder, { recursive: true });
    const journalFile = join(folder, "meta/_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8")) as {
      entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
    };
    const last = journal.entries.at(-1)!;
    const tag = `${String(last.idx + 1).padStart(4, "0")}_next-release`;
    journal.entries.push({ ...last, idx: last.idx + 1, when: Math.max(Date.now(), last.when + 1), tag });
    writeFileSync(journalFile, JSON.stringify(journal, null, 2));
    writeFileSync(
      join(folder, `${tag}.sql`),
      [
        "CREATE TABLE release_notes (id serial PRIMARY KEY, body text NOT NULL);",
        "CREATE TABLE release_ledger (id serial PRIMARY KEY, body text NOT NULL);",
        "CREATE TRIGGER release_ledger_no_update_delete BEFORE UPDATE OR DELETE ON release_ledger\n  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();",
        "CREATE TRIGGER release_ledger_no_truncate BEFORE TRUNCATE ON release_ledger\n  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();",
      ].join("\n--> statement-breakpoint\n"),
    );
    const owner = await openDatabase({ url: urlAs("owner"), maxConnections: 1 });
    try {
      await owner.migrate({ migrationsFolder: folder });
    } finally {
      await owner.close();
    }

    const db = appDatabase.db;
    await db.execute(sql`insert into release_notes (body) values ('first'), ('second')`);
    await db.execute(sql`update release_notes set body = 'changed' where body = 'first'`);
    await db.execute(sql`delete from release_notes where body = 'second'`);
    expect(await queryRows(db, sql`select body from release_notes`)).toEqual([{ body: "changed" }]);

    await db.execute(sql`insert into release_ledger (body) values ('kept')`);
    for (const change of [
      sql`update release_ledger set body = 'changed'`,
      sql`delete from release_ledger`,
      sql`truncate release_ledger`,
    ])
      expect(await databaseError(db.execute(change))).toMatch(/permission denied for table release_ledger/);
    expect(
      await databaseError(db.execute(sql`alter table release_ledger disable trigger release_ledger_no_update_delete`)),
    ).toMatch(/must be owner of table release_ledger/);
    expect(await queryRows(db, sql`select body from release_ledger`)).toEqual([{ body: "kept" }]);
    // The running app still answers, and reads the ledger as before.
    expect((await adminClient.get("/")).status).toBe(200);
  }, 120_000);
});
