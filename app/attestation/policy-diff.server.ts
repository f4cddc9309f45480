import { diffLines, diffWords } from "diff";

export type DiffPart = { text: string; change: "added" | "removed" | null };
export type DiffRow =
  { kind: "context"; text: string } | { kind: "gap"; lines: number } | { kind: "change"; parts: DiffPart[] };

const CONTEXT = 1;

/**
 * What changed between the version a person signed and the one in force: changed lines with the words
 * inserted and deleted marked, one line of context either side, and long unchanged stretches folded.
 */
export function policyDiff(before: string, after: string): DiffRow[] {
  const rows: DiffRow[] = [];
  const chunks = diffLines(before.replace(/\r\n?/g, "\n"), after.replace(/\r\n?/g, "\n"));
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    if (!chunk.added && !chunk.removed) {
      const lines = chunk.value.split("\n").filter((l) => l.trim().length > 0);
      const head = i > 0 ? lines.slice(0, CONTEXT) : [];
      const tail = i < chunks.length - 1 ? lines.slice(Math.max(head.length, lines.length - CONTEXT)) : [];
      for (const text of head) rows.push({ kind: "context", text });
      const hidden = lines.length - head.length - tail.length;
      if (hidden > 0) rows.push({ kind: "gap", lines: hidden });
      for (const text of tail) rows.push({ kind: "context", text });
      continue;
    }
    const next = chunks[i + 1];
    if (chunk.removed && next?.added) {
      const parts = diffWords(chunk.value, next.value).map(
        (p) => ({ text: p.value, change: p.added ? "added" : p.removed ? "removed" : null }) as DiffPart,
      );
      rows.push({ kind: "change", parts });
      i++;
    } else {
      rows.push({ kind: "change", parts: [{ text: chunk.value, change: chunk.added ? "added" : "removed" }] });
    }
  }
  return rows;
}
