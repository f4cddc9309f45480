/**
 * Turns a council's policy text into blocks for readable HTML: headings, paragraphs and lists, with
 * bold, italics and links kept as text. It only reshapes what is there; it never rewords.
 */
export type Inline = { text: string; strong?: boolean; em?: boolean };
export type Block =
  | { type: "heading"; level: 2 | 3; id: string; inlines: Inline[] }
  | { type: "paragraph"; inlines: Inline[] }
  | { type: "list"; ordered: boolean; items: ListItem[] };
export type ListItem = { inlines: Inline[]; children: Inline[][] };

const BULLET = /^\s*(?:[-•*])\s+/;
const NUMBERED = /^\s*\d+\.\s+/;
const SECTION_HEADING = /^(\d+(?:\.\d+)*)\.?\s+(\S.*)$/;

function unescape(text: string): string {
  return text.replace(/\\([()[\]\\*_])/g, "$1");
}

/** Bold (**…**), italics (*…* or _…_) and links ([text](url) → text); everything else as written. */
export function parseInline(source: string): Inline[] {
  const withoutLinks = source.replace(/\[((?:\\.|[^\]\\])*)\]\((?:[^)\\]|\\.)*\)/g, "$1");
  const parts: Inline[] = [];
  const pattern = /\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])/g;
  let last = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(withoutLinks))) {
    if (match.index > last) parts.push({ text: unescape(withoutLinks.slice(last, match.index)) });
    if (match[1] !== undefined) parts.push({ text: unescape(match[1]), strong: true });
    else parts.push({ text: unescape(match[2]), em: true });
    last = match.index + match[0].length;
  }
  if (last < withoutLinks.length) parts.push({ text: unescape(withoutLinks.slice(last)) });
  return parts.filter((p) => p.text.length > 0);
}

function looksLikeHeading(line: string): boolean {
  const text = line.trim();
  if (text.length === 0 || text.length > 110 || /[.;:,?!]$/.test(text) || text.includes("**") || BULLET.test(text))
    return false;
  if (/www\.|:\/\//.test(text)) return false;
  if (SECTION_HEADING.test(text)) return true;
  return /^[A-Z]/.test(text) && text.length <= 80 && text !== text.toUpperCase();
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60);
}

export function policyBlocks(body: string): Block[] {
  const blocks: Block[] = [];
  const used = new Set<string>();
  const groups = body.replace(/\r\n?/g, "\n").split(/\n\s*\n/);
  for (const group of groups) {
    const lines = group.split("\n").filter((l) => l.trim().length > 0);
    if (lines.length === 0) continue;
    if (lines.length === 1 && looksLikeHeading(lines[0])) {
      const text = lines[0].trim();
      const section = SECTION_HEADING.exec(text)?.[1];
      let id = `section-${section ? section.replace(/\./g, "-") : slug(text)}`;
      while (used.has(id)) id += "-x";
      used.add(id);
      blocks.push({ type: "heading", level: section && section.includes(".") ? 3 : 2, id, inlines: parseInline(text) });
      continue;
    }
    let list: Extract<Block, { type: "list" }> | null = null;
    for (const line of lines) {
      const bullet = BULLET.test(line);
      const numbered = !bullet && NUMBERED.test(line) && lines.filter((l) => NUMBERED.test(l)).length > 1;
      if (bullet || numbered) {
        const ordered = numbered;
        const inlines = parseInline(line.replace(bullet ? BULLET : NUMBERED, ""));
        // An indented bullet under a numbered item belongs to that item, as a list of its own.
        if (bullet && list?.ordered && /^\s+/.test(line) && list.items.length > 0) {
          list.items[list.items.length - 1].children.push(inlines);
          continue;
        }
        if (!list || list.ordered !== ordered) {
          list = { type: "list", ordered, items: [] };
          blocks.push(list);
        }
        list.items.push({ inlines, children: [] });
      } else {
        list = null;
        blocks.push({ type: "paragraph", inlines: parseInline(line.trim()) });
      }
    }
  }
  return blocks;
}
