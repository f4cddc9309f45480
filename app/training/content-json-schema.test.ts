import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MODULE_JSON_SCHEMA_FILE, moduleJsonSchema } from "./content-json-schema";

describe("the JSON Schema of a module file", () => {
  it("is committed as the zod schema generates it (run npm run content:schema after changing the schema)", () => {
    expect(readFileSync(MODULE_JSON_SCHEMA_FILE, "utf8")).toBe(moduleJsonSchema());
  });

  it("names every member a module must have, and refuses members the format does not know", () => {
    const schema = JSON.parse(moduleJsonSchema()) as { required: string[]; additionalProperties: boolean };
    expect(schema.required).toEqual(["formatVersion", "id", "organisation", "title", "summary", "slots"]);
    expect(schema.additionalProperties).toBe(false);
  });
});
