import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Every loader and action checks access before it does anything else: its first statement calls one of
 * the `require…` helpers of app/auth/access.server.ts (imported from there, not a look-alike), or throws
 * `notFound()` from it. The only exceptions are on this list, each with its reason. The check reads each
 * route's parsed source, so a guard named only in a comment or a string does not count.
 */
const PUBLIC: Record<string, string> = {
  "sign-in.tsx loader": "the sign-in page itself; a signed-in person is only sent on to where they were going",
  "sign-in.tsx action": "signing in is how a person gets a session",
  "sign-out.tsx loader": "only redirects home; signing out is a POST",
  "sign-out.tsx action": "revokes the caller's own session if there is one, and nothing else",
  "forgot-password.tsx action": "asks for a reset link; answers the same whether or not an account exists",
  "set-password.tsx loader": "guarded by the one-time link's token instead of a session",
  "set-password.tsx action": "guarded by the one-time link's token instead of a session",
  "verify.tsx loader": "public by design: says only whether a reference and hash match an unaltered record",
  "ledger.checkpoint.tsx loader":
    "guarded by a genuine record's reference and hash, as /verify is; gives only that council's signed checkpoint",
  "ledger.consistency.tsx loader":
    "guarded by a genuine record's reference and hash, as /verify is; gives only a proof between that council's trees",
  "signed-out.tsx loader": "the page after signing out; offers the council's provider sign-out, a public address",
  "sso.start.tsx loader": "starts a sign-in at the council's provider; a signed-in person is sent on, as on /sign-in",
  "sso.callback.tsx loader":
    "the provider's answer: guarded by the state, nonce and PKCE of the sign-in cookie instead",
  "sso.refused.tsx loader": "says why a provider sign-in was refused, from a fixed list; shows nobody's data",
  "sso.unavailable.tsx loader": "says the council's provider cannot be reached; shows nobody's data",
};

const ACCESS_MODULE = "~/auth/access.server";
const root = process.cwd();
const routesDir = join(root, "app/routes");

function isExported(statement: ts.Statement): boolean {
  return (
    ts.canHaveModifiers(statement) &&
    (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/** The guards: every exported `require…` function of the access module, read from its source. */
function accessGuards(): Set<string> {
  const file = join(root, "app/auth/access.server.ts");
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const names = new Set<string>();
  for (const statement of source.statements) {
    const exported = isExported(statement);
    if (exported && ts.isFunctionDeclaration(statement) && statement.name?.text.startsWith("require"))
      names.add(statement.name.text);
  }
  return names;
}

type Handler = { name: string; body: ts.Block | ts.Expression | undefined; node: ts.Node };
type Finding = { handler: string; problem: string };

/** Names the route imports from the access module, mapped from its local name to the exported one. */
function importsFromAccess(source: ts.SourceFile): Map<string, string> {
  const names = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (statement.moduleSpecifier.text !== ACCESS_MODULE) continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings))
      for (const element of bindings.elements)
        names.set(element.name.text, (element.propertyName ?? element.name).text);
  }
  return names;
}

function handlers(source: ts.SourceFile, findings: Finding[]): Handler[] {
  const found: Handler[] = [];
  for (const statement of source.statements) {
    const exported = isExported(statement);
    if (ts.isFunctionDeclaration(statement) && exported && statement.name) {
      const name = statement.name.text;
      if (name === "loader" || name === "action") found.push({ name, body: statement.body, node: statement });
    } else if (ts.isVariableStatement(statement) && exported) {
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name) || !["loader", "action"].includes(declaration.name.text)) continue;
        const init = declaration.initializer;
        if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)))
          found.push({ name: declaration.name.text, body: init.body, node: init });
        else findings.push({ handler: declaration.name.text, problem: "is not a function this check can read" });
      }
    } else if (ts.isExportDeclaration(statement)) {
      const names =
        statement.exportClause && ts.isNamedExports(statement.exportClause)
          ? statement.exportClause.elements.map((e) => e.name.text)
          : ["*"];
      for (const name of names.filter((n) => ["loader", "action", "*"].includes(n)))
        findings.push({ handler: name, problem: "is re-exported, so this check cannot read it" });
    }
  }
  return found;
}

/** `await requireX(...)` or `requireX(...)`, possibly assigned: the call's callee name, if any. */
function calledName(expression: ts.Expression | undefined): string | null {
  let e = expression;
  while (e && (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e))) e = e.expression;
  if (e && ts.isCallExpression(e) && ts.isIdentifier(e.expression)) return e.expression.text;
  return null;
}

/** What the first statement of a handler calls or throws, as a guard sees it. */
function firstStatementGuard(body: Handler["body"], access: Map<string, string>, guards: Set<string>) {
  if (!body) return false;
  const first = ts.isBlock(body) ? body.statements[0] : undefined;
  const expressions: (ts.Expression | undefined)[] = [];
  if (!ts.isBlock(body)) expressions.push(body);
  else if (!first) return false;
  else if (ts.isVariableStatement(first))
    expressions.push(...first.declarationList.declarations.map((d) => d.initializer));
  else if (ts.isExpressionStatement(first)) expressions.push(first.expression);
  else if (ts.isThrowStatement(first) && access.get(calledName(first.expression) ?? "") === "notFound") return true;
  return expressions.some((expression) => guards.has(access.get(calledName(expression) ?? "") ?? ""));
}

/** Every loader and action of one route module that does not begin with an access check. */
function unguardedHandlers(fileName: string, text: string, guards: Set<string>): Finding[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const access = importsFromAccess(source);
  const findings: Finding[] = [];
  for (const handler of handlers(source, findings)) {
    if (!firstStatementGuard(handler.body, access, guards))
      findings.push({
        handler: handler.name,
        problem: `does not begin with a call of ${[...guards].join(", ")} from ${ACCESS_MODULE}, or throw notFound()`,
      });
  }
  return findings;
}

/**
 * Values a route module uses in code that runs in the browser (its component, meta, anything but loader,
 * action and headers) but imports from a `*.server` module, which Remix empties in the browser bundle.
 */
function serverValuesInBrowserCode(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const serverValues = new Set<string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (!/\.server(\.tsx?)?$/.test(statement.moduleSpecifier.text) || statement.importClause?.isTypeOnly) continue;
    const bindings = statement.importClause?.namedBindings;
    if (statement.importClause?.name) serverValues.add(statement.importClause.name.text);
    if (bindings && ts.isNamespaceImport(bindings)) serverValues.add(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings))
      for (const element of bindings.elements) if (!element.isTypeOnly) serverValues.add(element.name.text);
  }
  const serverOnly = (node: ts.Node) =>
    (ts.isFunctionDeclaration(node) && ["loader", "action", "headers"].includes(node.name?.text ?? "")) ||
    (ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      ["loader", "action", "headers"].includes(node.name.text));
  const used = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || serverOnly(node) || ts.isTypeNode(node)) return;
    if (ts.isIdentifier(node) && serverValues.has(node.text)) used.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...used];
}

describe("pages use nothing from *.server modules in the browser", () => {
  const files = readdirSync(routesDir).filter((f) => /\.tsx?$/.test(f) && !f.includes(".test."));

  it("finds no value from a *.server module outside loader, action and headers", () => {
    const problems = files.flatMap((file) =>
      serverValuesInBrowserCode(file, readFileSync(join(routesDir, file), "utf8")).map(
        (name) => `${file}: ${name} comes from a *.server module, which is empty in the browser`,
      ),
    );
    expect(problems).toEqual([]);
  });

  it("flags a component that renders a server module's constant, and not a type or a loader's use of it", () => {
    const text = `import { LIMITS, load, type Row } from "~/x/y.server";
      export async function loader() { return load(LIMITS); }
      type T = (typeof LIMITS)[number] | Row;
      export default function Page() { return LIMITS.map((l) => l); }`;
    expect(serverValuesInBrowserCode("example.tsx", text)).toEqual(["LIMITS"]);
  });
});

describe("every loader and action checks access first", () => {
  const guards = accessGuards();
  const files = readdirSync(routesDir).filter((f) => /\.tsx?$/.test(f) && !f.includes(".test."));

  it("reads the guards from the access module", () => {
    expect([...guards].sort()).toEqual(expect.arrayContaining(["requireRole", "requireTeamAccess", "requireUser"]));
  });

  it("finds no route whose loader or action skips the check, except the reviewed public ones", () => {
    const problems = files.flatMap((file) =>
      unguardedHandlers(file, readFileSync(join(routesDir, file), "utf8"), guards)
        .filter((finding) => !(`${file} ${finding.handler}` in PUBLIC))
        .map((finding) => `${file} ${finding.handler} ${finding.problem}`),
    );
    expect(problems).toEqual([]);
  });

  it("lists as public only handlers that exist and have no guard", () => {
    const stale = Object.keys(PUBLIC).filter((key) => {
      const [file, handler] = key.split(" ");
      if (!files.includes(file)) return true;
      return !unguardedHandlers(file, readFileSync(join(routesDir, file), "utf8"), guards).some(
        (f) => f.handler === handler,
      );
    });
    expect(stale, "remove these from PUBLIC: they are gone or now guarded").toEqual([]);
  });

  describe("the check itself", () => {
    const check = (body: string, imports = "requireUser, requireRole, notFound") =>
      unguardedHandlers("example.tsx", `import { ${imports} } from "~/auth/access.server";\n${body}`, guards);

    it("accepts a loader that begins with a guard, and an action that refuses everything", () => {
      expect(
        check(`export async function loader({ request, context }) {
          const user = await requireRole(request, context, ["hr"]);
          return user;
        }
        export const action = async () => { throw notFound(); };`),
      ).toEqual([]);
    });

    it("flags a guard that comes too late, is named only in a comment, or is a look-alike", () => {
      const findings = check(
        `export async function loader({ request, context }) {
          const rows = await context.db.select();
          await requireUser(request, context);
          return rows;
        }
        // requireUser(request, context)
        export async function action({ request, context }) { return null; }`,
      );
      expect(findings.map((f) => f.handler)).toEqual(["loader", "action"]);
      const lookAlike = `function requireUser() {}\nexport async function loader({ request, context }) {
        await requireUser(request, context);
      }`;
      expect(unguardedHandlers("example.tsx", lookAlike, guards).map((f) => f.handler)).toEqual(["loader"]);
    });

    it("flags a loader it cannot read", () => {
      expect(check(`export { loader } from "./elsewhere";`).map((f) => f.problem)).toEqual([
        "is re-exported, so this check cannot read it",
      ]);
    });
  });
});
