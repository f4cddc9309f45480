import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { domainAppends } from "./ledger";
import { benchDatabase, loadLine, machineLine, ms, writeSection } from "./lib";

/**
 * The bare append loop: one council's chain, the same advisory lock and one INSERT … SELECT that reads the head and
 * hashes the new row in PostgreSQL, with nothing of the application around it, driven by pgbench.
 */
const BARE_SCHEMA = `create table bare_ledger (
  organisation_id uuid not null, seq integer not null, previous_hash text not null, hash text not null, body text not null,
  primary key (organisation_id, seq))`;

const BARE_APPEND = `\\set n random(1, 1000000000)
begin;
select pg_advisory_xact_lock(7201, hashtext('00000000-0000-4000-8000-000000000001'));
with head as (select seq, hash from bare_ledger where organisation_id = '00000000-0000-4000-8000-000000000001'
              order by seq desc limit 1)
insert into bare_ledger (organisation_id, seq, previous_hash, hash, body)
select '00000000-0000-4000-8000-000000000001', coalesce((select seq from head), 0) + 1,
       coalesce((select hash from head), repeat('0', 64)),
       encode(sha256(convert_to(coalesce((select hash from head), '') || repeat('record body ', 50) || :n, 'UTF8')), 'hex'),
       repeat('record body ', 50) || :n;
end;
`;

function bareAppends(url: string, clients: number, transactions: number) {
  const dir = mkdtempSync(join(tmpdir(), "bare-append-"));
  try {
    const script = join(dir, "append.sql");
    writeFileSync(script, BARE_APPEND);
    const u = new URL(url);
    const result = spawnSync(
      "pgbench",
      [
        ...["-h", u.hostname, "-p", u.port || "5432", "-U", decodeURIComponent(u.username || "postgres")],
        ...["-n", "-c", String(clients), "-j", "2", "-t", String(Math.ceil(transactions / clients)), "-r"],
        ...["-f", script, u.pathname.slice(1)],
      ],
      { encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`pgbench failed: ${result.stderr || result.error}`);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout);
    const latency = /latency average = ([\d.]+) ms/.exec(result.stdout);
    if (!tps) throw new Error(`pgbench printed no rate:\n${result.stdout}`);
    return { rate: Number(tps[1]), latencyMs: latency ? Number(latency[1]) : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- ledger-appends`: appends/s of the signing domain function with 50 concurrent signers beside the
 * bare SQL append loop under pgbench (the same lock pattern, no application), on the same server in one run.
 */
export async function benchLedgerAppends(options: { signings: number }) {
  const loadBefore = loadLine();
  const bench = await benchDatabase(5);
  let bare: ReturnType<typeof bareAppends>;
  try {
    await bench.database.db.execute(sql.raw(BARE_SCHEMA));
    console.error(`ledger-appends: the bare loop under pgbench, 50 clients, ${options.signings} appends…`);
    bare = bareAppends(bench.url, 50, options.signings);
    console.error(`  ${bare.rate.toFixed(0)} appends/s`);
  } finally {
    await bench.drop();
  }
  console.error(`ledger-appends: the signing domain function, 50 concurrent signers, ${options.signings} signings…`);
  // Through a pool the size of the app's (10 connections, db/client.server.ts): the server's own limit.
  const domain = await domainAppends(options.signings, 50, 10);
  console.error(`  ${domain.rate.toFixed(0)} appends/s`);
  const share = (100 * domain.rate) / bare.rate;
  const markdown = `## Appends: the signing domain function against the bare SQL loop (PostgreSQL 15)

Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} with \`npm run bench -- ledger-appends\` (scripts/bench/ledger-appends.ts), both on the same server in one run.
Machine load (\`uptime\`, 1/5/15 min): ${loadBefore} before, ${loadLine()} after.

| measure | result | target |
| --- | --- | --- |
| bare append loop under \`pgbench\` (advisory lock, INSERT … SELECT of the head, SHA-256 in PostgreSQL; no application), 50 clients, ${options.signings.toLocaleString("en-GB")} appends | ${bare.rate.toFixed(0)}/s${bare.latencyMs ? ` (mean latency ${ms(bare.latencyMs)})` : ""} | the baseline |
| signing domain function (every check but the password hash, the body signed in Node), 50 concurrent signers through the app's pool of 10 connections, ${options.signings.toLocaleString("en-GB")} signings | ${domain.rate.toFixed(0)}/s (p95 ${ms(domain.p95)}), chain intact: ${domain.intact ? "yes" : "NO"} | |
| the domain function's share of the bare loop | ${share.toFixed(0)} % | ≥ 50 % |`;
  writeSection("ledger-appends", markdown);
  console.log(markdown);
}
