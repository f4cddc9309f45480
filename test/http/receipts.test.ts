import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCheckpointer, type Checkpointer } from "~/attestation/checkpointer.server";
import { checkpointLedger, latestCheckpoint } from "~/attestation/checkpoints.server";
import { receiptFor } from "~/attestation/receipts.server";
import { noteVerifierOf, serviceKeys } from "~/attestation/service-key.server";
import { fromBase64 } from "~/ledger-proof/bytes";
import { openCheckpoint } from "~/ledger-proof/checkpoint";
import { verifyConsistency } from "~/ledger-proof/merkle";
import { parseTrustedKeys, verifyReceipt } from "~/ledger-proof/receipt";
import { and, eq } from "drizzle-orm";
import { ledgerCheckpoints, type attestations } from "~db/schema";
import { freshDatabase } from "../support/database";
import { aCouncil, aPolicyVersion, aSignature, TEST_PASSWORD } from "../support/factories";
import { HttpClient, pageText } from "../support/http";
import { startTestServer, type TestServer } from "../support/server";

/** A record's receipt as its signer downloads it, checked by the verifier module and by the offline script. */
const database = await freshDatabase();
const db = database.db;
let server: TestServer;
let checkpointer: Checkpointer;
let council: Awaited<ReturnType<typeof aCouncil>>;
let record: typeof attestations.$inferSelect;
let staff: HttpClient;
const folder = mkdtempSync(join(tmpdir(), "receipts-"));

beforeAll(async () => {
  council = await aCouncil(db);
  const version = await aPolicyVersion(db, council.organisation.id);
  await aSignature(db, council.champion, version, new Date("2026-02-01T09:00:00Z"));
  record = await aSignature(db, council.staff, version, new Date("2026-02-01T10:00:00Z"));
  await aSignature(db, council.hr, version, new Date("2026-02-01T11:00:00Z"));
  // Fired only by flush here, never by its clock.
  checkpointer = startCheckpointer(db, { log: () => {}, delayMs: 3_600_000, intervalMs: 3_600_000 });
  server = await startTestServer(database, { checkpointer });
  staff = new HttpClient(server.url);
  await staff.signIn(council.staff.email, TEST_PASSWORD);
});
afterAll(async () => {
  await server?.close();
  await checkpointer?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const origin = () => `ledger-test-key.invalid/ledger/${council.organisation.slug}`;

async function verified(receipt: string) {
  return verifyReceipt(receipt, await parseTrustedKeys(serviceKeys().signer.verifierKey), { origin: origin() });
}

/** scripts/verify-receipt.mjs, as a person runs it on the downloaded file and the council's published key. */
function offlineScript(receipt: string) {
  const file = join(folder, `receipt-${Math.random()}.json`);
  writeFileSync(file, receipt);
  const result = spawnSync(
    process.execPath,
    [resolve("scripts/verify-receipt.mjs"), file, serviceKeys().signer.verifierKey, "--origin", origin()],
    { encoding: "utf8" },
  );
  return { status: result.status, stdout: result.stdout };
}

describe("a record's receipt", () => {
  it("is promised on the record page until a checkpoint covers the record, and not served before", async () => {
    const text = pageText(await (await staff.get(`/records/${record.reference}`)).text());
    expect(text).toContain("will be ready within a minute");
    expect(text).not.toContain("Download the receipt");
    expect((await staff.get(`/records/${record.reference}/receipt.json`)).status).toBe(404);
    expect(await receiptFor(db, record.reference)).toBeNull();
  });

  it("is offered once a checkpoint covers it, and verifies with the module and the offline script", async () => {
    expect(await checkpointLedger(db, council.organisation.id)).toMatchObject({ status: "checkpointed", size: 3 });
    const text = pageText(await (await staff.get(`/records/${record.reference}`)).text());
    expect(text).toContain("Download the receipt");
    const response = await staff.get(`/records/${record.reference}/receipt.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="receipt-${record.reference}.json"`);
    const receipt = await response.text();
    expect(JSON.parse(receipt)).toMatchObject({ format: "ledger-receipt@v1", hash: record.hash });
    const verdict = await verified(receipt);
    expect(verdict).toMatchObject({ valid: true, withdrawalShown: false, withdrawal: null });
    expect(verdict.record).toMatchObject({ leafIndex: 1, checkpoint: { origin: origin(), size: 3 } });
    const offline = offlineScript(receipt);
    expect(offline.status).toBe(0);
    expect(offline.stdout).toMatch(new RegExp(`^Record ${record.reference} is genuine\\n`));
  });

  it("carries the withdrawal once a checkpoint covers it, the checkpoint asked for by the withdrawal itself", async () => {
    const hr = new HttpClient(server.url);
    await hr.signIn(council.hr.email, TEST_PASSWORD);
    expect((await hr.post("/hr/withdraw", { reference: record.reference, reason: "Signed by mistake." })).status).toBe(
      200,
    );
    // Until the checkpoint, the receipt is the one before the withdrawal.
    expect((await verified(await (await hr.get(`/records/${record.reference}/receipt.json`)).text())).withdrawal).toBe(
      null,
    );
    await checkpointer.flush();
    const receipt = await (await hr.get(`/records/${record.reference}/receipt.json`)).text();
    const verdict = await verified(receipt);
    expect(verdict).toMatchObject({ valid: true, withdrawalShown: true });
    expect(verdict.withdrawal?.record).toMatchObject({
      kind: "withdrawn",
      subjectReference: record.reference,
      reason: "Signed by mistake.",
    });
    expect(verdict.record?.checkpoint?.size).toBe(4);
    const offline = offlineScript(receipt);
    expect(offline.status).toBe(0);
    expect(offline.stdout).toMatch(
      new RegExp(`^Record ${record.reference} is genuine, and this receipt shows it was withdrawn\\n`),
    );
  });

  it("is for the signer, HR and admins of the council only: everyone else gets 404", async () => {
    const other = await aCouncil(db);
    const asked = async (email: string) => {
      const client = new HttpClient(server.url);
      await client.signIn(email, TEST_PASSWORD);
      return (await client.get(`/records/${record.reference}/receipt.json`)).status;
    };
    expect(await asked(council.admin.email)).toBe(200);
    expect(await asked(council.champion.email)).toBe(404);
    expect(await asked(other.hr.email)).toBe(404);
    expect(await asked(other.admin.email)).toBe(404);
    expect((await new HttpClient(server.url).get(`/records/${record.reference}/receipt.json`)).status).toBe(302);
  });
});

describe("the council's checkpoints and consistency proofs", () => {
  it("serve the latest checkpoint to whoever holds a record's reference and hash, and a proof it extends an earlier one", async () => {
    const anonymous = new HttpClient(server.url);
    const holder = `reference=${record.reference.toLowerCase()}&hash=${record.hash.toUpperCase()}`;
    const response = await anonymous.get(`/ledger/checkpoint?${holder}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const verifiers = serviceKeys().verifiers.map(noteVerifierOf);
    const latest = (await openCheckpoint(await response.text(), verifiers)).checkpoint;
    expect(latest).toMatchObject({ origin: origin(), size: 4 });
    expect(
      (await anonymous.get(`/ledger/checkpoint?reference=${record.reference}&hash=${"0".repeat(64)}`)).status,
    ).toBe(404);

    // The checkpoint of 3 records, signed before the withdrawal: the tree of 4 extends it.
    const [earlier] = await db
      .select()
      .from(ledgerCheckpoints)
      .where(and(eq(ledgerCheckpoints.organisationId, council.organisation.id), eq(ledgerCheckpoints.treeSize, 3)));
    const first = (await openCheckpoint(earlier.signedNote, verifiers)).checkpoint;
    const proofText = await (await anonymous.get(`/ledger/consistency?${holder}&from=3&to=4`)).text();
    const proof = proofText
      .trimEnd()
      .split("\n")
      .map((line) => fromBase64(line)!);
    await expect(verifyConsistency(3, 4, first.rootHash, latest.rootHash, proof)).resolves.toBeUndefined();
    expect(await (await anonymous.get(`/ledger/consistency?${holder}&from=3`)).text()).toBe(proofText);
    const tooFar = await anonymous.get(`/ledger/consistency?${holder}&from=3&to=5`);
    expect(tooFar.status).toBe(400);
    expect(await tooFar.text()).toContain("the latest checkpoint's size");
    expect((await anonymous.get(`/ledger/consistency?${holder}&from=0`)).status).toBe(404);
  });

  it("are shown to HR with the keys that check them, and to no one else", async () => {
    const hr = new HttpClient(server.url);
    await hr.signIn(council.hr.email, TEST_PASSWORD);
    const text = pageText(await (await hr.get("/hr/ledger")).text());
    const latest = await latestCheckpoint(db, council.organisation.id);
    expect(text).toContain(`Records covered 4`);
    expect(text).toContain(latest!.signedNote.split("\n")[2]);
    expect(text).toContain(serviceKeys().signer.verifierKey);
    expect((await staff.get("/hr/ledger")).status).toBe(404);
  });
});
