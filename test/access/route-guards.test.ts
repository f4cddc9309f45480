import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every loader and action must check access on the server, unless its route is on this short,
 * reviewed list of public routes. Adding a route without a guard fails this test.
 */
const PUBLIC_ROUTES: Record<string, string> = {
  "sign-in.tsx": "the sign-in form itself",
  "sign-out.tsx": "signing out needs no access check: it only revokes the caller's own session",
  "forgot-password.tsx": "asks for a reset link; says nothing about whether an account exists",
  "set-password.tsx": "guarded by the one-time link's token instead of a session",
  "verify.tsx": "public by design: says only whether a reference and hash match an unaltered record",
};

const GUARDS = /\b(requireUser|requireRole|requireSession|requireTeamAccess)\(/;
const routesDir = join(process.cwd(), "app/routes");

function exportedFunctions(source: string) {
  const found: { name: string; body: string }[] = [];
  const pattern = /export (?:async )?function (loader|action)\b/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(source))) {
    const rest = source.slice(match.index + match[0].length);
    const next = rest.search(/\nexport /);
    found.push({ name: match[1], body: next === -1 ? rest : rest.slice(0, next) });
  }
  return found;
}

describe("route guards", () => {
  const files = readdirSync(routesDir).filter((f) => /\.tsx?$/.test(f) && !f.includes(".test."));

  it("finds the routes", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  for (const file of files) {
    const source = readFileSync(join(routesDir, file), "utf8");
    expect(source, `${file} exports a loader or action some other way`).not.toMatch(/export const (loader|action)\b/);
    for (const fn of exportedFunctions(source)) {
      it(`${file} ${fn.name} checks access or is a reviewed public route`, () => {
        const refusesEverything = /^\s*\([^)]*\)[^{]*\{\s*throw notFound\(\);\s*\}/.test(fn.body);
        const guarded = GUARDS.test(fn.body);
        expect(
          guarded || refusesEverything || file in PUBLIC_ROUTES,
          `${file}: ${fn.name} has no access check and is not on the public list`,
        ).toBe(true);
      });
    }
  }

  it("lists no public route that no longer exists", () => {
    for (const file of Object.keys(PUBLIC_ROUTES)) expect(files).toContain(file);
  });
});
