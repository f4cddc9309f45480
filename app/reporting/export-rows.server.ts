import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "~db/client.server";

/**
 * Reading a large query without holding it in memory, on either database. Exports read their rows in
 * batches from here, and the CSV export on PostgreSQL streams `COPY (query) TO STDOUT` instead.
 */
const dialect = new PgDialect();

type PgliteClient = {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
};
type PostgresClient = {
  unsafe(
    text: string,
    params?: unknown[],
  ): PromiseLike<unknown> & {
    cursor(rows: number): AsyncIterable<Record<string, unknown>[]>;
    readable(): Promise<Readable>;
  };
};

function clientOf(db: Db): { kind: "postgres"; client: PostgresClient } | { kind: "pglite"; client: PgliteClient } {
  const client = (db as unknown as { $client: unknown }).$client;
  // postgres.js's client is a tagged-template function; PGlite's is an object.
  if (typeof client === "function") return { kind: "postgres", client: client as unknown as PostgresClient };
  return { kind: "pglite", client: client as PgliteClient };
}

export function databaseKind(db: Db): "postgres" | "pglite" {
  return clientOf(db).kind;
}

export function renderQuery(query: SQL): { text: string; params: unknown[] } {
  const { sql, params } = dialect.sqlToQuery(query);
  return { text: sql, params };
}

/**
 * Rows of a query in batches, in the query's order. On PostgreSQL a postgres.js cursor on one connection;
 * on PGlite (one connection for the whole app) a cursor WITH HOLD: the result is computed once and kept by
 * the database, and each FETCH is a short query of its own, so the app's other requests are not held up
 * behind a slow download.
 */
export async function* streamRows<T>(db: Db, query: SQL, batchSize = 1000): AsyncGenerator<T[]> {
  const { text, params } = renderQuery(query);
  const target = clientOf(db);
  if (target.kind === "postgres") {
    for await (const rows of target.client.unsafe(text, params).cursor(batchSize)) yield rows as T[];
    return;
  }
  const cursor = `export_${randomBytes(8).toString("hex")}`;
  await target.client.query(`declare ${cursor} no scroll cursor with hold for ${text}`, params);
  try {
    for (;;) {
      const { rows } = await target.client.query<T>(`fetch forward ${batchSize} from ${cursor}`);
      if (rows.length > 0) yield rows;
      if (rows.length < batchSize) return;
    }
  } finally {
    await target.client.query(`close ${cursor}`);
  }
}

/** A literal PostgreSQL reads back as exactly this value: dollar-quoted with a tag the value cannot contain. */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("Cannot inline a non-finite number");
    return String(value);
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value !== "string") throw new Error(`Cannot inline a ${typeof value} into COPY`);
  // The closing tag must be the first place the tag appears after the opening one (a value ending in "$v" would end early).
  const closesEarly = (tag: string) => `${value}$${tag}$`.indexOf(`$${tag}$`) !== value.length;
  let tag = "v";
  while (closesEarly(tag)) tag = `v${randomBytes(4).toString("hex")}`;
  return `$${tag}$${value}$${tag}$`;
}

/** The query with its bind parameters written in as literals: COPY takes no parameters. */
export function inlineParameters(query: SQL): string {
  const { text, params } = renderQuery(query);
  const used = new Set<number>();
  const inlined = text.replace(/\$(\d+)\b/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= params.length) throw new Error(`Placeholder $${n} has no parameter`);
    used.add(index);
    return sqlLiteral(params[index]);
  });
  if (used.size !== params.length) throw new Error("Not every parameter was placed");
  return inlined;
}

/**
 * `COPY (query) TO STDOUT (FORMAT csv)` on PostgreSQL as a stream that honours backpressure (postgres.js
 * pauses the socket while the stream is full). Destroying that stream part-way would leave its connection
 * paused for ever, so a reader that stops early calls `abandon`: the server is asked to cancel the COPY and
 * the rest is read and dropped until it ends, which frees the connection.
 */
export async function copyCsvStream(
  db: Db,
  query: SQL,
  forceQuote: readonly string[] = [],
): Promise<{ stream: Readable; abandon(): void }> {
  const target = clientOf(db);
  if (target.kind !== "postgres") throw new Error("COPY TO STDOUT is streamed on PostgreSQL only");
  const quote = forceQuote.length
    ? `, force_quote (${forceQuote.map((c) => `"${c.replace(/"/g, '""')}"`).join(", ")})`
    : "";
  const copy = target.client.unsafe(`copy (${inlineParameters(query)}) to stdout (format csv${quote})`) as ReturnType<
    PostgresClient["unsafe"]
  > & { cancel(): void };
  const stream = await copy.readable();
  return {
    stream,
    abandon() {
      if (stream.readableEnded || stream.destroyed) return;
      stream.on("error", () => {});
      copy.cancel();
      stream.resume();
    },
  };
}
