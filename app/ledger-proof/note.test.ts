import { describe, expect, it } from "vitest";
import {
  generateNoteKey,
  noteKeyHash,
  noteSigner,
  noteVerifier,
  openNote,
  readSignerKey,
  readVerifierKey,
  signNote,
} from "./note";
import go from "./testdata/golang-sumdb-note.json";

describe("C2SP signed notes: Go's golang.org/x/mod/sumdb/note known answers", () => {
  it("derives the example verifier key and key id from the example signer key", async () => {
    const signer = await noteSigner(go.signerKey);
    expect(signer.verifierKey).toBe(go.verifierKey);
    expect(await noteKeyHash("PeterNeumann", signer.publicKey)).toBe("c74f20a3");
  });

  it("signs the example text into exactly the example signed note (Ed25519 is deterministic)", async () => {
    expect(await signNote(go.text, [await noteSigner(go.signerKey)])).toBe(go.signedNote);
  });

  it("opens the example note, and the C2SP spec's example, with their verifier keys", async () => {
    const opened = await openNote(go.signedNote, [await noteVerifier(go.verifierKey)]);
    expect(opened.text).toBe(go.text);
    expect(opened.verified).toEqual([{ name: "PeterNeumann", keyHash: "c74f20a3", base64: expect.any(String) }]);
    const spec = await openNote(go.c2spExample.signedNote, [await noteVerifier(go.c2spExample.verifierKey)]);
    expect(spec.text).toBe("This is an example message.\n");
  });

  it("ignores a signature of an unknown key, and needs one from a known key", async () => {
    const both = go.signedNote + go.otherSignatureLine;
    const opened = await openNote(both, [await noteVerifier(go.verifierKey)]);
    expect(opened.verified.map((s) => s.name)).toEqual(["PeterNeumann"]);
    expect(opened.unverified.map((s) => `${s.name}+${s.keyHash}`)).toEqual(["EnochRoot+af0cfe78"]);
    const enoch = await openNote(both, [await noteVerifier(go.otherVerifierKey)]);
    expect(enoch.verified.map((s) => s.name)).toEqual(["EnochRoot"]);
    await expect(openNote(go.signedNote, [await noteVerifier(go.otherVerifierKey)])).rejects.toThrow(
      /no signature on the note is from a known key/,
    );
  });

  it("rejects a changed text, a changed signature, and malformed notes", async () => {
    const peter = [await noteVerifier(go.verifierKey)];
    await expect(openNote(go.signedNote.replace("problem,", "problem;"), peter)).rejects.toThrow(/does not hold/);
    await expect(openNote(go.signedNote.replace("x08go", "x08gp"), peter)).rejects.toThrow();
    await expect(openNote(go.signedNote.replace("\n\n", "\n"), peter)).rejects.toThrow(/blank line/);
    await expect(openNote(go.signedNote.slice(0, -1), peter)).rejects.toThrow(/newline/);
    await expect(openNote(go.signedNote.replace("If", "If\t"), peter)).rejects.toThrow(/control character/);
    await expect(openNote(go.signedNote.replace("\u2014", "-"), peter)).rejects.toThrow(/signature line/);
    await expect(openNote(new Uint8Array([0xff, 0x0a, 0x0a]), peter)).rejects.toThrow(/UTF-8/);
  });

  it("refuses Go's bad verifier keys and a key whose id does not match", async () => {
    for (const bad of go.badKeys) await expect(noteVerifier(bad)).rejects.toThrow();
    await expect(noteVerifier(go.verifierKey.replace("c74f20a3", "c74f20a4"))).rejects.toThrow(/does not match/);
    expect(readVerifierKey("PeterNeumann+c74f20a3")).toBeNull();
    expect(readVerifierKey("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")).toBeNull();
    expect(readSignerKey(go.verifierKey)).toBeNull();
    expect(readSignerKey(go.signerKey)?.name).toBe("PeterNeumann");
  });

  it("generates keys that sign and verify", async () => {
    const { signerKey, verifierKey } = await generateNoteKey("example.gov.uk/ledger/test");
    const signed = await signNote("hello\n", [await noteSigner(signerKey)]);
    expect((await openNote(signed, [await noteVerifier(verifierKey)])).text).toBe("hello\n");
    await expect(generateNoteKey("two words")).rejects.toThrow();
  });
});
