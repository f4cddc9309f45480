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
/**
 * A PGlite data directory holding the run's migrated image, opened: for a test that starts the app or a script on
 * its own directory (migrating a new directory instead takes ten times as long). The caller closes it.
 */
export async function migratedPgliteDirectory(dir: string): Promise<Database> {
  const template = inject("databaseTemplate");
  if (template.kind !== "pglite") throw new Error("migratedPgliteDirectory is for the PGlite run");
  const pglite = await PGlite.create({ dataDir: dir, loadDataDir: new Blob([readFileSync(template.image)]) });
  return openDatabase({ pglite });
}

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
