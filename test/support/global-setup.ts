import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../db/client.server";

declare module "vitest" {
  export interface ProvidedContext {
    databaseTemplate: { kind: "postgres"; url: string; template: string } | { kind: "pglite"; image: string };
  }
}

/** Migrates once per run: a template database on PostgreSQL, a data directory image on PGlite. */
export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL;
  if (url) {
    const template = `smcoc_template_${randomBytes(4).toString("hex")}`;
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${template}`);
    const templateUrl = new URL(url);
    templateUrl.pathname = `/${template}`;
    const database = await openDatabase({ url: templateUrl.toString(), maxConnections: 1 });
    await database.migrate();
    await database.close();
    project.provide("databaseTemplate", { kind: "postgres", url, template });
    return async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await admin.end();
    };
  }
  const dir = resolve(".test-data");
  mkdirSync(dir, { recursive: true });
  const image = resolve(dir, `pglite-${process.pid}.tar`);
  const pglite = await PGlite.create();
  const database = await openDatabase({ pglite });
  await database.migrate();
  const blob = await pglite.dumpDataDir("none");
  writeFileSync(image, Buffer.from(await blob.arrayBuffer()));
  await pglite.close();
  project.provide("databaseTemplate", { kind: "pglite", image });
  return () => rmSync(image, { force: true });
}
