import { count, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { writeAudit } from "~/audit/audit.server";
import { auditLog } from "~db/schema";
import { freshDatabase } from "../test/support/database";
import { anOrganisation, databaseError } from "../test/support/factories";

const database = await freshDatabase();
const db = database.db;
let organisationId: string;

beforeAll(async () => {
  organisationId = (await anOrganisation(db)).id;
  await writeAudit(db, { action: "test.first", organisationId }, { ip: null, requestId: null });
});

const entries = () => db.select().from(auditLog).orderBy(auditLog.id);

describe(`the audit log on ${database.kind}`, () => {
  it("refuses UPDATE and keeps the row as it was", async () => {
    const before = await entries();
    const message = await databaseError(
      db.update(auditLog).set({ action: "test.rewritten" }).where(eq(auditLog.action, "test.first")),
    );
    expect(message).toMatch(/UPDATE on audit_log is not allowed: the table is append-only/);
    expect(await entries()).toEqual(before);
  });

  it("refuses DELETE and keeps the row", async () => {
    const before = await entries();
    const message = await databaseError(db.delete(auditLog).where(eq(auditLog.action, "test.first")));
    expect(message).toMatch(/DELETE on audit_log is not allowed: the table is append-only/);
    expect(await entries()).toEqual(before);
  });

  it("refuses TRUNCATE and keeps every row", async () => {
    const before = await entries();
    const message = await databaseError(db.execute(sql`TRUNCATE audit_log`));
    expect(message).toMatch(/TRUNCATE on audit_log is not allowed: the table is append-only/);
    expect(await entries()).toEqual(before);
  });

  it("still accepts an INSERT", async () => {
    const [{ n: before }] = await db.select({ n: count() }).from(auditLog);
    await writeAudit(
      db,
      { action: "test.second", organisationId, details: { ok: true } },
      { ip: "192.0.2.1", requestId: "r-1" },
    );
    const [{ n: after }] = await db.select({ n: count() }).from(auditLog);
    expect(after).toBe(before + 1);
    const [row] = await db.select().from(auditLog).where(eq(auditLog.action, "test.second"));
    expect(row).toMatchObject({ organisationId, details: { ok: true }, ip: "192.0.2.1", requestId: "r-1" });
  });
});
