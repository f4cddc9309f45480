import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { bufferedChunks } from "~/reporting/export-csv.server";
import { copyCsvStream } from "~/reporting/export-rows.server";
import { freshDatabase } from "../test/support/database";
import { openDatabase, queryRows } from "./client.server";

/**
 * The two postgres.js 3.4.9 bugs patched at install (scripts/patches, docs/decisions/0011-postgres-js-patches.md),
 * each reproduced on a real PostgreSQL server.
 */
const database = await freshDatabase();
const onPostgres = database.kind === "postgres";
const root = resolve(import.meta.dirname, "..");

/** The promise's value, or a failure naming what never answered. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe.skipIf(!onPostgres)("postgres.js as patched, on PostgreSQL", () => {
  it("answers the next query on a connection whose COPY ended with its last rows and CopyDone in one chunk", async () => {
    // One connection, so the next query must go down the one that ran the COPY.
    const single = await openDatabase({ url: database.url!, maxConnections: 1 });
    afterAll(() => single.close());
    // 17 to 62 kB of output: more than the stream's 16 kB buffer, less than one 64 kB socket read, so the
    // read that fills the buffer (and pauses the socket) also holds CopyDone. Unpatched, the first already hangs.
    for (const rows of [2_000, 3_000, 4_000, 5_000, 7_000]) {
      const copy = await copyCsvStream(single.db, sql`select 'row ' || g from generate_series(1, ${rows}) g`);
      let lines = 0;
      for await (const chunk of bufferedChunks(copy.stream)) lines += chunk.toString("utf8").split("\n").length - 1;
      expect(lines).toBe(rows);
      const [row] = await within(
        queryRows<{ ok: number }>(single.db, sql`select 1 as ok`),
        5_000,
        `the query after a COPY of ${rows} rows`,
      );
      expect(row.ok).toBe(1);
    }
  });

  it("rejects queries on connections whose backend was terminated, and the process lives on", async () => {
    // Issue 1208's reproductions (a reserved connection, and a transaction whose ROLLBACK follows the close), in
    // a process of their own: unpatched, a write runs from a setImmediate on a socket that is gone, and the
    // TypeError ends the process.
    const script = `
      import postgres from "postgres";
      const closed = [];
      const sql = postgres(process.env.URL, { max: 2, onnotice() {}, onclose: (id) => closed.push(id) });
      const other = postgres(process.env.URL, { max: 1, onnotice() {} });

      const reserved = await sql.reserve();
      const [{ pid }] = await reserved\`select pg_backend_pid() as pid\`;
      await other\`select pg_terminate_backend(\${pid})\`;
      while (closed.length === 0) await new Promise((r) => setTimeout(r, 10));
      const onReserved = await reserved\`select 1 as ok\`.then(() => "answered", (e) => e.code);
      reserved.release();

      let inTransaction = null;
      const transaction = sql.begin(async (t) => {
        [{ pid: inTransaction }] = await t\`select pg_backend_pid() as pid\`;
        await t\`select pg_sleep(5)\`;
      });
      while (inTransaction === null) await new Promise((r) => setTimeout(r, 10));
      await other\`select pg_terminate_backend(\${inTransaction})\`;
      const onTransaction = await transaction.then(() => "committed", (e) => e.code);

      const [after] = await sql\`select 2 as ok\`;
      console.log(JSON.stringify({ onReserved, onTransaction, after: after.ok }));
      await Promise.all([sql.end({ timeout: 1 }), other.end({ timeout: 1 })]);
    `;
    const runScript = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
          cwd: root,
          env: { ...process.env, URL: database.url! },
          stdio: ["ignore", "pipe", "pipe"],
          timeout: 20_000,
          killSignal: "SIGKILL",
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
        child.on("error", fail);
        child.on("close", (code) => done({ code, stdout, stderr }));
      });
    // Once in about twenty CI runs on a loaded machine (never reproduced alone), the script ended with an unhandled
    // CONNECTION_CLOSED made in connection.js closed(), not the TypeError this test is about: a second fault, still
    // to trace upstream (see the closing note of issue 13). Only that fault earns another try; a TypeError never does.
    let result = await runScript();
    for (let retry = 0; retry < 2 && result.code !== 0 && isUnhandledClose(result.stderr); retry++) {
      console.info(`the script ended with an unhandled CONNECTION_CLOSED; trying again:\n${result.stderr}`);
      result = await runScript();
    }
    expect(result.stderr).not.toContain("TypeError");
    expect(result.code, result.stderr).toBe(0);
    // The released connection is not handed out again as if it were open: the pool reconnects it.
    expect(JSON.parse(result.stdout)).toEqual({
      onReserved: "CONNECTION_CLOSED",
      onTransaction: "CONNECTION_CLOSED",
      after: 2,
    });
  });
});

/** The process died of a CONNECTION_CLOSED thrown from the socket's close handler, and of nothing else. */
function isUnhandledClose(stderr: string): boolean {
  return !stderr.includes("TypeError") && /Error: write CONNECTION_CLOSED[^\n]*\n\s+at Socket\.closed /.test(stderr);
}
