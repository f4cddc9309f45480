// Copies GOV.UK Frontend's images into public/assets, compiles app/styles/app.scss to public/css/app.css and builds the
// offline receipt verifier page public/verify-receipt.html (scripts/build-verifiers.mjs).
// Runs after npm install and before each build; the output is git-ignored.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";
import { buildVerifierPage } from "./build-verifiers.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const govuk = resolve(root, "node_modules/govuk-frontend/dist/govuk");

rmSync(resolve(root, "public/assets"), { recursive: true, force: true });
// Images and the manifest only: no fonts (the GDS Transport font is for GOV.UK alone).
mkdirSync(resolve(root, "public/assets"), { recursive: true });
cpSync(resolve(govuk, "assets/images"), resolve(root, "public/assets/images"), { recursive: true });

const css = sass.compile(resolve(root, "app/styles/app.scss"), {
  loadPaths: [resolve(root, "node_modules/govuk-frontend/dist")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "slash-div"],
});
mkdirSync(resolve(root, "public/css"), { recursive: true });
writeFileSync(resolve(root, "public/css/app.css"), css.css);
writeFileSync(resolve(root, "public/verify-receipt.html"), await buildVerifierPage());
console.log(
  "Built public/css/app.css and public/verify-receipt.html, and copied GOV.UK Frontend images to public/assets",
);
