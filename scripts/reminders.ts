// `npm run reminders`: the automatic reminders (due soon, overdue, expired: at most one a person a day) and the
// champions' weekly summaries. Safe to run as often as a cron line likes; failed e-mails are retried next run.
import { createMailer } from "~/mail/mailer.server";
import { runReminders } from "~/tracking/reminders.server";
import { openConfiguredDatabase, runCli } from "./lib/runtime";

await runCli(async (config) => {
  const database = await openConfiguredDatabase(config);
  const mailer = createMailer(config);
  try {
    if (!mailer) console.error("SMTP_URL is not set: reminders are recorded but not e-mailed.");
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
    return report.email.failed > 0 ? 2 : 0;
  } finally {
    mailer?.close();
    await database.close();
  }
});
