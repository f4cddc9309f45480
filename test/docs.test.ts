import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/** The repository's docs hold to one shape and name only what the repository contains. */
const root = resolve(import.meta.dirname, "..");
const decisionsFolder = join(root, "docs/decisions");
const decisions = readdirSync(decisionsFolder).filter((f) => /^\d{4}-.*\.md$/.test(f));
const decisionNumbers = new Set(decisions.map((f) => f.slice(0, 4)));

/** The source and docs files git tracks (or would: new ones it does not ignore), and .ci/run. */
const textFiles = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: root,
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => /\.(ts|tsx|mjs|js|md|sql)$|^\.ci\/run$/.test(f) && existsSync(join(root, f)));

describe("the docs", () => {
  it("give every decision one shape: its number and title, a Status line, then Context, Decision and Consequences", () => {
    expect(decisions.length).toBeGreaterThan(20);
    const wrong = decisions.flatMap((file) => {
      const lines = readFileSync(join(decisionsFolder, file), "utf8").split("\n");
      const problems: string[] = [];
      if (!lines[0].startsWith(`# ${file.slice(0, 4)}: `))
        problems.push(`${file}: the title is not "# ${file.slice(0, 4)}: …"`);
      if (!/^Status: (accepted|superseded|proposed) \(\d{4}-\d{2}-\d{2}\)/.test(lines[2] ?? ""))
        problems.push(`${file}: the third line is not "Status: accepted (YYYY-MM-DD)…"`);
      const sections = lines.filter((l) => /^## (Context|Decision|Consequences)$/.test(l));
      if (sections.join() !== "## Context,## Decision,## Consequences")
        problems.push(
          `${file}: its sections are ${sections.join(", ") || "none"}, not Context, Decision, Consequences`,
        );
      return problems;
    });
    expect(wrong).toEqual([]);
  });

  it("cite only decisions that exist, wherever they are cited", () => {
    const cited = textFiles.flatMap((file) => {
      const text = readFileSync(join(root, file), "utf8");
      return [...text.matchAll(/\b(?:[Dd]ecisions?|docs\/decisions\/)[ /]?(\d{4})\b/g)].map((m) => ({
        file,
        number: m[1],
      }));
    });
    expect(cited.length).toBeGreaterThan(20);
    expect(
      cited.filter((c) => !decisionNumbers.has(c.number)).map((c) => `${c.file} cites decision ${c.number}`),
    ).toEqual([]);
  });

  it("link only to files the repository holds", () => {
    const markdown = textFiles.filter((f) => f.endsWith(".md"));
    const broken = markdown.flatMap((file) => {
      const text = readFileSync(join(root, file), "utf8");
      return [...text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)]
        .map((m) => m[1])
        .filter((target) => !/^[a-z]+:/.test(target))
        .filter((target) => !existsSync(resolve(root, dirname(file), target)))
        .map((target) => `${file} links to ${target}`);
    });
    expect(broken).toEqual([]);
  });

  it("name only files of the repository where they give a path in it", () => {
    const paths =
      /\b((?:app|db|scripts|test|content|docs|public|\.ci)\/[\w.\-/$[\]]+\.(?:ts|tsx|mjs|md|json|sql|css|html))\b/g;
    const missing = textFiles
      .filter((f) => f.endsWith(".md") || f.startsWith(".ci/"))
      .flatMap((file) =>
        [...readFileSync(join(root, file), "utf8").matchAll(paths)]
          .map((m) => m[1])
          .filter((path) => !existsSync(join(root, path)))
          .map((path) => `${file} names ${path}`),
      );
    expect(missing).toEqual([]);
  });
});
