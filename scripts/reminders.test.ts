import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueMail } from "~/mail/mail-queue.server";
import type { Database } from "~db/client.server";
import { freshDatabase, migratedPgliteDirectory } from "../test/support/database";
import { aPerson, aRequiredModule, aTeam, anOrganisation } from "../test/support/factories";
import { startSmtpServer } from "../test/support/smtp";

/** `npm run reminders` as cron runs it, against a real database and a real SMTP server on loopback. */
const serverDatabase = process.env.DATABASE_URL ? await freshDatabase() : null;
let env: Record<string, string | undefined>;
let folder: string | undefined;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  let database: Database;
  if (serverDatabase) {
    database = serverDatabase;
    env = { DATABASE_URL: database.url };
  } else {
    folder = mkdtempSync(join(tmpdir(), "reminders-"));
    database = await migratedPgliteDirectory(join(folder, "data"));
    env = { DATABASE_URL: undefined, PGLITE_DIR: join(folder, "data") };
  }
  const org = await anOrganisation(database.db);
  await aRequiredModule(database.db, org.id, { title: "Personal use of social media" });
  const team = await aTeam(database.db, org.id);
  await aPerson(database.db, {
    organisationId: org.id,
    teamId: team.id,
    name: "Olu Overdue",
    email: "olu@example.test",
    startDate: "2025-01-06",
  });
  // E-mail the app queued and no server sent (a server stopped, say): the next cron run sends it.
  await enqueueMail(
    database.db,
    { kind: "mail", payload: { to: "queued@example.test", subject: "Queued", text: "Sent by npm run reminders" } },
    new Date(),
  );
  // PGlite allows one process at a time on a folder: the command opens it after this closes it.
  if (folder) await database.close();
});
afterAll(async () => {
  await smtp.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function run(extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    ...process.env,
    NODE_ENV: "development",
    LOG_LEVEL: "silent",
    ...env,
    ...extra,
  }))
    if (v !== undefined) childEnv[k] = v;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/reminders.ts"], {
      env: childEnv as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

describe("npm run reminders", () => {
  it("e-mails each overdue person once, however often cron runs it, and sends e-mail the app queued", async () => {
    const smtpEnv = {
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MAIL_FROM: "service@example.test",
      SERVICE_URL: "https://smcoc.example",
    };
    const first = await run(smtpEnv);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("1 reminder(s) and 0 champion summary(ies) recorded; e-mails: 1 sent, 0 failed");
    expect(first.stdout).toContain("Queued e-mail: 1 sent, 0 failed");
    expect(first.stdout).toContain("Assisted sessions that timed out, ended and audited: 0.");
    expect(smtp.received.map((m) => m.to).sort()).toEqual([["olu@example.test"], ["queued@example.test"]]);
    expect(smtp.received.find((m) => m.to[0] === "olu@example.test")!.text).toContain(
      "Personal use of social media: overdue",
    );
    const second = await run(smtpEnv);
    expect(second.stdout).toContain("0 reminder(s)");
    expect(second.stdout).toContain("Queued e-mail: 0 sent");
    expect(smtp.received).toHaveLength(2);
    // Two runs of a command-line job: each starts tsx and opens the database, 10–30 s on a busy 2-core machine.
  }, 120_000);

  it("says so when SMTP is not configured", async () => {
    const result = await run();
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("SMTP_URL is not set");
  }, 60_000);
});
