import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { sql, type SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema";

export type Schema = typeof schema;
/** The one database type every domain function takes: PGlite and postgres.js both satisfy it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type Database = {
  db: Db;
  kind: "pglite" | "postgres";
  /** The connection URL, for PostgreSQL. */
  url?: string;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  /**
   * Applies the committed migrations (or those of `migrationsFolder`), then refuses every append-only table's
   * UPDATE, DELETE and TRUNCATE to every role but its owner (migration 0012, docs/decisions/0016).
   */
  migrate(options?: { migrationsFolder?: string }): Promise<void>;
  /** How many committed migrations the database has not applied yet. */
  pendingMigrations(): Promise<number>;
  close(): Promise<void>;
};

/**
 * How long one statement may run, and a transaction may sit idle, on a connection: PostgreSQL cancels the
 * statement (error 57014) or ends the session. PGlite has no timers, so only PostgreSQL honours them.
 * docs/decisions/0012.
 */
export type DatabaseBounds = { statementMs: number; idleInTransactionMs: number };

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), "migrations");

export type OpenOptions =
  | { url: string; maxConnections?: number; bounds?: DatabaseBounds; applicationName?: string }
  | { pgliteDir: string }
  | { pglite: PGlite };

/** PostgreSQL's error code of an error, or of the error drizzle wrapped it in. */
export function postgresCode(error: unknown): string | undefined {
  const failed = error as { code?: unknown; cause?: unknown } | null;
  if (typeof failed?.code === "string") return failed.code;
  return failed?.cause === undefined ? undefined : postgresCode(failed.cause);
}

/** Whether an error is PostgreSQL refusing a row that a unique index already holds. */
export function isUniqueViolation(error: unknown): boolean {
  return postgresCode(error) === "23505";
}

/**
 * Runs a transaction that checks a unique value is free and then writes it, and runs it once more when a concurrent
 * one took the value between the check and the write: the second run's check sees it taken and answers so.
 */
export async function againIfRaced<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return run();
  }
}

/** Whether an error is PostgreSQL cancelling a statement that ran past its statement_timeout. */
export function isStatementTimeout(error: unknown): boolean {
  return postgresCode(error) === "57014";
}

/**
 * Migrations the database has not applied, by the rule drizzle's migrator uses: every committed migration
 * newer than the last one recorded in drizzle.__drizzle_migrations.
 */
async function pendingMigrationsOf(db: Db): Promise<number> {
  const committed = readMigrationFiles({ migrationsFolder });
  const [{ recorded }] = await queryRows<{ recorded: string | null }>(
    db,
    sql`select to_regclass('drizzle.__drizzle_migrations')::text as recorded`,
  );
  if (!recorded) return committed.length;
  const [last] = await queryRows<{ created_at: string | number }>(
    db,
    sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
  );
  return last ? committed.filter((m) => m.folderMillis > Number(last.created_at)).length : committed.length;
}

/** Runs after every migration: the function comes from migration 0012, so older folders (tests' own) may lack it. */
async function protectAppendOnlyTables(db: Db): Promise<void> {
  const [{ present }] = await queryRows<{ present: string | null }>(
    db,
    sql`select to_regprocedure('protect_append_only_tables()')::text as present`,
  );
  if (present) await db.execute(sql`select protect_append_only_tables()`);
}

/** The client factory: PostgreSQL through postgres.js when a URL is given, PGlite otherwise. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  if ("url" in options) {
    const { bounds } = options;
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      connect_timeout: 10,
      // Sent when each connection starts: every statement and transaction on this pool is bounded.
      connection: {
        ...(options.applicationName ? { application_name: options.applicationName } : {}),
        ...(bounds
          ? {
              statement_timeout: bounds.statementMs,
              idle_in_transaction_session_timeout: bounds.idleInTransactionMs,
            }
          : {}),
      },
    });
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    return {
      db,
      kind: "postgres",
      url: options.url,
      ping: async () => {
        await client`select 1`;
      },
      migrate: async (options) => {
        await migratePostgres(db as never, { migrationsFolder: options?.migrationsFolder ?? migrationsFolder });
        await protectAppendOnlyTables(db);
      },
      pendingMigrations: () => pendingMigrationsOf(db),
      close: () => client.end({ timeout: 5 }),
    };
  }
  // Loaded only when used: PGlite costs ~45 MB of memory in every process that imports it, PostgreSQL's included.
  const [{ drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import("drizzle-orm/pglite"),
    import("drizzle-orm/pglite/migrator"),
  ]);
  let client: PGlite;
  if ("pglite" in options) {
    client = options.pglite;
  } else {
    mkdirSync(dirname(resolve(options.pgliteDir)), { recursive: true });
    const { PGlite } = await import("@electric-sql/pglite");
    client = await PGlite.create({ dataDir: options.pgliteDir });
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    ping: async () => {
      await client.query("select 1");
    },
    migrate: async (options) => {
      await migratePglite(db as never, { migrationsFolder: options?.migrationsFolder ?? migrationsFolder });
      await protectAppendOnlyTables(db);
    },
    pendingMigrations: () => pendingMigrationsOf(db),
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}

/**
 * The append-only tables the connected role could change or strip of their triggers: those it owns (or whose owner
 * it is a member of, a superuser included) or may UPDATE, DELETE or TRUNCATE. Empty under the app role of
 * docs/ledger.md.
 */
export async function appendOnlyTablesExposed(db: Db): Promise<string[]> {
  const rows = await queryRows<{ table: string }>(
    db,
    sql`select c.relname as table from pg_class c
        where exists (select 1 from pg_trigger t
                      where t.tgrelid = c.oid and t.tgfoid = 'refuse_change_to_append_only()'::regprocedure)
          and (pg_has_role(c.relowner, 'USAGE') or has_table_privilege(c.oid, 'UPDATE')
               or has_table_privilege(c.oid, 'DELETE') or has_table_privilege(c.oid, 'TRUNCATE'))
        order by 1`,
  );
  return rows.map((r) => r.table);
}

/** Rows of a raw query, whichever driver ran it. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return (result as { rows: T[] }).rows;
}

/**
 * Plans the rest of this transaction for scans of a whole ledger: with PostgreSQL's JIT off, since compiling a record's
 * canonical JSON costs about a second for each query and worker, more than it saves on such a scan (docs/benchmarks.md,
 * "Ledger proofs at a million records"), and without parallel workers, since verification runs its own parts at once.
 */
export async function planForScans(tx: Db) {
  await tx.execute(
    sql`select set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`,
  );
}

/** Rows of one query that scans a whole ledger, in a transaction of its own planned for it (planForScans). */
export async function queryRowsForScan<T>(db: Db, query: SQL): Promise<T[]> {
  return db.transaction(async (tx) => {
    await planForScans(tx);
    return queryRows<T>(tx, query);
  });
}

export { sql };

/** A json column of a raw query: postgres.js and PGlite differ in whether it arrives parsed. */
export function jsonValue<T>(value: T | string): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}
