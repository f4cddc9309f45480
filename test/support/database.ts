import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, inject } from "vitest";
import { openDatabase, type Database } from "../../db/client.server";

/**
 * Bytes handed to PGlite as a Blob without going through Node's Blob: Node reads its own Blob back in small chunks
 * and joins them (nodejs/node#42108), which cost about half a second for each file's 40 MB image.
 */
class BytesBlob extends Blob {
  constructor(private readonly content: Uint8Array) {
    super([]);
  }
  override get size(): number {
    return this.content.byteLength;
  }
  override async arrayBuffer(): Promise<ArrayBuffer> {
    return this.content.buffer.slice(
      this.content.byteOffset,
      this.content.byteOffset + this.content.byteLength,
    ) as ArrayBuffer;
  }
}

/**
 * What every PGlite of a test worker starts from, read and compiled once per worker (files run one after another in
 * a worker with the modules loaded, decision 0027): the run's migrated image, PGlite's WebAssembly and its files.
 * Together these took a PGlite's start from about 1.8 s of CPU to about 1.1 s.
 */
let startingPoint: Promise<{ image: Uint8Array; pgliteWasmModule: WebAssembly.Module; fsBundle: Uint8Array }> | null =
  null;
function pgliteFromImage(dataDir?: string): Promise<PGlite> {
  const template = inject("databaseTemplate");
  if (template.kind !== "pglite") throw new Error("A PGlite image is for the PGlite run");
  startingPoint ??= (async () => {
    const dist = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
    return {
      image: readFileSync(template.image),
      pgliteWasmModule: await WebAssembly.compile(readFileSync(join(dist, "pglite.wasm"))),
      fsBundle: readFileSync(join(dist, "pglite.data")),
    };
  })();
  return startingPoint.then(({ image, pgliteWasmModule, fsBundle }) =>
    PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      loadDataDir: new BytesBlob(image),
      pgliteWasmModule,
      fsBundle: new BytesBlob(fsBundle),
    }),
  );
}

/**
 * A PGlite data directory holding the run's migrated image, opened: for a test that starts the app or a script on
 * its own directory (migrating a new directory instead takes ten times as long). The caller closes it.
 */
export async function migratedPgliteDirectory(dir: string): Promise<Database> {
  return openDatabase({ pglite: await pgliteFromImage(dir) });
}

/**
 * This test file's own migrated database: PGlite loaded from the run's image, or, when DATABASE_URL
 * is set, a PostgreSQL database copied from the run's template and dropped after the file.
 */
export async function freshDatabase(options: { maxConnections?: number } = {}): Promise<Database> {
  const template = inject("databaseTemplate");
  if (template.kind === "pglite") {
    const database = await openDatabase({ pglite: await pgliteFromImage() });
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
