import { writeFileSync } from "node:fs";
import { MODULE_JSON_SCHEMA_FILE, moduleJsonSchema } from "../app/training/content-json-schema";

// `npm run content:schema`: writes the JSON Schema of a module file, generated from the zod schema, for editors.
writeFileSync(MODULE_JSON_SCHEMA_FILE, moduleJsonSchema());
console.log(`Wrote ${MODULE_JSON_SCHEMA_FILE}.`);
