import { randomBytes } from "node:crypto";
import { count } from "drizzle-orm";
import { mailJobs } from "~db/schema";
import { aPerson, anOrganisation } from "../../test/support/factories";
import { startSmtpServer } from "../../test/support/smtp";
import { benchDatabase, loadLine, machineLine, ms, percentileOf, startApp, writeSection } from "./lib";

// How long /forgot-password takes to answer for an address with an account and for one without, over HTTP, on
// PostgreSQL with a real SMTP server on loopback. Each request comes from its own address (X-Forwarded-For behind
// one trusted hop) and each known address is asked for once, so no throttle decides the answer.
export async function benchForgotPassword(requests: number) {
  const loadBefore = loadLine();
  const bench = await benchDatabase(4);
  const smtp = await startSmtpServer();
  const organisation = await anOrganisation(bench.database.db);
  const known: string[] = [];
  for (let i = 0; i < requests; i++)
    known.push((await aPerson(bench.database.db, { organisationId: organisation.id })).email);
  const app = await startApp(
    {
      NODE_ENV: "production",
      SESSION_SECRET: randomBytes(32).toString("hex"),
      SERVICE_URL: "https://conduct.example.gov.uk",
      DATABASE_URL: bench.url,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      TRUSTED_PROXY_HOPS: "1",
    },
    3911,
  );
  try {
    const page = await fetch(`${app.url}/forgot-password`);
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1];
    if (!csrf) throw new Error("No CSRF token on the page");
    const queued = async () => (await bench.database.db.select({ n: count() }).from(mailJobs))[0].n;
    let address = 0;
    const ask = async (email: string) => {
      address++;
      const started = performance.now();
      const response = await fetch(`${app.url}/forgot-password`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          cookie,
          "x-forwarded-for": `10.9.${address >> 8}.${address & 255}`,
        },
        body: new URLSearchParams({ csrf, email }),
      });
      await response.text();
      if (response.status !== 200) throw new Error(`/forgot-password answered ${response.status}`);
      return performance.now() - started;
    };
    for (let i = 0; i < 5; i++) await ask(`warm-up-${i}@nobody.example`);
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    // Each request waits until the queue has sent what the one before asked for (this code; the code before the
    // queue left nothing queued), so no request is measured while the server works on another's e-mail.
    const settled = async () => {
      for (let waited = 0; (await queued()) > 0 && waited < 60_000; waited += 10)
        await new Promise((r) => setTimeout(r, 10));
    };
    for (let i = 0; i < requests; i++) {
      knownTimes.push(await ask(known[i]));
      await settled();
      unknownTimes.push(await ask(`nobody-${i}@nobody.example`));
      await settled();
    }
    const row = (label: string, times: number[]) =>
      `| ${label} | ${times.length} | ${ms(percentileOf(times, 50))} | ${ms(percentileOf(times, 95))} |`;
    writeSection(
      "forgot-password",
      [
        "## Forgot password: the answer for a known and an unknown address",
        "",
        `\`npx tsx scripts/bench/run.ts forgot-password --requests ${requests}\`: ${machineLine()}; load before ${loadBefore}.`,
        "PostgreSQL 15, production mode, a real SMTP server on loopback; requests one at a time, known and unknown",
        "addresses alternating, each from its own address and each known address asked for once (no throttle decides); each",
        "request starts once the e-mail the one before queued has gone, so none is measured while the server sends another's.",
        "",
        "| address | requests | median | p95 |",
        "| --- | --- | --- | --- |",
        row("has an account", knownTimes),
        row("has no account", unknownTimes),
        "",
        `E-mails received: ${smtp.received.length} of ${requests}.`,
      ].join("\n"),
    );
    console.error(
      `known median ${ms(percentileOf(knownTimes, 50))}, unknown median ${ms(percentileOf(unknownTimes, 50))}, mails ${smtp.received.length}`,
    );
  } finally {
    await app.stop();
    await smtp.close();
    await bench.drop();
  }
}
