import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, inject } from "vitest";
import { openDatabase, type Database } from "../../db/client.server";

/**
 * This test file's own migrated database: PGlite loaded from the run's image, or, when DATABASE_URL
 * is set, a PostgreSQL database copied from the run's template and dropped after the file.
 */
export async function freshDatabase(options: { maxConnections?: number } = {}): Promise<Database> {
  const template = inject("databaseTemplate");
  if (template.kind === "pglite") {
    const pglite = await PGlite.create({ loadDataDir: new Blob([readFileSync(template.image)]) });
    const database = await openDatabase({ pglite });
    afterAll(() => database.close());
    return database;
  }
  const name = `smcoc_test_${randomBytes(5).toString("hex")}`;
  const admin = postgres(template.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template.template}`);
  const url = new URL(template.url);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections: options.maxConnections ?? 10 });
  afterAll(async () => {
    await database.close();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  return database;
}
