import { count, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { writeAudit } from "~/audit/audit.server";
import { queryRows } from "~db/client.server";
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

describe(`append-only tables on ${database.kind} (migration 0013, docs/decisions/0016)`, () => {
  it("are exactly the documented eleven, each with both refusing triggers", async () => {
    const rows = await queryRows<{ table: string; triggers: string[] }>(
      db,
      sql`select c.relname as table, array_agg(t.tgname::text order by t.tgname) as triggers
          from pg_trigger t join pg_class c on c.oid = t.tgrelid
          where t.tgfoid = 'refuse_change_to_append_only()'::regprocedure
          group by c.relname order by c.relname`,
    );
    expect(rows).toEqual(
      [
        "attempt_events",
        "attestations",
        "audit_log",
        "certificates",
        "earlier_training",
        "exemptions",
        "ledger_checkpoints",
        "ledger_tree_nodes",
        "nudge_deliveries",
        "policy_versions",
        "requirement_settings",
      ].map((table) => ({ table, triggers: [`${table}_no_truncate`, `${table}_no_update_delete`] })),
    );
  });

  it("stops a migration whose append-only table has only one of the two triggers", async () => {
    await db.execute(sql`create table half_protected (id int)`);
    try {
      await db.execute(sql`create trigger half_protected_no_update_delete before update or delete on half_protected
                           for each row execute function refuse_change_to_append_only()`);
      expect(await databaseError(db.execute(sql`select protect_append_only_tables()`))).toMatch(
        /Append-only table half_protected needs both triggers/,
      );
    } finally {
      await db.execute(sql`drop table half_protected`);
    }
    expect(await queryRows(db, sql`select protect_append_only_tables() as protected`)).toEqual([{ protected: 11 }]);
  });
});
