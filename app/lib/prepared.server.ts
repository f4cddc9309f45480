import { fillPlaceholders, type Query, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "~db/client.server";

/**
 * One prepared query per database handle, built on first use. Measured on PostgreSQL through postgres.js: an
 * ad hoc drizzle select costs about 0.3 ms of CPU to build and map and a describe round trip before it runs;
 * the same query prepared costs about 0.06 ms and one round trip, so the queries every request runs are prepared
 * once. It runs on the handle it was built with (a transaction handle gets its own).
 */
export function preparedPerDatabase<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let query = built.get(db);
    if (query === undefined) {
      query = build(db);
      built.set(db, query);
    }
    return query;
  };
}

const dialect = new PgDialect();

/** A statement with its values, ready to run alone or in a pipeline; `Row` is the shape of its rows. */
export type BoundStatement<Row> = { query: Query; readonly row?: Row };

/** An SQL statement with its values already in it, for `pipelined`. */
export function boundSql<Row>(statement: SQL): BoundStatement<Row> {
  return { query: dialect.sqlToQuery(statement) };
}

/** Rows of a driver's raw result: postgres.js gives an array, PGlite `{ rows }`. */
function rowsOf<Row>(result: unknown): Row[] {
  return Array.isArray(result) ? (result as Row[]) : (result as { rows: Row[] }).rows;
}

/**
 * A raw SQL statement with `sql.placeholder(name)` values, prepared once per database handle. `run` executes it
 * and returns its rows, whichever driver (timestamps come back as PostgreSQL's text, as with `queryRows`); `bind`
 * fills in the values for `pipelined`.
 */
export function preparedSql<Row>(name: string, statement: SQL) {
  const query = dialect.sqlToQuery(statement);
  const prepared = preparedPerDatabase((db) => db._.session.prepareQuery(query, undefined, name, false));
  return {
    run: async (db: Db, values: Record<string, unknown>): Promise<Row[]> =>
      rowsOf<Row>(await prepared(db).execute(values)),
    bind: (values: Record<string, unknown>): BoundStatement<Row> => ({
      query: { sql: query.sql, params: fillPlaceholders(query.params, values) },
    }),
  };
}

type Connection = {
  unsafe(query: string, params?: unknown[], options?: { prepare?: boolean }): Promise<unknown[]>;
  release(): void;
};

/** The postgres.js client behind a handle, when it is one (a transaction handle or PGlite is not). */
function postgresClient(db: Db): { reserve(): Promise<Connection> } | null {
  const client = (db as { $client?: { reserve?: unknown } }).$client;
  return typeof client?.reserve === "function" ? (client as { reserve(): Promise<Connection> }) : null;
}

type RowsOfAll<T extends readonly BoundStatement<unknown>[]> = {
  [K in keyof T]: T[K] extends BoundStatement<infer Row> ? Row[] : never;
};

function runOn(db: Db, statement: BoundStatement<unknown>) {
  return db._.session.prepareQuery(statement.query, undefined, undefined, false).execute();
}

/**
 * Runs statements in order down one connection, sent together: on this 2-core machine each round trip to
 * PostgreSQL costs about 0.2 ms of CPU on either side (a loopback write wakes the other process), so several
 * small statements cost little more than one. With `transaction`, they run in one READ COMMITTED transaction
 * (each statement with its own snapshot, taken when it starts), and when one fails none of them takes effect.
 * On PGlite, or on a transaction handle, they simply run one after another.
 */
export async function pipelined<const T extends readonly BoundStatement<unknown>[]>(
  db: Db,
  statements: T,
  options: { transaction?: boolean } = {},
): Promise<RowsOfAll<T>> {
  const client = postgresClient(db);
  if (!client) {
    const runAll = async (handle: Db) => {
      const results: unknown[] = [];
      for (const statement of statements) results.push(rowsOf(await runOn(handle, statement)));
      return results as RowsOfAll<T>;
    };
    return options.transaction ? db.transaction((tx) => runAll(tx), { isolationLevel: "read committed" }) : runAll(db);
  }
  const connection = await client.reserve();
  try {
    const sent = statements.map((s) => connection.unsafe(s.query.sql, s.query.params, { prepare: true }));
    // After a failed statement PostgreSQL refuses the rest of the transaction, and its COMMIT rolls back.
    const all = options.transaction
      ? [connection.unsafe("begin isolation level read committed"), ...sent, connection.unsafe("commit")]
      : sent;
    const results = await Promise.allSettled(all);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      if (options.transaction) await connection.unsafe("rollback").catch(() => undefined);
      throw failed.reason;
    }
    const values = results.map((r) => (r as PromiseFulfilledResult<unknown[]>).value);
    return (options.transaction ? values.slice(1, -1) : values).map((rows) => rowsOf(rows)) as RowsOfAll<T>;
  } finally {
    connection.release();
  }
}
