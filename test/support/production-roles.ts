import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import postgres from "postgres";

const docsFile = resolve(import.meta.dirname, "../../docs/ledger.md");

/**
 * The production roles and database exactly as docs/ledger.md sets them up, under names unique to one run (roles
 * are cluster-wide), on the PostgreSQL server of `serverUrl` (a superuser's URL). Used by the runbook test and
 * its benchmark.
 */
export function productionRoles(serverUrl: string, prefix = `runbook_${randomBytes(4).toString("hex")}`) {
  const names = { owner: `${prefix}_owner`, app: `${prefix}_app`, database: prefix };
  const passwords = { owner: randomBytes(12).toString("hex"), app: randomBytes(12).toString("hex") };

  /** A connection URL to the runbook's database as the owner, the app role, or the superuser. */
  const urlAs = (role: "owner" | "app" | "superuser"): string => {
    const url = new URL(serverUrl);
    url.pathname = `/${names.database}`;
    if (role !== "superuser") {
      url.username = names[role];
      url.password = passwords[role];
    }
    return url.toString();
  };

  /** The SQL block of docs/ledger.md that sets the roles up, with this run's names and passwords. */
  const rolesSql = (): string => {
    const block = /```sql\n(-- Production roles:[\s\S]*?)```/.exec(readFileSync(docsFile, "utf8"));
    if (!block) throw new Error("docs/ledger.md has no ```sql block starting with -- Production roles:");
    return block[1]
      .replaceAll("smcoc_owner", names.owner)
      .replaceAll("smcoc_app", names.app)
      .replace(/\bsmcoc\b/g, names.database)
      .replace("'owner-password-of-your-own'", `'${passwords.owner}'`)
      .replace("'app-password-of-your-own'", `'${passwords.app}'`);
  };

  /** Runs that block as psql would: a statement at a time (CREATE DATABASE cannot share a query), `\connect` switching. */
  const create = async () => {
    let client = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      let statement = "";
      for (const line of rolesSql().split("\n")) {
        const connect = /^\\connect\s+(\S+)/.exec(line);
        if (connect) {
          await client.end();
          const url = new URL(serverUrl);
          url.pathname = `/${connect[1]}`;
          client = postgres(url.toString(), { max: 1, onnotice: () => {} });
          continue;
        }
        if (line.trim().startsWith("--") || line.trim() === "") continue;
        statement += `${line}\n`;
        if (line.trimEnd().endsWith(";")) {
          await client.unsafe(statement);
          statement = "";
        }
      }
      if (statement.trim() !== "") throw new Error(`The roles' SQL ends without a semicolon: ${statement}`);
    } finally {
      await client.end();
    }
  };

  /** Drops the database and both roles. */
  const drop = async () => {
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
      await admin.unsafe(`DROP ROLE IF EXISTS ${names.app}`);
      await admin.unsafe(`DROP ROLE IF EXISTS ${names.owner}`);
    } finally {
      await admin.end();
    }
  };

  return { names, urlAs, rolesSql, create, drop };
}
