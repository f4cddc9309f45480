import nodemailer from "nodemailer";
import type { Config } from "~/config.server";

export type Mail = { to: string; subject: string; text: string };
export type Mailer = { send(mail: Mail): Promise<void>; close(): void };

/**
 * An SMTP mailer when SMTP_URL is set (smtp://user:pass@host:587), otherwise null: callers fall back to in-app
 * routes. Connections are pooled (reminders send thousands at a time); `?pool=false` in the URL turns that off.
 */
export function createMailer(config: Pick<Config, "smtpUrl" | "mailFrom">): Mailer | null {
  if (!config.smtpUrl) return null;
  const url = new URL(config.smtpUrl);
  if (!url.searchParams.has("pool")) url.searchParams.set("pool", "true");
  const transport = nodemailer.createTransport(url.toString());
  return {
    async send(mail) {
      await transport.sendMail({ from: config.mailFrom, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}
