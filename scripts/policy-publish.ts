import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { decodePolicyFile, publishPolicyVersion, publishSchema, PublishError } from "~/attestation/policies.server";
import { organisations } from "~db/schema";
import { FatalError, openConfiguredDatabase, runCli } from "./lib/runtime";

// npm run policy:publish -- --organisation SLUG --file new-policy.txt --label 2 --effective 2027-01-01 [--no-reattestation]
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};

await runCli(async (config) => {
  const slug = option("organisation");
  const file = option("file");
  if (!slug || !file)
    throw new FatalError(
      "Usage: npm run policy:publish -- --organisation SLUG --file PATH --label LABEL --effective YYYY-MM-DD [--no-reattestation]",
    );
  const text = decodePolicyFile(readFileSync(file));
  if (!text.ok) throw new FatalError(`${file}: ${text.error}`);
  const parsed = publishSchema.safeParse({
    versionLabel: option("label") ?? "",
    effectiveDate: option("effective") ?? "",
    requiresReattestation: !args.includes("--no-reattestation"),
    body: text.text,
  });
  if (!parsed.success)
    throw new FatalError(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "));
  const database = await openConfiguredDatabase(config);
  try {
    const [org] = await database.db.select().from(organisations).where(eq(organisations.slug, slug));
    if (!org) throw new FatalError(`No organisation "${slug}"`);
    const version = await publishPolicyVersion(database.db, org.id, parsed.data, {
      userId: null,
      request: { ip: null, requestId: "cli" },
    }).catch((error: unknown) => {
      throw error instanceof PublishError ? new FatalError(error.message) : error;
    });
    console.log(
      `Published version ${version.versionLabel} of ${org.name}'s code of conduct (sha256 ${version.sha256}), in force from ${version.effectiveDate}.`,
    );
  } finally {
    await database.close();
  }
});
