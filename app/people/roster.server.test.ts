import type { AddressInfo } from "node:net";
import { and, asc, count, eq } from "drizzle-orm";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setPasswordWithLink } from "~/auth/password-links.server";
import { createSession, findActiveSession } from "~/auth/session.server";
import { createMailer, type Mailer } from "~/mail/mailer.server";
import { setTeam } from "~/people/memberships.server";
import { closeTeam } from "~/people/teams.server";
import { auditLog, emailChanges, passwordTokens, rosterUploads, teamMemberships, teams, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import { aCouncil, aPerson, asCurrentUser } from "../../test/support/factories";
import { ROSTER_MAX_BYTES } from "./roster-file.server";
import { applyRosterUpload } from "./roster-apply.server";
import { applyRoster } from "./roster-links.server";
import { findRosterUpload, uploadRoster, type RosterSummary } from "./roster-plan.server";

const database = await freshDatabase();
const db = database.db;

const NOW = new Date("2026-06-15T10:00:00.000Z");
const TODAY = "2026-06-15";
const HEADER = ["Employee number", "Name", "Email", "Team", "Start date", "Leaving date"];
const request = (now = NOW) => ({ ip: "203.0.113.9", requestId: null, userAgent: "vitest", now });
const BASE_URL = "https://conduct.example.gov.uk";
const POLICY = { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000 };

type Council = Awaited<ReturnType<typeof aCouncil>>;
const hrOf = (council: Council) => asCurrentUser(council.hr, council.organisation);

let unique = 0;
const tag = () => `${Date.now().toString(36)}${unique++}`;

function csvBytes(rows: (string | null)[][], options: { bom?: boolean; header?: string[] } = {}): Uint8Array {
  const lines = [options.header ?? HEADER, ...rows].map((cells) =>
    cells.map((c) => (c ?? "").replace(/^(.*[",\n].*)$/s, (v) => `"${v.replace(/"/g, '""')}"`)).join(","),
  );
  const text = lines.join("\r\n") + "\r\n";
  const bytes = new TextEncoder().encode(text);
  return options.bom ? new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]) : bytes;
}

async function upload(council: Council, bytes: Uint8Array, now = NOW, name = "staff.csv") {
  const result = await uploadRoster(db, hrOf(council), { name, bytes }, request(now));
  if (!result.ok) throw new Error(result.error);
  return result;
}

/** Uploads and applies a file (no SMTP), expecting it to apply. */
async function importFile(council: Council, bytes: Uint8Array, now = NOW) {
  const uploaded = await upload(council, bytes, now);
  expect(uploaded.summary.problems).toEqual([]);
  const applied = await applyRoster(
    db,
    null,
    hrOf(council),
    uploaded.uploadId,
    { planDigest: uploaded.summary.planDigest },
    BASE_URL,
    request(now),
  );
  expect(applied.outcome).toBe("applied");
  return { uploaded, applied };
}

const personBy = async (organisationId: string, employeeNumber: string) =>
  (
    await db
      .select()
      .from(users)
      .where(and(eq(users.organisationId, organisationId), eq(users.employeeNumber, employeeNumber)))
  )[0];

const membershipsOf = async (userId: string) =>
  (
    await db
      .select({
        teamId: teamMemberships.teamId,
        startedOn: teamMemberships.startedOn,
        endedOn: teamMemberships.endedOn,
      })
      .from(teamMemberships)
      .where(eq(teamMemberships.userId, userId))
  )
    // Oldest first; on the same day the closed one before the open one.
    .sort(
      (a, b) => a.startedOn.localeCompare(b.startedOn) || (a.endedOn === null ? 1 : 0) - (b.endedOn === null ? 1 : 0),
    );

async function everything() {
  const [u, t, m, r, p] = await Promise.all([
    db.select().from(users).orderBy(asc(users.id)),
    db.select().from(teams).orderBy(asc(teams.id)),
    db.select().from(teamMemberships).orderBy(asc(teamMemberships.id)),
    db.select({ n: count() }).from(rosterUploads),
    db.select({ n: count() }).from(passwordTokens),
  ]);
  return { users: u, teams: t, memberships: m, uploads: r[0].n, tokens: p[0].n };
}

const auditOf = async (action: string, organisationId: string) =>
  db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.organisationId, organisationId)))
    .orderBy(asc(auditLog.id));

describe("a file refused as a whole", () => {
  const header = HEADER.join(",");
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "binary (an image)",
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4]),
      /not a CSV file/,
    ],
    ["an Excel workbook", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 6, 0]), /spreadsheet workbook/],
    ["empty", new Uint8Array(), /The file is empty/],
    [
      "the wrong columns",
      new TextEncoder().encode("Staff ID,Forename,Surname\r\n1,Ann,Smith\r\n"),
      /does not have the right columns/,
    ],
    ["UTF-16", new Uint8Array([0xff, 0xfe, ...Buffer.from(`${header}\r\n`, "utf16le")]), /UTF-16/],
    [
      "Windows-1252",
      new Uint8Array([
        ...new TextEncoder().encode(`${header}\r\nE1,Ren`),
        0xe9,
        ...new TextEncoder().encode(",r@example.test,T,2026-04-01,\r\n"),
      ]),
      /not saved as UTF-8/,
    ],
    ["larger than 20 MB", new Uint8Array(ROSTER_MAX_BYTES + 1).fill(0x41), /larger than 20 MB/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`refuses ${what} with a clear message, writes nothing but its audit entry`, async () => {
      const council = await aCouncil(db);
      const before = await everything();
      const result = await uploadRoster(db, hrOf(council), { name: `C:\\Users\\hr\\${what}.csv`, bytes }, request());
      expect(result).toMatchObject({ ok: false, error: expect.stringMatching(message) });
      expect(await everything()).toEqual(before);
      const [audit] = await auditOf("roster.refused", council.organisation.id);
      expect(audit).toMatchObject({
        actorUserId: council.hr.id,
        details: { fileName: `${what}.csv`, byteSize: bytes.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      });
    });
  }

  it("tells HR how to save the file as CSV UTF-8 when the encoding is wrong", async () => {
    const council = await aCouncil(db);
    const result = await uploadRoster(db, hrOf(council), { name: "staff.csv", bytes: cases[5][1] }, request());
    expect(result.ok ? "" : result.error).toContain("“CSV UTF-8 (Comma delimited) (*.csv)”");
  });
});

describe("a correct file", () => {
  it("is previewed, then applied in one go: people added as staff, teams created where new, memberships from their start dates", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const bytes = csvBytes(
      [
        [`N1-${t}`, "Ann New", `ann-${t}@example.test`, "Team A", "2026-04-01", null],
        [`N2-${t}`, "Bob New", `bob-${t}@example.test`, "Fostering", "01/07/2026", "31/12/2026"],
      ],
      { bom: true },
    );
    const uploaded = await upload(council, bytes);
    expect(uploaded.summary).toMatchObject({
      status: "ready",
      counts: { rows: 2, added: 2, changed: 0, deactivated: 0, unchanged: 0, newTeams: 1 },
      newTeams: ["Fostering"],
      first: {
        added: [
          { line: 2, employeeNumber: `N1-${t}`, name: "Ann New" },
          { line: 3, employeeNumber: `N2-${t}`, startDate: "2026-07-01", leavingDate: "2026-12-31" },
        ],
      },
    });
    expect(await personBy(council.organisation.id, `N1-${t}`)).toBeUndefined();

    const applied = await applyRoster(
      db,
      null,
      hrOf(council),
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      BASE_URL,
      request(),
    );
    expect(applied).toMatchObject({ outcome: "applied", counts: { added: 2 } });
    const ann = await personBy(council.organisation.id, `N1-${t}`);
    const bob = await personBy(council.organisation.id, `N2-${t}`);
    expect(ann).toMatchObject({
      role: "staff",
      active: true,
      teamId: council.teamA.id,
      startDate: "2026-04-01",
      leavingDate: null,
      passwordHash: null,
    });
    // A leaving date in the future is stored but does not deactivate.
    expect(bob).toMatchObject({ role: "staff", active: true, startDate: "2026-07-01", leavingDate: "2026-12-31" });
    const [fostering] = await db
      .select()
      .from(teams)
      .where(and(eq(teams.organisationId, council.organisation.id), eq(teams.name, "Fostering")));
    expect(bob.teamId).toBe(fostering.id);
    expect(await membershipsOf(ann.id)).toEqual([{ teamId: council.teamA.id, startedOn: "2026-04-01", endedOn: null }]);
    expect(await membershipsOf(bob.id)).toEqual([{ teamId: fostering.id, startedOn: "2026-07-01", endedOn: null }]);

    const stored = await findRosterUpload(db, hrOf(council), uploaded.uploadId);
    expect(stored?.appliedAt).toEqual(NOW);
    expect(stored?.summary).toMatchObject({ status: "applied", links: { mode: "admin", people: 2 } });
    const [uploadAudit] = await auditOf("roster.uploaded", council.organisation.id);
    const [applyAudit] = await auditOf("roster.applied", council.organisation.id);
    for (const audit of [uploadAudit, applyAudit]) {
      expect(audit).toMatchObject({
        actorUserId: council.hr.id,
        subjectId: uploaded.uploadId,
        details: { fileName: "staff.csv", sha256: stored?.sha256, counts: { added: 2 } },
      });
    }
  });

  it("changes nothing when the same file is imported a second time", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const bytes = csvBytes([
      [`S1-${t}`, "Sam", `sam-${t}@example.test`, "New Team", "2026-01-05", null],
      [council.staff.employeeNumber, council.staff.name, council.staff.email, "Team B", council.staff.startDate, null],
      [
        council.champion.employeeNumber,
        council.champion.name,
        council.champion.email,
        "Team A",
        council.champion.startDate,
        "2026-06-01",
      ],
    ]);
    await importFile(council, bytes);
    const before = await everything();
    const second = await upload(council, bytes);
    expect(second.summary.counts).toEqual({
      rows: 3,
      added: 0,
      changed: 0,
      deactivated: 0,
      unchanged: 2,
      alreadyLeft: 1,
      notAdded: 0,
      newTeams: 0,
      emailChanges: 0,
    });
    const applied = await applyRosterUpload(
      db,
      hrOf(council),
      second.uploadId,
      { planDigest: second.summary.planDigest },
      { withLinks: false },
      request(),
    );
    expect(applied).toMatchObject({ outcome: "applied", linkRecipients: [] });
    const after = await everything();
    expect({ ...after, uploads: 0 }).toEqual({ ...before, uploads: 0 });
  });

  it("applies once when Apply is sent twice, one after the other or at the same moment", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const uploaded = await upload(
      council,
      csvBytes([[`D1-${t}`, "Dee", `dee-${t}@example.test`, "Team A", "2026-01-05", null]]),
    );
    const apply = () =>
      applyRosterUpload(
        db,
        hrOf(council),
        uploaded.uploadId,
        { planDigest: uploaded.summary.planDigest },
        { withLinks: false },
        request(),
      );
    const outcomes = (await Promise.all([apply(), apply()])).map((r) => r.outcome).sort();
    expect(outcomes).toEqual(["already-applied", "applied"]);
    expect((await apply()).outcome).toBe("already-applied");
    expect(
      (
        await db
          .select({ n: count() })
          .from(users)
          .where(eq(users.employeeNumber, `D1-${t}`))
      )[0].n,
    ).toBe(1);
    expect(await auditOf("roster.applied", council.organisation.id)).toHaveLength(1);
  });

  it("gives an address to one council when two import it for a new person at once; the other is shown it taken", async () => {
    const [first, second] = [await aCouncil(db), await aCouncil(db)];
    // Each council applies under its own lock, so on PostgreSQL both check the address before either writes it, in
    // some of these rounds.
    for (let round = 0; round < 20; round++) {
      const t = tag();
      const address = `both-${t}@example.test`;
      const uploads = await Promise.all(
        [first, second].map((council, i) =>
          upload(council, csvBytes([[`W${i}-${t}`, "Wyn", address, "Team A", "2026-01-05", null]])),
        ),
      );
      const outcomes = await Promise.all(
        [first, second].map((council, i) =>
          applyRosterUpload(
            db,
            hrOf(council),
            uploads[i].uploadId,
            { planDigest: uploads[i].summary.planDigest },
            { withLinks: false },
            request(),
          ),
        ),
      );
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(["applied", "invalid"]);
      const refused = outcomes.findIndex((o) => o.outcome === "invalid");
      const stored = await findRosterUpload(db, hrOf([first, second][refused]), uploads[refused].uploadId);
      expect(stored?.summary.problems).toEqual([
        expect.objectContaining({ message: "This email address is already used by another account on this service" }),
      ]);
      expect(await db.select({ id: users.id }).from(users).where(eq(users.email, address))).toHaveLength(1);
    }
  });

  it("matches teams whatever their case and spacing", async () => {
    const council = await aCouncil(db);
    const t = tag();
    await importFile(
      council,
      csvBytes([[`C1-${t}`, "Cal", `cal-${t}@example.test`, "  team   a ", "2026-01-05", null]]),
    );
    expect((await personBy(council.organisation.id, `C1-${t}`)).teamId).toBe(council.teamA.id);
    expect(
      await db.select({ n: count() }).from(teams).where(eq(teams.organisationId, council.organisation.id)),
    ).toEqual([{ n: 2 }]);
  });
});

describe("problems in rows", () => {
  it("refuses a row naming a team an admin has closed, and applies nothing", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const admin = asCurrentUser(council.admin, council.organisation);
    const closing = await closeTeam(db, admin, council.teamB.id, { moveTo: council.teamA.id }, request());
    expect(closing).toMatchObject({ ok: true });
    const uploaded = await upload(
      council,
      csvBytes([[`K1-${t}`, "Kit", `kit-${t}@example.test`, "team b", "2026-01-05", null]]),
    );
    expect(uploaded.summary.problems).toEqual([
      { line: 2, column: "Team", message: "Team B has been closed: give the team they are in now" },
    ]);
  });

  it("lists each with its line and column, including e-mail addresses used elsewhere, and applies nothing", async () => {
    const council = await aCouncil(db);
    const other = await aCouncil(db);
    const t = tag();
    const bytes = csvBytes([
      [`P1-${t}`, "Fine Person", `fine-${t}@example.test`, "Team A", "2026-01-05", null],
      [`P2-${t}`, "Other Council", other.staff.email.toUpperCase(), "Team A", "2026-01-05", null],
      [`P3-${t}`, "Taken Here", council.champion.email, "Team A", "2026-01-05", null],
      [`P1-${t}`, "", "not an email", "Team A", "2026-13-01", null],
      [`P5-${t}`, "Backwards", `back-${t}@example.test`, "Team A", "2026-05-01", "2026-04-01"],
    ]);
    const before = await everything();
    const uploaded = await upload(council, bytes);
    expect(uploaded.summary.status).toBe("invalid");
    expect(uploaded.summary.problems).toEqual([
      { line: 3, column: "Email", message: "This email address is already used by another account on this service" },
      {
        line: 4,
        column: "Email",
        message: `This email address belongs to employee number ${council.champion.employeeNumber}`,
      },
      { line: 5, column: "Employee number", message: `Employee number P1-${t} is also on line 2` },
      { line: 5, column: "Name", message: "Enter the name" },
      { line: 5, column: "Email", message: "Enter an email address in the correct format, like name@example.gov.uk" },
      { line: 5, column: "Start date", message: "2026-13-01 is not a real date" },
      { line: 6, column: "Leaving date", message: "The leaving date must be the same as or after the start date" },
    ]);
    expect(uploaded.summary).toMatchObject({
      problemCount: 7,
      problemRows: 4,
      problemsByColumn: { Email: 3, Name: 1, "Start date": 1, "Employee number": 1, "Leaving date": 1 },
    });
    const applied = await applyRosterUpload(
      db,
      hrOf(council),
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      { withLinks: true },
      request(),
    );
    expect(applied.outcome).toBe("invalid");
    expect({ ...(await everything()), uploads: 0 }).toEqual({ ...before, uploads: 0 });
    expect(await findRosterUpload(db, hrOf(council), uploaded.uploadId)).toMatchObject({ appliedAt: null });
  });

  it("counts every problem of a file with thousands of bad rows, keeping the first thousand for the page", async () => {
    const council = await aCouncil(db);
    const rows = Array.from({ length: 3000 }, (_, i) => [
      `B${i}`,
      "Name",
      `b${i}@example.test`,
      "Team A",
      "31/31/2026",
      null,
    ]);
    const uploaded = await upload(council, csvBytes(rows));
    expect(uploaded.summary).toMatchObject({
      status: "invalid",
      problemCount: 3000,
      problemRows: 3000,
      problemsByColumn: { "Start date": 3000 },
    });
    expect(uploaded.summary.problems).toHaveLength(1000);
    expect(uploaded.summary.problems[999]).toEqual({
      line: 1001,
      column: "Start date",
      message: "31/31/2026 is not a real date",
    });
  });

  it("keeps an address with its holder until an administrator confirms a change: a swap in one file is refused, as is one kept by a leaver", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const a = await aPerson(db, {
      organisationId: council.organisation.id,
      teamId: council.teamA.id,
      email: `a-${t}@example.test`,
    });
    const b = await aPerson(db, {
      organisationId: council.organisation.id,
      teamId: council.teamA.id,
      email: `b-${t}@example.test`,
    });
    const swap = await upload(
      council,
      csvBytes([
        [a.employeeNumber, a.name, b.email, "Team A", a.startDate, null],
        [b.employeeNumber, b.name, a.email, "Team A", b.startDate, null],
      ]),
    );
    expect(swap.summary.problems).toEqual([
      { line: 2, column: "Email", message: `This email address belongs to employee number ${b.employeeNumber}` },
      { line: 3, column: "Email", message: `This email address belongs to employee number ${a.employeeNumber}` },
    ]);

    const leaver = await aPerson(db, {
      organisationId: council.organisation.id,
      active: false,
      leavingDate: "2026-01-31",
      email: `gone-${t}@example.test`,
    });
    const reused = await upload(
      council,
      csvBytes([[`R-${t}`, "New Starter", leaver.email, "Team A", "2026-06-01", null]]),
    );
    expect(reused.summary.problems).toEqual([
      {
        line: 2,
        column: "Email",
        message: `This email address belongs to employee number ${leaver.employeeNumber}, who has left`,
      },
    ]);
  });
});

describe("leavers", () => {
  it("deactivates only on a leaving date on or before today, ending their membership then; keeps their records; leaves out-of-file people alone", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const [past, today, future, absent] = await Promise.all(
      ["past", "today", "future", "absent"].map((n) =>
        aPerson(db, {
          organisationId: council.organisation.id,
          teamId: council.teamA.id,
          name: `${n}-${t}`,
          startDate: "2025-01-06",
        }),
      ),
    );
    const token = await createSession(db, past.id, POLICY, { ip: null, userAgent: null, now: NOW });
    const row = (p: typeof past, leaving: string) => [
      p.employeeNumber,
      p.name,
      p.email,
      "Team A",
      p.startDate,
      leaving,
    ];
    const { uploaded } = await importFile(
      council,
      csvBytes([row(past, "31/05/2026"), row(today, TODAY), row(future, "2026-07-31")]),
    );
    expect(uploaded.summary.counts).toMatchObject({ deactivated: 2, changed: 1, added: 0 });
    expect(uploaded.summary.first.deactivated.map((r) => r.employeeNumber)).toEqual([
      past.employeeNumber,
      today.employeeNumber,
    ]);

    expect(await personBy(council.organisation.id, past.employeeNumber)).toMatchObject({
      active: false,
      leavingDate: "2026-05-31",
      role: "staff",
    });
    expect(await membershipsOf(past.id)).toEqual([
      { teamId: council.teamA.id, startedOn: "2025-01-06", endedOn: "2026-05-31" },
    ]);
    expect(await personBy(council.organisation.id, today.employeeNumber)).toMatchObject({
      active: false,
      leavingDate: TODAY,
    });
    expect(await personBy(council.organisation.id, future.employeeNumber)).toMatchObject({
      active: true,
      leavingDate: "2026-07-31",
    });
    expect(await membershipsOf(future.id)).toEqual([
      { teamId: council.teamA.id, startedOn: "2025-01-06", endedOn: null },
    ]);
    expect(await personBy(council.organisation.id, absent.employeeNumber)).toMatchObject({
      active: true,
      leavingDate: null,
    });
    expect(await findActiveSession(db, token, POLICY, NOW)).toBeNull();
    expect(await db.select({ n: count() }).from(users).where(eq(users.id, past.id))).toEqual([{ n: 1 }]);
  });

  it("does not add a new person whose leaving date has passed, and leaves someone who has left as they are", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const gone = await aPerson(db, {
      organisationId: council.organisation.id,
      active: false,
      leavingDate: "2026-02-28",
      name: `Gone ${t}`,
    });
    const { uploaded } = await importFile(
      council,
      csvBytes([
        [`L-${t}`, "Long Gone", `long-${t}@example.test`, "Team A", "2020-01-01", "2021-01-01"],
        [gone.employeeNumber, "Renamed", gone.email, "Team B", gone.startDate, null],
      ]),
    );
    expect(uploaded.summary.counts).toMatchObject({ added: 0, notAdded: 1, alreadyLeft: 1, changed: 0 });
    expect(await personBy(council.organisation.id, `L-${t}`)).toBeUndefined();
    expect(await personBy(council.organisation.id, gone.employeeNumber)).toMatchObject({
      active: false,
      name: gone.name,
      leavingDate: "2026-02-28",
    });
  });

  it("refuses to mark the HR officer importing it as a leaver", async () => {
    const council = await aCouncil(db);
    const hr = council.hr;
    const uploaded = await upload(
      council,
      csvBytes([[hr.employeeNumber, hr.name, hr.email, "Team B", hr.startDate, "2026-06-01"]]),
    );
    expect(uploaded.summary.problems).toEqual([
      {
        line: 2,
        column: "Leaving date",
        message: "This is you: an import cannot mark the person importing it as a leaver",
      },
    ]);
  });
});

describe("movers", () => {
  it("closes the old membership and opens the new one today, exactly as setTeam does", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const cases = [
      { startDate: "2025-01-06", teamId: council.teamA.id as string | null },
      { startDate: TODAY, teamId: council.teamA.id },
      { startDate: "2026-09-01", teamId: council.teamA.id },
      { startDate: "2025-01-06", teamId: null },
    ];
    const imported: (typeof users.$inferSelect)[] = [];
    const byHand: (typeof users.$inferSelect)[] = [];
    for (const [i, c] of cases.entries()) {
      for (const list of [imported, byHand]) {
        const person = await aPerson(db, {
          organisationId: council.organisation.id,
          teamId: c.teamId,
          startDate: c.startDate,
          name: `Mover ${i} ${t}`,
        });
        list.push(person);
      }
    }
    const { uploaded } = await importFile(
      council,
      csvBytes(imported.map((p) => [p.employeeNumber, p.name, p.email, "Team B", p.startDate, null])),
    );
    expect(uploaded.summary.counts.changed).toBe(cases.length);
    expect(uploaded.summary.first.changed[0].changes).toEqual([{ field: "Team", from: "Team A", to: "Team B" }]);
    for (const p of byHand) await setTeam(db, p.id, council.teamB.id, TODAY);
    for (const [i] of cases.entries()) {
      const viaImport = await membershipsOf(imported[i].id);
      expect(viaImport).toEqual(await membershipsOf(byHand[i].id));
      expect((await personBy(council.organisation.id, imported[i].employeeNumber)).teamId).toBe(council.teamB.id);
    }
    expect(await membershipsOf(imported[0].id)).toEqual([
      { teamId: council.teamA.id, startedOn: "2025-01-06", endedOn: TODAY },
      { teamId: council.teamB.id, startedOn: TODAY, endedOn: null },
    ]);
  });

  it("moves a person's only membership with a corrected start date", async () => {
    const council = await aCouncil(db);
    const person = await aPerson(db, {
      organisationId: council.organisation.id,
      teamId: council.teamA.id,
      startDate: "2026-05-01",
    });
    await importFile(
      council,
      csvBytes([[person.employeeNumber, person.name, person.email, "Team A", "2026-04-20", null]]),
    );
    expect(await membershipsOf(person.id)).toEqual([
      { teamId: council.teamA.id, startedOn: "2026-04-20", endedOn: null },
    ]);
  });
});

describe("a new e-mail address for someone already here", () => {
  it("is shown in the preview as a change an administrator must confirm, and applying only records it", async () => {
    const council = await aCouncil(db);
    const person = await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
    const token = await createSession(db, person.id, POLICY, { ip: null, userAgent: null, now: NOW });
    const t = tag();
    const uploaded = await upload(
      council,
      csvBytes([
        [person.employeeNumber, person.name, `taken-over-${t}@example.test`, "Team A", person.startDate, null],
      ]),
    );
    expect(uploaded.summary.counts).toMatchObject({ changed: 0, unchanged: 0, emailChanges: 1 });
    expect(uploaded.summary.first.emailChanges).toEqual([
      expect.objectContaining({
        employeeNumber: person.employeeNumber,
        changes: [{ field: "Email", from: person.email, to: `taken-over-${t}@example.test` }],
      }),
    ]);
    await applyRoster(
      db,
      null,
      hrOf(council),
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      BASE_URL,
      request(),
    );
    expect((await personBy(council.organisation.id, person.employeeNumber)).email).toBe(person.email);
    expect(await findActiveSession(db, token, POLICY, NOW)).not.toBeNull();
    expect(await db.select().from(emailChanges).where(eq(emailChanges.userId, person.id))).toMatchObject([
      {
        fromEmail: person.email,
        toEmail: `taken-over-${t}@example.test`,
        requestedBy: council.hr.id,
        rosterUploadId: uploaded.uploadId,
        decidedAt: null,
      },
    ]);
  });
});

describe("people without an e-mail address", () => {
  it("are added from a row with an empty e-mail cell, known by their employee number, and get no password link", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const bytes = csvBytes([
      [`NE1-${t}`, "No Email", "", "Team A", "2026-01-05", null],
      ["", "Nobody Known", "", "Team A", "2026-01-05", null],
    ]);
    const refused = await upload(council, bytes);
    expect(refused.summary.problems).toEqual([
      { line: 3, column: "Employee number", message: "Enter the employee number" },
    ]);

    const uploaded = await upload(council, csvBytes([[`NE1-${t}`, "No Email", "", "Team A", "2026-01-05", null]]));
    expect(uploaded.summary.problems).toEqual([]);
    const applied = await applyRosterUpload(
      db,
      hrOf(council),
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      { withLinks: true },
      request(),
    );
    expect(applied).toMatchObject({ outcome: "applied", linkRecipients: [] });
    const person = await personBy(council.organisation.id, `NE1-${t}`);
    expect(person).toMatchObject({ name: "No Email", email: null, active: true });
    expect(await db.select().from(passwordTokens).where(eq(passwordTokens.userId, person.id))).toEqual([]);
  });

  it("keeps the address of someone who has one when their cell is empty, and asks an administrator to confirm an address for someone without", async () => {
    const council = await aCouncil(db);
    const t = tag();
    await importFile(council, csvBytes([[`NE2-${t}`, "Gets One", "", "Team A", "2026-01-05", null]]));
    const without = await personBy(council.organisation.id, `NE2-${t}`);
    const staff = council.staff;
    const uploaded = await upload(
      council,
      csvBytes([
        [staff.employeeNumber, staff.name, "", "Team A", staff.startDate, null],
        [`NE2-${t}`, "Gets One", `gets-one-${t}@example.test`, "Team A", "2026-01-05", null],
      ]),
    );
    expect(uploaded.summary.counts).toMatchObject({ changed: 0, unchanged: 1, emailChanges: 1 });
    await applyRoster(
      db,
      null,
      hrOf(council),
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      BASE_URL,
      request(),
    );
    expect((await personBy(council.organisation.id, staff.employeeNumber)).email).toBe(staff.email);
    expect((await personBy(council.organisation.id, `NE2-${t}`)).email).toBeNull();
    expect(await db.select().from(emailChanges).where(eq(emailChanges.userId, without.id))).toMatchObject([
      { fromEmail: null, toEmail: `gets-one-${t}@example.test`, decidedAt: null },
    ]);
  });
});

describe("roles and other councils", () => {
  it("never grants, removes or changes a role, nor an HR officer's or admin's e-mail address", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const { hr, admin } = council;
    const { uploaded } = await importFile(
      council,
      csvBytes([
        [hr.employeeNumber, `${hr.name} Renamed`, hr.email, "Team A", hr.startDate, null],
        [admin.employeeNumber, admin.name, admin.email, "Team B", admin.startDate, "2026-06-10"],
        [`N-${t}`, "Newcomer", `new-${t}@example.test`, "Team A", "2026-06-01", null],
      ]),
    );
    expect(uploaded.summary.counts).toMatchObject({ changed: 1, deactivated: 1, added: 1 });
    expect(await personBy(council.organisation.id, hr.employeeNumber)).toMatchObject({
      role: "hr",
      name: `${hr.name} Renamed`,
      teamId: council.teamA.id,
    });
    expect(await personBy(council.organisation.id, admin.employeeNumber)).toMatchObject({
      role: "admin",
      active: false,
    });
    expect(await personBy(council.organisation.id, `N-${t}`)).toMatchObject({ role: "staff" });

    const readdress = await upload(
      council,
      csvBytes([[hr.employeeNumber, hr.name, `takeover-${t}@example.test`, "Team A", hr.startDate, null]]),
    );
    expect(readdress.summary.problems).toEqual([
      {
        line: 2,
        column: "Email",
        message: `Employee number ${hr.employeeNumber} is an HR officer or administrator, so an import cannot change their email address: keep it as ${hr.email}`,
      },
    ]);
  });

  it("matches on employee number within HR's own council only", async () => {
    const council = await aCouncil(db);
    const other = await aCouncil(db);
    await db.update(users).set({ employeeNumber: "SHARED-1" }).where(eq(users.id, other.staff.id));
    const t = tag();
    await importFile(
      council,
      csvBytes([
        ["SHARED-1", "Ours", `ours-${t}@example.test`, "Team A", "2026-01-05", "2026-02-01"].map((c, i) =>
          i === 5 ? null : c,
        ),
      ]),
    );
    expect(await personBy(council.organisation.id, "SHARED-1")).toMatchObject({
      name: "Ours",
      organisationId: council.organisation.id,
    });
    expect(await personBy(other.organisation.id, "SHARED-1")).toMatchObject({
      name: other.staff.name,
      email: other.staff.email,
      active: true,
    });
  });
});

describe("uploads are HR's own", () => {
  it("answers nothing for another council's HR or another HR officer, and they cannot apply it", async () => {
    const council = await aCouncil(db);
    const other = await aCouncil(db);
    const colleague = await aPerson(db, { organisationId: council.organisation.id, role: "hr" });
    const t = tag();
    const uploaded = await upload(
      council,
      csvBytes([[`X-${t}`, "X", `x-${t}@example.test`, "Team A", "2026-01-05", null]]),
    );
    for (const who of [hrOf(other), asCurrentUser(colleague, council.organisation)]) {
      expect(await findRosterUpload(db, who, uploaded.uploadId)).toBeNull();
      expect(
        await applyRosterUpload(
          db,
          who,
          uploaded.uploadId,
          { planDigest: uploaded.summary.planDigest },
          { withLinks: false },
          request(),
        ),
      ).toEqual({ outcome: "not-found" });
    }
    expect(await findRosterUpload(db, hrOf(council), "not-a-uuid")).toBeNull();
    expect(await personBy(council.organisation.id, `X-${t}`)).toBeUndefined();
  });

  it("shows a new preview, and writes nothing, when people changed between preview and apply", async () => {
    const council = await aCouncil(db);
    const person = await aPerson(db, { organisationId: council.organisation.id, teamId: council.teamA.id });
    const uploaded = await upload(
      council,
      csvBytes([[person.employeeNumber, person.name, person.email, "Team B", person.startDate, null]]),
    );
    expect(uploaded.summary.counts.changed).toBe(1);
    await setTeam(db, person.id, council.teamB.id, TODAY);
    const before = await everything();
    const result = await applyRosterUpload(
      db,
      hrOf(council),
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      { withLinks: false },
      request(),
    );
    expect(result.outcome).toBe("rechecked");
    expect(await everything()).toEqual(before);
    const stored = await findRosterUpload(db, hrOf(council), uploaded.uploadId);
    expect(stored?.summary).toMatchObject({ rechecked: true, status: "ready", counts: { changed: 0, unchanged: 1 } });
    expect(stored?.appliedAt).toBeNull();
  });
});

describe("set-password links for new people", () => {
  type Received = { to: string[]; raw: string };
  const received: Received[] = [];
  let smtp: SMTPServer;
  let mailer: Mailer;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onRcptTo(address, _session, callback) {
        // A real refusal from the mail server, for the failure case.
        if (address.address.startsWith("bounce-")) return callback(new Error("550 No such mailbox"));
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          received.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("utf8"),
          });
          callback();
        });
      },
    });
    await new Promise<void>((ready) => smtp.listen(0, "127.0.0.1", ready));
    const { port } = smtp.server.address() as AddressInfo;
    mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: "roster@localhost" })!;
  });
  afterAll(() => new Promise<void>((done) => smtp.close(done)));

  const tokenIn = (raw: string) => {
    const body = raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    const match = /\/set-password\?token=([A-Za-z0-9_-]+)/.exec(body);
    if (!match) throw new Error(`No link in ${raw}`);
    return match[1];
  };

  it("e-mails each new person a one-time link that sets their password, after the import commits", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const uploaded = await upload(
      council,
      csvBytes([
        [`M1-${t}`, "Mia Mail", `mia-${t}@example.test`, "Team A", "2026-06-01", null],
        [`M2-${t}`, "Max Mail", `max-${t}@example.test`, "Team A", "2026-06-01", null],
        [
          council.staff.employeeNumber,
          council.staff.name,
          council.staff.email,
          "Team A",
          council.staff.startDate,
          null,
        ],
      ]),
    );
    const result = await applyRoster(
      db,
      mailer,
      hrOf(council),
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      BASE_URL,
      request(),
    );
    expect(result.outcome).toBe("applied");
    const mails = received.filter((m) => m.to.some((to) => to.endsWith(`-${t}@example.test`)));
    expect(mails.map((m) => m.to[0]).sort()).toEqual([`max-${t}@example.test`, `mia-${t}@example.test`]);
    const mia = mails.find((m) => m.to[0] === `mia-${t}@example.test`)!;
    const token = tokenIn(mia.raw);
    const person = await personBy(council.organisation.id, `M1-${t}`);
    expect(
      await setPasswordWithLink(
        db,
        { token, password: "a long new password" },
        request(new Date(NOW.getTime() + 60_000)),
      ),
    ).toEqual({ ok: true, userId: person.id });
    expect(
      await setPasswordWithLink(
        db,
        { token, password: "a second password" },
        request(new Date(NOW.getTime() + 120_000)),
      ),
    ).toEqual({ ok: false });
    expect((await findRosterUpload(db, hrOf(council), uploaded.uploadId))?.summary.links).toEqual({
      mode: "email",
      sent: 2,
      failed: [],
    });
    expect(await auditOf("roster.links-emailed", council.organisation.id)).toMatchObject([
      { details: { sent: 2, failed: 0 } },
    ]);
  });

  it("retires a link sent to a mistyped address as soon as a correction is asked for; the correction waits for an administrator", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const row = (email: string) => [`T1-${t}`, "Tia Typo", email, "Team A", "2026-06-01", null];
    const first = await upload(council, csvBytes([row(`tia-${t}@exmaple.test`)]));
    await applyRoster(
      db,
      mailer,
      hrOf(council),
      first.uploadId,
      { planDigest: first.summary.planDigest },
      BASE_URL,
      request(),
    );
    const wrong = received.find((m) => m.to[0] === `tia-${t}@exmaple.test`)!;
    const corrected = await upload(council, csvBytes([row(`tia-${t}@example.test`)]));
    expect(corrected.summary).toMatchObject({ counts: { changed: 0, emailChanges: 1 } });
    await applyRoster(
      db,
      mailer,
      hrOf(council),
      corrected.uploadId,
      { planDigest: corrected.summary.planDigest },
      BASE_URL,
      request(),
    );
    const later = request(new Date(NOW.getTime() + 60_000));
    expect(
      await setPasswordWithLink(db, { token: tokenIn(wrong.raw), password: "someone else's password" }, later),
    ).toEqual({ ok: false });
    const person = await personBy(council.organisation.id, `T1-${t}`);
    expect(person.email).toBe(`tia-${t}@exmaple.test`);
    expect(received.filter((m) => m.to[0] === `tia-${t}@example.test`)).toEqual([]);
  });

  it("keeps the import when an e-mail fails, and says whose failed", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const uploaded = await upload(
      council,
      csvBytes([
        [`F1-${t}`, "Fay Fine", `fay-${t}@example.test`, "Team A", "2026-06-01", null],
        [`F2-${t}`, "Bo Bounce", `bounce-${t}@example.test`, "Team A", "2026-06-01", null],
      ]),
    );
    const result = await applyRoster(
      db,
      mailer,
      hrOf(council),
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      BASE_URL,
      request(),
    );
    expect(result.outcome).toBe("applied");
    expect(await personBy(council.organisation.id, `F2-${t}`)).toMatchObject({ active: true });
    const summary = (await findRosterUpload(db, hrOf(council), uploaded.uploadId))?.summary as RosterSummary;
    expect(summary.links).toEqual({
      mode: "email",
      sent: 1,
      failed: [{ employeeNumber: `F2-${t}`, name: "Bo Bounce", email: `bounce-${t}@example.test` }],
    });
  });

  it("makes no link without SMTP: an admin hands them out from the people page", async () => {
    const council = await aCouncil(db);
    const t = tag();
    const uploaded = await upload(
      council,
      csvBytes([[`A1-${t}`, "Al Admin", `al-${t}@example.test`, "Team A", "2026-06-01", null]]),
    );
    await applyRoster(
      db,
      null,
      hrOf(council),
      uploaded.uploadId,
      { planDigest: uploaded.summary.planDigest },
      BASE_URL,
      request(),
    );
    const person = await personBy(council.organisation.id, `A1-${t}`);
    expect(await db.select().from(passwordTokens).where(eq(passwordTokens.userId, person.id))).toEqual([]);
    expect((await findRosterUpload(db, hrOf(council), uploaded.uploadId))?.summary.links).toEqual({
      mode: "admin",
      people: 1,
    });
  });
});
