import { afterEach, beforeEach } from "vitest";

// An unexpected console.error fails the test that caused it; a test that expects one swaps console.error itself.
let errors: unknown[][] = [];
const original = console.error;

beforeEach(() => {
  errors = [];
  console.error = (...args: unknown[]) => {
    errors.push(args);
    original(...args);
  };
});

afterEach(() => {
  console.error = original;
  if (errors.length > 0) {
    throw new Error(
      `Unexpected console.error during the test: ${errors.map((a) => a.map(String).join(" ")).join("\n")}`,
    );
  }
});
