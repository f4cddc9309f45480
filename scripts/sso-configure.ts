import { eq } from "drizzle-orm";
import { providerSettingsSchema } from "~/auth/sso-forms";
import { configureProvider } from "~/auth/sso-settings.server";
import { organisations } from "~db/schema";
import { FatalError, openConfiguredDatabase, runCli } from "./lib/runtime";

// npm run sso:configure -- --organisation wirral --kind entra --tenant TENANT-ID --client-id ID
//   (--client-secret-env VARIABLE | --client-secret-stdin) --domains wirral.gov.uk [--display-name Microsoft]
//   [--password-sign-in yes|no] [--proves-fresh-auth yes|no] [--issuer URL]
const USAGE =
  "Usage: npm run sso:configure -- --organisation SLUG --kind entra|google|oidc [--tenant ID] [--issuer URL] --client-id ID (--client-secret-env NAME | --client-secret-stdin) --domains DOMAIN[,DOMAIN] [--display-name NAME] [--password-sign-in yes|no] [--proves-fresh-auth yes|no]";
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

const NAMES = { entra: "Microsoft", google: "Google", oidc: "your council account" } as const;

await runCli(async (config) => {
  const slug = option("organisation");
  const kind = option("kind") as keyof typeof NAMES | undefined;
  if (!slug || !kind) throw new FatalError(USAGE);
  // The secret never goes on the command line (shell history, process list): from stdin, or a variable's name.
  const clientSecret = args.includes("--client-secret-stdin") ? await readStdin() : "";
  const parsed = providerSettingsSchema.safeParse({
    kind,
    displayName: option("display-name") ?? NAMES[kind] ?? "",
    issuer: option("issuer") ?? (kind === "google" ? "https://accounts.google.com" : ""),
    tenantId: option("tenant") ?? "",
    clientId: option("client-id") ?? "",
    clientSecret,
    clientSecretEnv: option("client-secret-env") ?? "",
    emailDomains: option("domains") ?? "",
    passwordSignIn: option("password-sign-in") ?? "yes",
    provesFreshAuth: option("proves-fresh-auth") ?? "no",
  });
  if (!parsed.success)
    throw new FatalError(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "));
  const database = await openConfiguredDatabase(config);
  try {
    const [org] = await database.db.select().from(organisations).where(eq(organisations.slug, slug));
    if (!org) throw new FatalError(`No organisation "${slug}"`);
    const result = await configureProvider(database.db, config, org.id, parsed.data, null, {
      ip: null,
      requestId: "cli",
      now: new Date(),
    });
    if (!result.ok)
      throw new FatalError(
        Object.entries(result.errors)
          .map(([k, v]) => `${k}: ${v}`)
          .join("; "),
      );
    const p = result.provider;
    console.log(
      `${org.name} signs in with ${p.displayName} (${p.issuer}) for ${p.emailDomains.join(", ")}; password sign-in ${p.passwordSignIn ? "stays available" : "only for admins (break-glass)"}; signing re-authenticates ${p.provesFreshAuth ? "at the provider (auth_time)" : "with a signing passphrase"}.`,
    );
  } finally {
    await database.close();
  }
});
