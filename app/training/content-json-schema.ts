import { z } from "zod";
import { moduleSchema } from "./content-schema";

/** Where the generated JSON Schema of a module file is committed, for editors (docs/training-modules.md). */
export const MODULE_JSON_SCHEMA_FILE = "docs/training-module.schema.json";

/**
 * The JSON Schema of a module file, generated from the zod schema that checks it: the shape of every member
 * (the rules across members, like one right choice or ids used once, are `npm run content:check`'s alone).
 */
export function moduleJsonSchema(): string {
  const schema = z.toJSONSchema(moduleSchema, { io: "input", unrepresentable: "any" });
  return `${JSON.stringify(
    {
      ...schema,
      title: "Training module (format 2)",
      description:
        "One training module of a council, as a file in content/<council>/modules/ or uploaded on the admin pages. Generated from app/training/content-schema.ts by npm run content:schema.",
    },
    null,
    2,
  )}\n`;
}
