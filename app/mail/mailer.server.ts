import nodemailer from "nodemailer";
import type { Config } from "~/config.server";

/** How many e-mails go out at once (and pooled SMTP connections): each send waits on several SMTP round trips. */
export const MAIL_CONNECTIONS = 8;

export type Mail = { to: string; subject: string; text: string };
export type Mailer = { send(mail: Mail): Promise<void>; close(): void };

/**
 * An SMTP mailer when SMTP_URL is set (smtp://user:pass@host:587), otherwise null: callers fall back to in-app
 * routes. Connections are pooled (reminders send thousands at a time); `?pool=false` or `?maxConnections=N` in the
 * URL overrides that.
 */
export function createMailer(config: Pick<Config, "smtpUrl" | "mailFrom">): Mailer | null {
  if (!config.smtpUrl) return null;
  const url = new URL(config.smtpUrl);
  if (!url.searchParams.has("pool")) url.searchParams.set("pool", "true");
  if (!url.searchParams.has("maxConnections")) url.searchParams.set("maxConnections", String(MAIL_CONNECTIONS));
  const transport = nodemailer.createTransport(url.toString());
  return {
    async send(mail) {
      await transport.sendMail({ from: config.mailFrom, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}
