import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "build/**",
      "public/**",
      "node_modules/**",
      ".cache/**",
      ".data/**",
      ".test-data/**",
      "db/migrations/**",
      "scripts/verify-receipt.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "no-console": "off",
    },
  },
  {
    // Routes stay thin: they check access, parse, and call a domain function that is given the database.
    files: ["app/routes/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["~db", "~db/*", "**/db/*", "drizzle-orm", "drizzle-orm/*", "postgres", "@electric-sql/*"],
              message: "Routes do not query the database: call a domain function in a *.server.ts module.",
            },
            {
              group: ["~/**/*client*"],
              message: "Routes do not open database clients: use context.db and pass it to a domain function.",
            },
          ],
        },
      ],
    },
  },
  prettier,
);
