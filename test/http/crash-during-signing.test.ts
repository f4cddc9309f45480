import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, expect, inject, it } from "vitest";
import { verifyLedger } from "~/attestation/ledger.server";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { openDatabase, type Database } from "~db/client.server";
import { attestations, auditLog } from "~db/schema";
import { freePort, startAppProcess } from "../support/app-process";
import { freshDatabase, migratedPgliteDirectory } from "../support/database";
import {
  aCouncil,
  aModuleContent,
  aPerson,
  aPolicyVersion,
  asCurrentUser,
  TEST_PASSWORD,
  answerEveryQuestion,
} from "../support/factories";
import { HttpClient } from "../support/http";

/**
 * Nothing acknowledged is lost: the production server (a supervised worker process, as `npm start` runs it) is
 * killed with SIGKILL while people sign at once; once it is back, every signing that was answered with its
 * record is in the ledger, no record is partial, the chain verifies, and each signing that got no answer,
 * sent again, gives exactly one record.
 */
const SIGNERS = 16;
const template = inject("databaseTemplate");
const scratch = mkdtempSync(join(tmpdir(), "smcoc-crash-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** This file's database, and where the app process finds it (PGlite: a data folder only one process opens at a time). */
async function databaseForTheApp(): Promise<{
  database: Database;
  env: Record<string, string>;
  reopen(): Promise<Database>;
}> {
  if (template.kind === "postgres") {
    const database = await freshDatabase();
    return { database, env: { DATABASE_URL: database.url! }, reopen: async () => database };
  }
  const dir = join(scratch, "pglite");
  const reopen = () => openDatabase({ pgliteDir: dir });
  return { database: await migratedPgliteDirectory(dir), env: { PGLITE_DIR: dir }, reopen };
}

const { database: setup, env, reopen } = await databaseForTheApp();

type Outcome = { status: number; location: string | null } | { error: string };

it("keeps every acknowledged signature through a SIGKILL of the server mid-way, with the chain intact", async () => {
  const council = await aCouncil(setup.db);
  await syncTrainingModules(
    setup.db,
    [aModuleContent(council.organisation.slug) as unknown as TrainingModule],
    new Date(),
  );
  const version = await aPolicyVersion(setup.db, council.organisation.id, { label: "1" });
  const people: Awaited<ReturnType<typeof aPerson>>[] = [];
  for (let i = 0; i < SIGNERS; i++) {
    const person = await aPerson(setup.db, {
      organisationId: council.organisation.id,
      teamId: council.teamA.id,
      role: "staff",
    });
    const user = asCurrentUser(person, council.organisation);
    const attemptId = (await startOrResumeAttempt(setup.db, user, "test-module", new Date()))!;
    await answerEveryQuestion(setup.db, user, "test-module", attemptId, new Date());
    people.push(person);
  }
  if (setup.kind === "pglite") await setup.close();

  const app = startAppProcess(
    { NODE_ENV: "production", SESSION_SECRET: randomBytes(32).toString("hex"), ...env },
    await freePort(),
  );
  try {
    const worker = await app.waitForServing();
    const clients = people.map(() => new HttpClient(app.url));
    for (const [i, client] of clients.entries()) await client.signIn(people[i].email, TEST_PASSWORD);
    const fields = (person: (typeof people)[number]) => ({
      policyVersionId: version.id,
      declarationRead: "yes",
      declarationFollow: "yes",
      declarationConsequences: "yes",
      typedName: person.name,
      password: TEST_PASSWORD,
    });
    // Every CSRF token first, so that the POSTs themselves go out together.
    const tokens = await Promise.all(clients.map((client) => client.csrfToken()));

    let acknowledged = 0;
    let killed = false;
    const since = app.lines.length;
    const outcomes: Outcome[] = await Promise.all(
      clients.map(async (client, i): Promise<Outcome> => {
        try {
          const response = await client.post("/code-of-conduct", fields(people[i]), { csrf: tokens[i] });
          await response.arrayBuffer();
          if (response.status === 302 && ++acknowledged === 3 && !killed) {
            killed = true;
            process.kill(worker, "SIGKILL");
          }
          return { status: response.status, location: response.headers.get("location") };
        } catch (error) {
          return { error: String((error as Error).cause ?? error) };
        }
      }),
    );
    expect(killed).toBe(true);
    const answered = outcomes.filter((o): o is { status: number; location: string } => "status" in o);
    const unanswered = outcomes.flatMap((o, i) => ("error" in o ? [i] : []));
    // Answered means acknowledged: a signing either got its record or no answer at all.
    expect(answered.every((o) => o.status === 302 && /^\/records\/ATT-/.test(o.location))).toBe(true);
    expect(answered.length).toBeGreaterThanOrEqual(3);
    expect(unanswered.length).toBeGreaterThan(0);

    await app.waitForServing({ since });
    expect(app.lines.some((l) => l.msg === "The server process ended (SIGKILL); starting another in 1 s")).toBe(true);
    // Sent again, each unanswered signing is answered with one record, new or already written before the kill.
    const retried = await Promise.all(
      unanswered.map(async (i) => {
        const response = await clients[i].post("/code-of-conduct", fields(people[i]));
        return { i, status: response.status, location: response.headers.get("location") };
      }),
    );
    expect(retried.every((r) => r.status === 302 && /^\/records\/ATT-/.test(r.location ?? ""))).toBe(true);
    expect(await app.stop()).toBe(0);

    const database = await reopen();
    const records = await database.db
      .select()
      .from(attestations)
      .where(eq(attestations.organisationId, council.organisation.id));
    const signedBy = new Map(records.map((r) => [r.reference, r.userId]));
    for (const [i, outcome] of outcomes.entries()) {
      if (!("status" in outcome)) continue;
      expect(signedBy.get(outcome.location!.split("/")[2].split("?")[0])).toBe(people[i].id);
    }
    for (const { i, location } of retried)
      expect(signedBy.get(location!.split("/")[2].split("?")[0])).toBe(people[i].id);
    // One record each, however often it was sent, and each record with its audit entry: nothing half-written.
    expect(records).toHaveLength(SIGNERS);
    expect(new Set(records.map((r) => r.userId)).size).toBe(SIGNERS);
    const audits = await database.db.select().from(auditLog).where(eq(auditLog.action, "attestation.signed"));
    expect(audits.map((a) => a.subjectId).sort()).toEqual(records.map((r) => r.reference).sort());
    const report = await verifyLedger(database.db, { organisationId: council.organisation.id });
    expect(report).toMatchObject({ ok: true, records: SIGNERS, problem: null });
    if (database.kind === "pglite") await database.close();
    const cli = spawnSync(process.execPath, ["--import", "tsx", "scripts/ledger-verify.ts"], {
      cwd: resolve(import.meta.dirname, "../.."),
      env: { ...process.env, ...env },
      encoding: "utf8",
    });
    expect(cli.status, cli.stderr).toBe(0);
  } finally {
    await app.stop();
  }
}, 300_000);
