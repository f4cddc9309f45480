import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "~/lib/canonical-json";
import {
  bodyFields,
  canonicalBody,
  canonicalRecord,
  hashedFields,
  rowCheck,
  type AttestationRow,
} from "./ledger.server";
import { checkBodySignature, parseVerifierKeys } from "./service-key.server";

// docs/ledger.md's worked example, read from the page itself: if the code or the page changes, this fails.
const page = readFileSync(resolve(import.meta.dirname, "../../docs/ledger.md"), "utf8");
const vector = (name: string): string => {
  const match = new RegExp("```\\w+ test-vector:" + name + "\\n([^]*?)\\n```").exec(page);
  if (!match) throw new Error(`docs/ledger.md has no test-vector:${name} block`);
  return match[1];
};

const camel = (column: string) => column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The row as drizzle reads it, built from the page's columns by the page's own column-to-field rule. */
function rowFromColumns(columns: Record<string, unknown>): AttestationRow {
  const row = Object.fromEntries(Object.entries(columns).map(([column, value]) => [camel(column), value]));
  // "2026-06-01 10:00:00.123+01", as PostgreSQL prints a timestamptz, is one instant.
  row.recordedAt = new Date(
    String(columns.recorded_at)
      .replace(" ", "T")
      .replace(/([+-]\d{2})$/, "$1:00"),
  );
  return { id: 1, ...row } as AttestationRow;
}

describe("docs/ledger.md's worked example (format version 2)", () => {
  const columns = JSON.parse(vector("columns")) as Record<string, unknown>;
  const row = rowFromColumns(columns);
  const verifierKey = vector("keys");

  it("names every column of the attestations table but id, and maps each to its field by the page's rule", async () => {
    const { attestations } = await import("~db/schema");
    const { getTableColumns } = await import("drizzle-orm");
    const tableColumns = Object.values(getTableColumns(attestations)).map((c) => c.name);
    expect(Object.keys(columns).sort()).toEqual(tableColumns.filter((c) => c !== "id").sort());
    const fieldNames = Object.keys(hashedFields(row)).sort();
    const mapped = Object.keys(columns)
      .filter((c) => c !== "hash")
      .map((c) => (c === "format_version" ? "v" : camel(c)))
      .sort();
    expect(mapped).toEqual(fieldNames);
  });

  it("gives the body on the page, whose body signature on the page the verifier key on the page checks", () => {
    expect(canonicalBody(row)).toBe(vector("body"));
    expect(canonicalJson(bodyFields(row))).toBe(vector("body"));
    expect(row.keyId).toBe(verifierKey.split("+").slice(0, 2).join("+"));
    expect(checkBodySignature({ verifiers: parseVerifierKeys(verifierKey) }, row, `${vector("body")} `)).toBe(
      "bad-signature",
    );
    expect(checkBodySignature({ verifiers: parseVerifierKeys(verifierKey) }, row, vector("body"))).toBe("valid");
  });

  it("gives the canonical JSON on the page, whose SHA-256 is the hash on the page", () => {
    expect(canonicalRecord(row)).toBe(vector("canonical"));
    expect(canonicalJson(hashedFields(row))).toBe(vector("canonical"));
    expect(createHash("sha256").update(vector("canonical"), "utf8").digest("hex")).toBe(columns.hash);
    expect(rowCheck(row, { verifiers: parseVerifierKeys(verifierKey) })).toBe("intact");
  });
});
