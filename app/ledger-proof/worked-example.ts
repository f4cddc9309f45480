import { canonicalJson } from "../lib/canonical-json";
import { toBase64, toHex, utf8 } from "./bytes";
import { formatCheckpoint, signCheckpoint } from "./checkpoint";
import { consistencyProof, inclusionProof, inMemoryTree, leafHash, rootHash } from "./merkle";
import { noteSigner } from "./note";
import { recordBody, recordHash, readRecord } from "./record";
import { formatReceipt } from "./receipt";
import { formatTlogProof } from "./tlog-proof";

/**
 * The worked example of docs/ledger-proofs.md, built from nothing but the committed TEST key
 * (testdata/worked-example-test-key.txt): five format 2 records of one council (the fifth withdraws the second), their
 * tree, proofs, checkpoints and receipts. Everything is deterministic (Ed25519 signatures are), so a test holds the
 * output equal to testdata/worked-example.json and to the page.
 */

export const EXAMPLE_ORIGIN = "conduct.example.invalid/ledger/example-council";
const ORGANISATION = "6f1c2a4e-8b3d-4c5a-9e7f-0a1b2c3d4e5f";
const POLICY = "d2c4e6f8-0a1b-4c3d-8e5f-6a7b8c9d0e1f";
const POLICY_SHA = "9f2b5c8e1d4a7f0c3b6e9d2a5f8c1b4e7d0a3f6c9b2e5d8a1f4c7b0e3d6a9f2c";
const HR = "5e0c7a1b-3d9f-4b2e-8c6a-1f4d7b0e9a3c";

const PEOPLE = [
  [
    "0b7e5f3a-1c2d-4e8f-9a6b-5c4d3e2f1a0b",
    "Zoë O’Brien",
    "E10442",
    "ATT-7K2M-9QXD",
    "c81f0a2d-4e6b-4c9d-8a1f-3b5e7d9c0a2f",
  ],
  [
    "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "Amir Haddad",
    "E10517",
    "ATT-3HQP-8WZR",
    "3a9c1e7b-5d2f-4b8a-9c6e-1f0d2b4a6c8e",
  ],
  [
    "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    "Grace Mensah",
    "E10603",
    "ATT-9TFN-2KLM",
    "4b0d2f8c-6e3a-4c9b-8d7f-2a1e3c5b7d9f",
  ],
  [
    "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f",
    "Owen Price",
    "E10688",
    "ATT-5VXC-7JDS",
    "5c1e3a9d-7f4b-4d0c-9e8a-3b2f4d6c8e0a",
  ],
] as const;

const DECLARATION = "I have read and understood this code of conduct.\nI will follow it.";

export type WorkedExample = {
  origin: string;
  verifierKey: string;
  records: string[];
  hashes: string[];
  bodies: string[];
  leafHashes: string[];
  root3: string;
  root5: string;
  checkpoint3: string;
  checkpoint5: string;
  inclusionProof: { index: number; size: number; proof: string[] };
  consistencyProof: { first: number; second: number; proof: string[] };
  tlogProof: string;
  receipt: string;
  receiptWithWithdrawal: string;
};

export async function buildWorkedExample(signerKeyText: string): Promise<WorkedExample> {
  const signer = await noteSigner(signerKeyText);
  const keyId = `${signer.name}+${signer.keyHash}`;
  const records: string[] = [];
  let previousHash = "0".repeat(64);
  const append = async (fields: Record<string, unknown>) => {
    const seq = records.length + 1;
    const unsigned = { ...fields, v: 2, organisationId: ORGANISATION, seq, keyId, previousHash, bodySignature: "" };
    const body = recordBody(unsigned as never);
    const bodySignature = toBase64(await signer.sign(utf8(body)));
    const text = canonicalJson({ ...unsigned, bodySignature });
    readRecord(text);
    records.push(text);
    previousHash = await recordHash(text);
  };
  for (const [i, [userId, name, number, reference, attempt]] of PEOPLE.entries())
    await append({
      reference,
      kind: "signed",
      userId,
      policyVersionId: POLICY,
      policySha256: POLICY_SHA,
      declarationText: DECLARATION,
      typedName: name.toLowerCase(),
      recordedAt: `2026-06-01T09:0${i}:00.000Z`,
      ip: `192.0.2.${10 + i}`,
      userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
      qualifyingAttemptIds: [attempt],
      subjectReference: null,
      actorUserId: userId,
      reason: null,
      signerName: name,
      signerEmployeeNumber: number,
      reauthMethod: "password",
      witnessUserId: null,
      witnessReauthMethod: null,
      codeIssuerUserId: null,
      earlierTrainingIds: [],
    });
  await append({
    reference: "ATT-4GHB-6YTE",
    kind: "withdrawn",
    userId: PEOPLE[1][0],
    policyVersionId: POLICY,
    policySha256: POLICY_SHA,
    declarationText: null,
    typedName: null,
    recordedAt: "2026-06-02T14:30:00.000Z",
    ip: "192.0.2.50",
    userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
    qualifyingAttemptIds: [],
    subjectReference: PEOPLE[1][3],
    actorUserId: HR,
    reason: "Signed on behalf of the wrong person",
    signerName: null,
    signerEmployeeNumber: null,
    reauthMethod: null,
    witnessUserId: null,
    witnessReauthMethod: null,
    codeIssuerUserId: null,
    earlierTrainingIds: [],
  });

  const leaves = await Promise.all(records.map((r) => leafHash(utf8(r))));
  const tree = inMemoryTree(leaves);
  const root3 = await rootHash(3, tree);
  const root5 = await rootHash(5, tree);
  const checkpoint3 = await signCheckpoint({ origin: EXAMPLE_ORIGIN, size: 3, rootHash: root3, extensions: [] }, [
    signer,
  ]);
  const checkpoint5 = await signCheckpoint(formatCheckpoint({ origin: EXAMPLE_ORIGIN, size: 5, rootHash: root5 }), [
    signer,
  ]);
  const proofOf = async (index: number) => ({
    index,
    proof: await inclusionProof(index, 5, tree),
    checkpoint: checkpoint5,
  });
  const proof2 = await proofOf(2);
  return {
    origin: EXAMPLE_ORIGIN,
    verifierKey: signer.verifierKey,
    records,
    hashes: await Promise.all(records.map(recordHash)),
    bodies: records.map((r) => recordBody(readRecord(r))),
    leafHashes: leaves.map(toHex),
    root3: toBase64(root3),
    root5: toBase64(root5),
    checkpoint3,
    checkpoint5,
    inclusionProof: { index: 2, size: 5, proof: proof2.proof.map(toBase64) },
    consistencyProof: { first: 3, second: 5, proof: (await consistencyProof(3, 5, tree)).map(toBase64) },
    tlogProof: formatTlogProof(proof2),
    receipt: await formatReceipt({ record: records[2], proof: proof2 }),
    receiptWithWithdrawal: await formatReceipt(
      { record: records[1], proof: await proofOf(1) },
      { record: records[4], proof: await proofOf(4) },
    ),
  };
}
