import { beforeAll, describe, expect, it } from "vitest";
import { csvLine } from "~/lib/csv";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, anAuditEntry, aPerson } from "../../test/support/factories";
import {
  AUDIT_PAGE_SIZE,
  auditActions,
  auditCsvRow,
  auditLogEntries,
  auditLogPage,
  auditLogQueryString,
  parseAuditLogFilter,
  type AuditLogFilter,
} from "./audit-log.server";

const database = await freshDatabase();
const db = database.db;
let one: Awaited<ReturnType<typeof aCouncil>>;
let two: Awaited<ReturnType<typeof aCouncil>>;
let shared: { ours: Awaited<ReturnType<typeof aPerson>>; theirs: Awaited<ReturnType<typeof aPerson>> };

const filter = (f: Partial<AuditLogFilter> = {}): AuditLogFilter => ({ who: "", action: "", page: 1, ...f });
const actionsOf = async (f: Partial<AuditLogFilter>) =>
  (await auditLogPage(db, one.organisation.id, filter(f))).entries.map((e) => `${e.action} ${e.at}`);

beforeAll(async () => {
  one = await aCouncil(db);
  two = await aCouncil(db);
  // Two people of the same name, one in each council.
  shared = {
    ours: await aPerson(db, { organisationId: one.organisation.id, name: "Robin Shared", email: "robin@one.test" }),
    theirs: await aPerson(db, { organisationId: two.organisation.id, name: "Robin Shared", email: "robin@two.test" }),
  };
  const entry = (organisationId: string, action: string, at: string, actorUserId: string | null, extra = {}) =>
    anAuditEntry(db, { organisationId, action, at: new Date(at), actorUserId, ...extra });
  // London is on BST (UTC+1) in June: 23:30 UTC on 30 June is 00:30 on 1 July in London.
  await entry(one.organisation.id, "requirement.changed", "2026-06-29T12:00:00Z", one.admin.id);
  await entry(one.organisation.id, "report.exported", "2026-06-30T22:30:00Z", one.hr.id);
  await entry(one.organisation.id, "requirement.changed", "2026-06-30T23:30:00Z", one.admin.id, {
    subjectType: "user",
    subjectId: one.staff.id,
    details: { note: '=HYPERLINK("https://evil.test")' },
  });
  await entry(one.organisation.id, "auth.signed-in", "2026-07-02T08:00:00Z", shared.ours.id);
  await entry(one.organisation.id, "policy.published", "2026-07-03T08:00:00Z", null);
  // The other council's entries, some with the same actions and a person of the same name.
  await entry(two.organisation.id, "requirement.changed", "2026-06-30T12:00:00Z", two.admin.id);
  await entry(two.organisation.id, "auth.signed-in", "2026-07-02T09:00:00Z", shared.theirs.id);
  await entry(two.organisation.id, "roster.applied", "2026-07-02T10:00:00Z", two.hr.id);
  // An entry with no council (the command line's) is nobody's to read.
  await entry(null as unknown as string, "council.created", "2026-07-02T11:00:00Z", null);
});

describe("an admin's audit log", () => {
  it("lists only their own council's entries, newest first", async () => {
    expect(await actionsOf({})).toEqual([
      "policy.published 2026-07-03T08:00:00.000Z",
      "auth.signed-in 2026-07-02T08:00:00.000Z",
      "requirement.changed 2026-06-30T23:30:00.000Z",
      "report.exported 2026-06-30T22:30:00.000Z",
      "requirement.changed 2026-06-29T12:00:00.000Z",
    ]);
    expect(await auditActions(db, one.organisation.id)).toEqual([
      "auth.signed-in",
      "policy.published",
      "report.exported",
      "requirement.changed",
    ]);
    expect(await auditActions(db, two.organisation.id)).toEqual([
      "auth.signed-in",
      "requirement.changed",
      "roster.applied",
    ]);
  });

  it("filters by what was done", async () => {
    expect(await actionsOf({ action: "requirement.changed" })).toEqual([
      "requirement.changed 2026-06-30T23:30:00.000Z",
      "requirement.changed 2026-06-29T12:00:00.000Z",
    ]);
    expect(await actionsOf({ action: "roster.applied" })).toEqual([]);
  });

  it("filters by who did it: name, e-mail or employee number, never matching another council's people", async () => {
    expect(await actionsOf({ who: "robin shared" })).toEqual(["auth.signed-in 2026-07-02T08:00:00.000Z"]);
    expect(await actionsOf({ who: "ROBIN@ONE" })).toEqual(["auth.signed-in 2026-07-02T08:00:00.000Z"]);
    expect(await actionsOf({ who: "robin@two.test" })).toEqual([]);
    expect(await actionsOf({ who: one.hr.employeeNumber })).toEqual(["report.exported 2026-06-30T22:30:00.000Z"]);
    expect(await actionsOf({ who: two.hr.employeeNumber })).toEqual([]);
    // What is typed is text, not a pattern.
    expect(await actionsOf({ who: "%" })).toEqual([]);
    const page = await auditLogPage(db, one.organisation.id, filter({ who: "robin" }));
    expect(page.entries[0].actor).toEqual({ name: "Robin Shared", employeeNumber: shared.ours.employeeNumber });
  });

  it("filters by London calendar days, both ends included", async () => {
    expect(await actionsOf({ from: "2026-07-01", to: "2026-07-02" })).toEqual([
      "auth.signed-in 2026-07-02T08:00:00.000Z",
      "requirement.changed 2026-06-30T23:30:00.000Z",
    ]);
    expect(await actionsOf({ to: "2026-06-30" })).toEqual([
      "report.exported 2026-06-30T22:30:00.000Z",
      "requirement.changed 2026-06-29T12:00:00.000Z",
    ]);
    expect(await actionsOf({ from: "2026-06-30", to: "2026-06-30", action: "report.exported" })).toEqual([
      "report.exported 2026-06-30T22:30:00.000Z",
    ]);
  });

  it("names the person an entry is about, only when they are of the same council", async () => {
    const [entry] = (await auditLogPage(db, one.organisation.id, filter({ from: "2026-07-01", to: "2026-07-01" })))
      .entries;
    expect(entry).toMatchObject({ subjectType: "user", subjectId: one.staff.id, subjectName: one.staff.name });
  });

  it("pages the entries", async () => {
    const council = await aCouncil(db);
    const start = Date.parse("2026-08-01T00:00:00Z");
    for (let i = 0; i < AUDIT_PAGE_SIZE + 3; i++)
      await anAuditEntry(db, {
        organisationId: council.organisation.id,
        action: "auth.signed-in",
        at: new Date(start + i * 60_000),
        actorUserId: council.staff.id,
      });
    const first = await auditLogPage(db, council.organisation.id, filter());
    expect(first).toMatchObject({ total: AUDIT_PAGE_SIZE + 3, page: 1, pageCount: 2 });
    expect(first.entries).toHaveLength(AUDIT_PAGE_SIZE);
    const second = await auditLogPage(db, council.organisation.id, filter({ page: 2 }));
    expect(second.entries.map((e) => e.at)).toEqual([
      "2026-08-01T00:02:00.000Z",
      "2026-08-01T00:01:00.000Z",
      "2026-08-01T00:00:00.000Z",
    ]);
    expect(await auditLogPage(db, council.organisation.id, filter({ page: 5 }))).toMatchObject({
      entries: [],
      total: AUDIT_PAGE_SIZE + 3,
      pageCount: 2,
    });
  });

  it("reads every entry for the CSV in batches, none twice and none lost, even at the same moment", async () => {
    const council = await aCouncil(db);
    const at = new Date("2026-09-01T10:00:00.123Z");
    for (let i = 0; i < 7; i++)
      await anAuditEntry(db, { organisationId: council.organisation.id, action: `test.entry-${i}`, at });
    const batches: string[][] = [];
    for await (const batch of auditLogEntries(db, council.organisation.id, filter(), 3))
      batches.push(batch.map((e) => e.action));
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `test.entry-${i}`));
  });

  it("writes each entry as a CSV line a spreadsheet reads as text", async () => {
    const [entry] = (await auditLogPage(db, one.organisation.id, filter({ from: "2026-07-01", to: "2026-07-01" })))
      .entries;
    expect(csvLine(auditCsvRow(entry))).toBe(
      `2026-06-30T23:30:00.000Z,requirement.changed,${one.admin.name},${one.admin.employeeNumber},user,${one.staff.id},${one.staff.name},"{""note"":""=HYPERLINK(\\""https://evil.test\\"")""}",,\r\n`,
    );
    const council = await aCouncil(db);
    const trickster = await aPerson(db, { organisationId: council.organisation.id, name: '=HYPERLINK("x")' });
    await anAuditEntry(db, {
      organisationId: council.organisation.id,
      action: "auth.signed-in",
      at: new Date("2026-07-01T09:00:00Z"),
      actorUserId: trickster.id,
    });
    const [signedIn] = (await auditLogPage(db, council.organisation.id, filter())).entries;
    expect(csvLine(auditCsvRow(signedIn))).toContain(`,auth.signed-in,"'=HYPERLINK(""x"")",`);
  });
});

describe("the audit log's filter", () => {
  it("reads the GET form's fields, and gives a clear message for each bad one", () => {
    const parsed = parseAuditLogFilter(
      new URLSearchParams("who=+Ann+&action=auth.signed-in&from-day=1&from-month=7&from-year=2026&to=2026-07-31"),
    );
    expect(parsed.data).toEqual({
      who: "Ann",
      action: "auth.signed-in",
      from: "2026-07-01",
      to: "2026-07-31",
      page: 1,
    });
    expect(auditLogQueryString(parsed.data!)).toBe("who=Ann&action=auth.signed-in&from=2026-07-01&to=2026-07-31");
    const bad = parseAuditLogFilter(
      new URLSearchParams("action=<script>&from-day=31&from-month=2&from-year=2026&to=2026-01-01&page=0"),
    );
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => `${String(i.path[0])}: ${i.message}`)).toEqual(
      expect.arrayContaining(["action: Choose what from the list", "from: The first day must be a real date"]),
    );
    const reversed = parseAuditLogFilter(new URLSearchParams("from=2026-07-02&to=2026-07-01"));
    expect(reversed.error!.issues.map((i) => i.message)).toEqual([
      "The last day must be the same as or after the first day",
    ]);
  });
});
