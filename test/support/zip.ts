import { createHash } from "node:crypto";
import yauzl from "yauzl";

/** Every file of a ZIP, read back with yauzl (which checks each entry's CRC-32). */
export function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error || !file) return reject(error);
      const files = new Map<string, Buffer>();
      file.on("entry", (entry: yauzl.Entry) => {
        file.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const parts: Buffer[] = [];
          stream.on("data", (c: Buffer) => parts.push(c));
          stream.on("end", () => {
            files.set(entry.fileName, Buffer.concat(parts));
            file.readEntry();
          });
        });
      });
      file.on("end", () => resolve(files));
      file.on("error", reject);
      file.readEntry();
    });
  });
}

/** An evidence pack read back whole: every file its manifest lists is there with the listed sha256. */
export async function verifiedEvidencePack(zip: Buffer) {
  const files = await unzip(zip);
  const manifest = JSON.parse(files.get("manifest.json")?.toString("utf8") ?? "null") as {
    files: { path: string; sha256: string }[];
  } | null;
  if (!manifest) throw new Error("The pack has no manifest.json");
  for (const listed of manifest.files) {
    const bytes = files.get(listed.path);
    if (!bytes) throw new Error(`The pack lacks ${listed.path}`);
    if (createHash("sha256").update(bytes).digest("hex") !== listed.sha256)
      throw new Error(`${listed.path} does not match its sha256 in the manifest`);
  }
  return { files, manifest };
}
