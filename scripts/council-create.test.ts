import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { findUsableLink } from "~/auth/password-links.server";
import { openDatabase, type Db } from "~db/client.server";
import { auditLog, organisations, passwordTokens, users } from "~db/schema";
import { freshDatabase, migratedPgliteDirectory } from "../test/support/database";
import { startSmtpServer } from "../test/support/smtp";

const root = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "smcoc-council-create-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const template = inject("databaseTemplate");
const database = template.kind === "postgres" ? await freshDatabase() : null;
const kind = template.kind;
const pgliteDir = join(dir, "pglite");
const SERVICE_URL = "https://conduct.example.gov.uk";

type Outcome = { code: number | null; stdout: string; stderrLines: string[] };

/** A command-line script as package.json runs it, on this file's database, with only the configuration given. */
function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["DATABASE_URL", "NODE_ENV", "SESSION_SECRET", "PGLITE_DIR", "SMTP_URL", "SERVICE_URL"])
    delete childEnv[name];
  Object.assign(childEnv, database ? { DATABASE_URL: database.url! } : { PGLITE_DIR: pgliteDir }, {
    SERVICE_URL,
    ...env,
  });
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
    child.on("close", (code) => done({ code, stdout, stderrLines: stderr.split("\n").filter((l) => l.trim() !== "") }));
  });
}

const createCouncil = (args: string[], env?: Record<string, string>) => run("scripts/council-create.ts", args, env);

/** Reads the database the script wrote to (PGlite's directory is opened only while no script runs). */
async function inspect<T>(read: (db: Db) => Promise<T>): Promise<T> {
  if (database) return read(database.db);
  const lite = await openDatabase({ pgliteDir });
  try {
    return await read(lite.db);
  } finally {
    await lite.close();
  }
}

const tally = () =>
  inspect(async (db) =>
    Promise.all(
      [organisations, users, passwordTokens, auditLog].map(async (t) => (await db.select({ n: count() }).from(t))[0].n),
    ),
  );

const args = (slug: string, email: string, name = "Riverside Council") => [
  "--slug",
  slug,
  "--name",
  name,
  "--admin-email",
  email,
  "--admin-name",
  "Rita Admin",
];

beforeAll(async () => {
  // On PGlite the scripts open a data directory: this run's migrated image, written out to one.
  if (template.kind === "pglite") {
    const lite = await migratedPgliteDirectory(pgliteDir);
    await lite.close();
  }
}, 120_000);

describe(`npm run council:create on ${kind}`, () => {
  it("prints the one-time link once without SMTP, and a second run changes nothing and prints none", async () => {
    const first = await createCouncil(args("riverside", "rita@riverside.example"));
    expect(first.code, first.stderrLines.join("\n")).toBe(0);
    expect(first.stdout).toContain(
      "Created Riverside Council (riverside) with its first admin, Rita Admin <rita@riverside.example>.",
    );
    expect(first.stdout).toContain(
      'content/riverside/ has no code of conduct or training modules: staff see "no training set yet"',
    );
    const links = [...first.stdout.matchAll(/https:\/\/conduct\.example\.gov\.uk\/set-password\?token=(\S+)/g)];
    expect(links).toHaveLength(1);
    const token = decodeURIComponent(links[0][1]);
    expect(await inspect((db) => findUsableLink(db, token, new Date()))).toMatchObject({
      email: "rita@riverside.example",
      purpose: "set",
    });
    const before = await tally();
    const again = await createCouncil(args("riverside", "RITA@riverside.example"));
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(
      "Riverside Council (riverside) already exists with Rita Admin <rita@riverside.example> as its admin: nothing was changed and no new link was made.",
    );
    expect(again.stdout).not.toContain("token=");
    expect(await tally()).toEqual(before);
  }, 120_000);

  it("e-mails the link through SMTP and prints none", async () => {
    const smtp = await startSmtpServer();
    try {
      const result = await createCouncil(args("hillside", "harry@hillside.example", "Hillside Council"), {
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      });
      expect(result.code, result.stderrLines.join("\n")).toBe(0);
      expect(result.stdout).toContain(
        "E-mailed harry@hillside.example a one-time link to set their password (it lasts 7 days).",
      );
      expect(result.stdout).not.toContain("token=");
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0].to).toEqual(["harry@hillside.example"]);
      const [, token] = /https:\/\/conduct\.example\.gov\.uk\/set-password\?token=(\S+)/.exec(smtp.received[0].text)!;
      expect(smtp.received[0].text).toContain(
        "Hillside Council has been set up on the social media code of conduct service",
      );
      expect(await inspect((db) => findUsableLink(db, decodeURIComponent(token), new Date()))).toMatchObject({
        email: "harry@hillside.example",
      });
      const [entry] = await inspect((db) =>
        db.select().from(auditLog).where(eq(auditLog.action, "people.password-link-issued")).orderBy(auditLog.id),
      ).then((rows) => rows.slice(-1));
      expect(entry.details).toMatchObject({ delivery: "email", by: "council:create" });
    } finally {
      await smtp.close();
    }
  }, 120_000);

  it("refuses a missing argument, a bad address, a bad slug and a taken slug with one line each, writing nothing", async () => {
    const before = await tally();
    const cases: [string[], string][] = [
      [
        ["--slug", "lakeside", "--name", "Lakeside Council", "--admin-email", "l@lakeside.example"],
        "Missing --admin-name. Usage: npm run council:create -- --slug SLUG",
      ],
      [args("lakeside", "not-an-address"), "--admin-email: Give the first admin's e-mail address"],
      [args("Lake Side", "l@lakeside.example"), "--slug: Use lower-case letters and digits"],
      [
        args("riverside", "rita@riverside.example", "River Council"),
        'The slug "riverside" is already taken with other details (its name is "Riverside Council"): nothing was changed.',
      ],
    ];
    for (const [given, line] of cases) {
      const result = await createCouncil(given);
      expect(result.code, given.join(" ")).toBe(1);
      expect(result.stderrLines).toHaveLength(1);
      expect(result.stderrLines[0]).toContain(line);
      expect(result.stdout).toBe("");
    }
    expect(await tally()).toEqual(before);
  }, 180_000);
});
