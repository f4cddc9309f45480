import { inflateSync } from "node:zlib";

/** Every content stream of a PDF, inflated when it is Flate-compressed (as pdfkit writes them). */
export function pdfStreams(pdf: Buffer): string[] {
  const streams: string[] = [];
  const raw = pdf.toString("latin1");
  const pattern = /<<([^]*?)>>\s*stream\r?\n/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(raw))) {
    const start = match.index + match[0].length;
    const end = raw.indexOf("endstream", start);
    const bytes = pdf.subarray(start, end);
    try {
      streams.push(
        match[1].includes("/FlateDecode") ? inflateSync(bytes).toString("latin1") : bytes.toString("latin1"),
      );
    } catch {
      // Not a content stream we can read (an image or a font): skip it.
    }
    pattern.lastIndex = end;
  }
  return streams;
}

/**
 * The text pdfkit drew with its standard fonts, in drawing order: each TJ array's hex strings decoded as
 * Windows-1252, lines joined by spaces. Enough to check what a pack says without a PDF library.
 */
export function pdfText(pdf: Buffer): string {
  const decoder = new TextDecoder("windows-1252");
  const lines: string[] = [];
  for (const stream of pdfStreams(pdf)) {
    for (const tj of stream.matchAll(/\[((?:<[0-9a-fA-F]*>|\s|-?\d+(?:\.\d+)?)*)\]\s*TJ/g)) {
      const parts = [...tj[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => decoder.decode(Buffer.from(h[1], "hex")));
      lines.push(parts.join(""));
    }
  }
  return lines.join(" ").replace(/\s+/g, " ");
}
