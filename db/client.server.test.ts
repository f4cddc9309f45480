import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { freshDatabase } from "../test/support/database";
import { queryRows, queryRowsForScan } from "./client.server";

const { db } = await freshDatabase();
const settings = sql`select current_setting('jit') as jit,
                            current_setting('max_parallel_workers_per_gather') as workers`;

describe("queryRowsForScan", () => {
  it("runs its query with JIT and parallel workers off, and leaves the connection's settings as they were", async () => {
    const [before] = await queryRows<{ jit: string; workers: string }>(db, settings);
    expect(await queryRowsForScan(db, settings)).toEqual([{ jit: "off", workers: "0" }]);
    expect(await queryRows(db, settings)).toEqual([before]);
  });
});
