// `npm run reminders`: the automatic reminders (due soon, overdue, expired: at most one a person a day) and the
// champions' weekly summaries, the ledger's checkpoints and their e-mail to each council's witness, then the councils'
// retention rule. Safe to run as often as a cron line likes; failed e-mails are retried next run.
import { checkpointAll } from "~/attestation/checkpoints.server";
import { mailCheckpointsToWitnesses } from "~/attestation/witness.server";
import { drainMailJobs } from "~/mail/mail-queue.server";
import { createMailer } from "~/mail/mailer.server";
import { endLapsedAssistedSessions } from "~/auth/session.server";
import { applyRetention } from "~/organisations/retention.server";
import { runReminders } from "~/tracking/reminders.server";
import { openConfiguredDatabase, runCli } from "./lib/runtime";

await runCli(async (config) => {
  const database = await openConfiguredDatabase(config);
  const mailer = createMailer(config);
  try {
    if (!mailer) console.error("SMTP_URL is not set: reminders are recorded but not e-mailed.");
    // E-mail the app queued and no server has sent yet (password resets, notices of changed addresses).
    const queued = await drainMailJobs(database.db, mailer, { now: () => new Date() }, (line) => console.error(line));
    const report = await runReminders(
      database.db,
      mailer,
      { now: new Date() },
      {
        serviceUrl: config.serviceUrl ?? `http://localhost:${config.port}`,
        log: (line) => console.error(line),
      },
    );
    console.log(
      `${report.reminders} reminder(s) and ${report.escalations} champion summary(ies) recorded; e-mails: ${report.email.sent} sent, ${report.email.failed} failed, ${report.email.skipped} not sent (no SMTP); ${report.retried} earlier failure(s) retried.`,
    );
    console.log(`Queued e-mail: ${queued.done} sent, ${queued.failed} failed (retried next run).`);
    // Each council's ledger checkpointed (the server does so within seconds; this covers a quiet or stopped one), and
    // its latest checkpoint e-mailed to the council's witness address once a day (docs/decisions/0024).
    for (const { slug, outcome } of await checkpointAll(database.db))
      if (outcome.status === "refused")
        console.error(`${slug}: ledger checkpoint REFUSED at record ${outcome.problem.seq}: ${outcome.problem.reason}`);
    const witnessed = await mailCheckpointsToWitnesses(database.db, mailer, { now: new Date() });
    console.log(`Ledger checkpoints e-mailed to witnesses: ${witnessed.sent} sent, ${witnessed.failed} failed.`);
    // Assisted sessions left to time out on a shared device, ended and audited now if no request has done so.
    const lapsed = await endLapsedAssistedSessions(database.db, { idleMs: config.sessionIdleMs }, new Date());
    console.log(`Assisted sessions that timed out, ended and audited: ${lapsed}.`);
    // The councils' retention rule for evidence files and roster uploads of people who left (docs/decisions/0021).
    const deleted = await applyRetention(database.db, new Date());
    console.log(
      `Retention: ${deleted.evidenceFiles} evidence file(s) and ${deleted.rosterUploads} roster upload(s) of people who left deleted, their hashes kept.`,
    );
    return report.email.failed > 0 || queued.failed > 0 || witnessed.failed > 0 ? 2 : 0;
  } finally {
    mailer?.close();
    await database.close();
  }
});
