import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { createMailer, type Mailer } from "~/mail/mailer.server";

export type Received = { from: string; to: string[]; raw: string; text: string };

/** The message as a person reads it: quoted-printable soft line breaks joined and escapes decoded. */
function readable(raw: string): string {
  return Buffer.from(
    raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");
}

/**
 * A real SMTP server on loopback that keeps every message it accepts, and a mailer pointed at it.
 * `refuse` makes it answer 550 for chosen recipients, as a real server refusing an address would.
 */
export async function startSmtpServer(options: { refuse?: (recipient: string) => boolean } = {}) {
  const received: Received[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.refuse?.(address.address))
        return callback(Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
          text: readable(Buffer.concat(chunks).toString("utf8")),
        });
        callback();
      });
    },
  });
  // Replies go out at once rather than waiting on Nagle's algorithm (40 ms a reply on loopback).
  smtp.server.on("connection", (socket: import("node:net").Socket) => socket.setNoDelay(true));
  await new Promise<void>((ready) => smtp.listen(0, "127.0.0.1", ready));
  const { port } = smtp.server.address() as AddressInfo;
  const mailer: Mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: "test@localhost" })!;
  return {
    received,
    mailer,
    port,
    close: () => {
      mailer.close();
      return new Promise<void>((done) => smtp.close(done));
    },
  };
}
