import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTeam } from "~/people/memberships.server";
import { EVIDENCE_LABELS } from "~/reporting/evidence-labels";
import { recordEarlierTraining } from "~/tracking/earlier-training.server";
import { recordExemption } from "~/tracking/exemptions.server";
import { exemptionSchema } from "~/tracking/forms";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { auditLog, requirements } from "~db/schema";
import { parseCsv } from "../support/csv";
import { freshDatabase } from "../support/database";
import {
  aCouncil,
  aModuleContent,
  aNudge,
  aPerson,
  aPolicyVersion,
  aSignature,
  aTeam,
  asCurrentUser,
  TEST_PASSWORD,
  answerEveryQuestion,
} from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { pdfText } from "../support/pdf";
import { startTestServer, type TestServer } from "../support/server";

const database = await freshDatabase();
const db = database.db;
const NOW = new Date("2026-05-01T12:00:00Z");
let server: TestServer;
let one: Awaited<ReturnType<typeof aCouncil>>;
let two: Awaited<ReturnType<typeof aCouncil>>;
let crowd: Awaited<ReturnType<typeof aTeam>>;
let signed: Awaited<ReturnType<typeof aSignature>>;
let hr: HttpClient;
let firstOfCrowd: Awaited<ReturnType<typeof aPerson>>;
const crowdPeople: Awaited<ReturnType<typeof aPerson>>[] = [];

beforeAll(async () => {
  one = await aCouncil(db);
  two = await aCouncil(db);
  await syncTrainingModules(
    db,
    [aModuleContent(one.organisation.slug) as unknown as TrainingModule],
    new Date("2026-01-01T00:00:00Z"),
  );
  const staff = asCurrentUser(one.staff, one.organisation);
  const attemptId = (await startOrResumeAttempt(db, staff, "test-module", new Date("2026-02-02T10:00:00Z")))!;
  await answerEveryQuestion(db, staff, "test-module", attemptId, (step) => new Date(`2026-02-02T10:0${step + 1}:00Z`));
  const version = await aPolicyVersion(db, one.organisation.id, { label: "1", effectiveDate: "2026-01-01" });
  signed = await aSignature(db, one.staff, version, new Date("2026-04-10T09:00:00Z"));
  // The staff member moved from team A to team B in April: as at 31 March they count in team A.
  await setTeam(db, one.staff.id, one.teamB.id, "2026-04-15");
  await aNudge(db, {
    organisationId: one.organisation.id,
    recipientUserId: one.staff.id,
    senderUserId: one.champion.id,
    day: "2026-02-01",
    message: "Please sign this week.",
    deliveries: [{ channel: "in-app", status: "delivered" }],
  });
  // 30 people of one team: 60 rows, more than one page of 50.
  crowd = await aTeam(db, one.organisation.id, "Crowd");
  for (let i = 0; i < 30; i++) {
    const person = await aPerson(db, {
      organisationId: one.organisation.id,
      teamId: crowd.id,
      name: `Crowd ${String(i).padStart(2, "0")}`,
      startDate: "2026-01-05",
      password: null,
    });
    if (i === 0) firstOfCrowd = person;
    crowdPeople.push(person);
  }
  server = await startTestServer(database, { now: () => NOW });
  hr = new HttpClient(server.url);
  await hr.signIn(one.hr.email, TEST_PASSWORD);
});
afterAll(() => server?.close());

const auditEntries = (action: string, subjectId: string) =>
  db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.subjectId, subjectId)));

describe("the HR report over HTTP", () => {
  it("lists the council's people and requirements with totals, each name opening their evidence", async () => {
    const response = await hr.get("/hr/report");
    expect(response.status).toBe(200);
    const html = await response.text();
    const text = pageText(html);
    // 34 people (staff, champion, HR, admin and the crowd), each with the module and the code of conduct.
    expect(text).toContain("Totals: 34 people, 68 requirements");
    expect(text).toContain("People and requirements 1 to 50 of 68");
    // Ordered by team, then name: the Crowd team comes first.
    expect(html).toMatch(
      new RegExp(
        `<th scope="row" class="govuk-table__header"><a[^>]*href="/hr/people/${firstOfCrowd.id}">Crowd 00</a>`,
      ),
    );
    expect(text).not.toContain(two.staff.name);
    expect(text).toContain("Download as CSV");
  });

  it("filters by team and status from the query string, keeps the choices in the form, and links the same selection's downloads", async () => {
    const query = `team=${one.teamB.id}&status=complete`;
    const html = await (await hr.get(`/hr/report?${query}`)).text();
    const text = pageText(html);
    expect(text).toContain("Totals: 1 person, 2 requirements");
    expect(text).toContain(one.staff.name);
    expect(html).toMatch(new RegExp(`<option value="${one.teamB.id}" selected=""`));
    expect(html).toMatch(/checked="" value="complete"/);
    const encoded = `team=${one.teamB.id}&amp;status=complete`;
    expect(html).toContain(`href="/hr/export?format=csv&amp;${encoded}"`);
    expect(html).toContain(`href="/hr/export?format=xlsx&amp;${encoded}"`);
    expect(html).toContain(`href="/hr/export?format=xapi&amp;${encoded}"`);
    expect(html).toContain(`href="/hr/evidence-pack?${encoded}"`);
    expect(text).toMatch(/Download as Excel spreadsheet \(XLSX\).*Download as xAPI statements.*evidence pack \(ZIP/);
  });

  it("reads a date from the date input's day, month and year, and shows them again", async () => {
    const html = await (await hr.get(`/hr/report?team=${one.teamA.id}&asAt-day=31&asAt-month=3&asAt-year=2026`)).text();
    expect(pageText(html)).toContain("As at the end of 31 March 2026.");
    expect(html).toMatch(/id="asAt" name="asAt-day"[^>]*value="31"/);
    expect(html).toMatch(/id="asAt-month" name="asAt-month"[^>]*value="3"/);
    expect(html).toMatch(/id="asAt-year" name="asAt-year"[^>]*value="2026"/);
    // The export links carry the same day as one value.
    expect(html).toContain("asAt=2026-03-31");
  });

  it("answers as at a past date, saying so, with movers counted in the team they were in then", async () => {
    const before = await (await hr.get(`/hr/report?team=${one.teamA.id}&asAt=2026-03-31`)).text();
    expect(pageText(before)).toContain("As at the end of 31 March 2026.");
    expect(pageText(before)).toContain(one.staff.name);
    const now = pageText(await (await hr.get(`/hr/report?team=${one.teamA.id}`)).text());
    expect(now).not.toContain(one.staff.name);
    expect(now).not.toContain("As at the end of");
    // Signed on 10 April: not complete as at 31 March, complete now.
    expect(pageText(await (await hr.get(`/hr/report?status=complete&asAt=2026-03-31`)).text())).not.toContain(
      signed.reference,
    );
    expect(pageText(await (await hr.get(`/hr/report?status=complete`)).text())).toContain(signed.reference);
  });

  it("refuses bad filters with a message for each in the error summary, status 400 and no data", async () => {
    const response = await hr.get(
      "/hr/report?team=nope&status=lost&completedFrom-day=1&completedFrom-month=&completedFrom-year=2026&completedTo-day=31&completedTo-month=2&completedTo-year=2026&asAt-day=1&asAt-month=1&asAt-year=2030",
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    const text = pageText(html);
    expect(text).toContain("There is a problem");
    expect(text).toContain("Choose a value from the list");
    expect(text).toContain("Choose a status from the list");
    expect(text).toContain("The first day must include a month");
    expect(text).toContain("The last day must be a real date");
    expect(text).toContain("The date must be today or in the past");
    for (const field of ["team", "status", "completedFrom", "completedTo", "asAt"])
      expect(html).toContain(`href="#${field}"`);
    expect(text).not.toContain("Totals:");
    expect(text).not.toContain(one.staff.name);
    const nonsense = await hr.get("/hr/report?asAt=yesterday");
    expect(nonsense.status).toBe(400);
    expect(pageText(await nonsense.text())).toContain("The date must be a real date");
    // A team of another council is refused on its own, too.
    const otherTeam = await hr.get(`/hr/report?team=${two.teamA.id}`);
    expect(otherTeam.status).toBe(400);
    expect(pageText(await otherTeam.text())).toContain("Choose a team from the list");
    const backwards = pageText(
      await (await hr.get("/hr/report?completedFrom=2026-05-01&completedTo=2026-04-01")).text(),
    );
    expect(backwards).toContain("The last day must be the same as or after the first day");
  });

  it("pages through the rows with the filters kept in every page link", async () => {
    const first = await (await hr.get("/hr/report?status=overdue&status=due_soon&status=not_started")).text();
    expect(pageText(first)).toContain("People and requirements 1 to 50 of 66");
    expect(first).toContain('href="/hr/report?page=2&amp;status=overdue&amp;status=due_soon&amp;status=not_started"');
    expect(first).toMatch(/aria-current="page"[^>]*>1</);
    const second = await (await hr.get("/hr/report?page=2&status=overdue&status=due_soon&status=not_started")).text();
    expect(pageText(second)).toContain("People and requirements 51 to 66 of 66");
    expect(pageText(second)).toContain("Previous page");
    expect(pageText(second)).not.toContain("Next page");
    const beyond = pageText(await (await hr.get("/hr/report?page=9")).text());
    expect(beyond).toContain("There are no rows on this page.");
    const nonsense = await hr.get("/hr/report?page=abc");
    expect(nonsense.status).toBe(400);
    expect(pageText(await nonsense.text())).toContain("There is no such page of the report");
  });

  it("words each row's status and evidence as the CSV export words the same row", async () => {
    const hrUser = asCurrentUser(one.hr, one.organisation);
    const request = { ip: null, requestId: null, userAgent: null, now: new Date("2026-04-30T10:00:00Z") };
    const [moduleRequirement] = await db
      .select({ id: requirements.id })
      .from(requirements)
      .where(and(eq(requirements.organisationId, one.organisation.id), eq(requirements.kind, "module")));
    const earlier = await recordEarlierTraining(
      db,
      hrUser,
      crowdPeople[1].id,
      {
        requirementId: moduleRequirement.id,
        completedOn: "2026-04-01",
        description: "Classroom",
        file: { name: "c.pdf", bytes: new TextEncoder().encode("%PDF-1.4\n%%EOF\n") },
      },
      request,
    );
    expect(earlier.ok).toBe(true);
    const exempt = await recordExemption(
      db,
      hrUser,
      crowdPeople[2].id,
      exemptionSchema.parse({ requirementId: "all", reason: "secondment", startsOn: "2026-04-01", approvedBy: "Head" }),
      request,
    );
    expect(exempt.ok).toBe(true);

    const onPage = new Map<string, { status: string; evidence: string }>();
    for (const page of [1, 2]) {
      const html = await (await hr.get(`/hr/report?page=${page}`)).text();
      const table = html.slice(
        html.indexOf('id="report-rows"'),
        html.indexOf("</table>", html.indexOf('id="report-rows"')),
      );
      for (const [, row] of table.matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)) {
        const cells = [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map(([, cell]) => pageText(cell));
        if (row.includes('scope="col"')) continue;
        const [name, , requirement, status, , , , evidence] = cells;
        onPage.set(`${name.split(" ").at(-1)}|${requirement}`, { status, evidence });
      }
    }
    const [header, ...records] = parseCsv(
      Buffer.from(await (await hr.get("/hr/export?format=csv")).arrayBuffer())
        .subarray(3)
        .toString("utf8"),
    );
    const column = (name: string) => header.indexOf(name);
    expect(records).toHaveLength(68);
    expect(onPage.size).toBe(68);
    for (const record of records) {
      const page = onPage.get(`${record[column("Employee number")]}|${record[column("Requirement")]}`);
      const [status, evidence] = [record[column("Status")], record[column("Evidence")]];
      const reference = record[column("Attestation reference")];
      expect(page?.status.startsWith(status)).toBe(true);
      expect(page?.evidence).toBe(
        evidence === ""
          ? "None"
          : reference
            ? `${evidence} ${reference} (version ${record[column("Policy version signed")]})`
            : evidence,
      );
    }
    expect(new Set(records.map((r) => r[column("Evidence")]))).toEqual(
      new Set([EVIDENCE_LABELS.signature, EVIDENCE_LABELS.pass, EVIDENCE_LABELS.earlier, ""]),
    );
    expect(records.filter((r) => r[column("Status")] === "Exempt")).toHaveLength(2);
    expect(onPage.get(`${crowdPeople[2].employeeNumber}|${records[0][column("Requirement")]}`)?.status).toMatch(
      /^Exempt \(secondment\)/,
    );
  });
});

describe("a person's evidence over HTTP", () => {
  it("shows HR every attempt and answer, every record with its verification and the chain head, and every nudge, and audits the viewing", async () => {
    const before = (await auditEntries("evidence.viewed", one.staff.id)).length;
    const response = await hr.get(`/hr/people/${one.staff.id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toContain("no-store");
    const text = pageText(await response.text());
    expect(text).toContain("Produced on 1 May 2026 at 13:00 (UK time)");
    expect(text).toMatch(/What do you do in 1\.[12]\? Answer a Yes/);
    expect(text).toContain(`Signature ${signed.reference} Verified`);
    expect(text).toContain(signed.hash);
    expect(text).toContain("Ledger chain head when this page was produced");
    expect(text).toContain("Please sign this week.");
    const entries = await auditEntries("evidence.viewed", one.staff.id);
    expect(entries).toHaveLength(before + 1);
    expect(entries.at(-1)).toMatchObject({
      actorUserId: one.hr.id,
      organisationId: one.organisation.id,
      subjectType: "user",
    });
  });

  it("downloads the tagged PDF evidence pack, and audits the download", async () => {
    const response = await hr.get(`/hr/people/${one.staff.id}/evidence.pdf`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="evidence-${one.staff.employeeNumber}-2026-05-01.pdf"`,
    );
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.toString("latin1")).toContain("/StructTreeRoot");
    expect(pdf.toString("latin1")).toMatch(/\/Marked true/);
    expect(pdfText(pdf)).toContain(signed.reference);
    expect(await auditEntries("evidence.downloaded", one.staff.id)).toHaveLength(1);
  });

  it("answers 404 to HR of another council, and writes no audit entry for it", async () => {
    const other = new HttpClient(server.url);
    await other.signIn(two.hr.email, TEST_PASSWORD);
    const viewedBefore = (await auditEntries("evidence.viewed", one.staff.id)).length;
    expect((await other.get(`/hr/people/${one.staff.id}`)).status).toBe(404);
    expect((await other.get(`/hr/people/${one.staff.id}/evidence.pdf`)).status).toBe(404);
    expect(await auditEntries("evidence.viewed", one.staff.id)).toHaveLength(viewedBefore);
    expect(await auditEntries("evidence.downloaded", one.staff.id)).toHaveLength(1);
  });
});
