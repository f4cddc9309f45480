import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** The worked example's committed TEST signer key (never the service's). */
export const WORKED_EXAMPLE_TEST_KEY = readFileSync(resolve(import.meta.dirname, "worked-example-test-key.txt"), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "" && !line.startsWith("#"))[0];
