import { parseArgs } from "node:util";
import {
  createCouncil,
  createCouncilSchema,
  CouncilRefused,
  firstAdminMail,
} from "~/organisations/create-council.server";
import { LINK_LIFETIME_MS, passwordLinkUrl } from "~/auth/password-links.server";
import { createMailer } from "~/mail/mailer.server";
import { FatalError, openConfiguredDatabase, runCli } from "./lib/runtime";

// npm run council:create -- --slug east-borough --name "East Borough Council" --admin-email it@east.example --admin-name "Ann Admin"
const USAGE =
  'Usage: npm run council:create -- --slug SLUG --name "COUNCIL NAME" --admin-email ADDRESS --admin-name "NAME" [--admin-employee-number N]';
const FLAGS = {
  slug: "--slug",
  name: "--name",
  adminEmail: "--admin-email",
  adminName: "--admin-name",
  adminEmployeeNumber: "--admin-employee-number",
} as const;

function readArguments() {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: Object.fromEntries(Object.values(FLAGS).map((flag) => [flag.slice(2), { type: "string" as const }])),
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new FatalError(`${(error as Error).message.split("\n")[0]}. ${USAGE}`);
  }
  const missing = Object.entries(FLAGS)
    .filter(([key, flag]) => key !== "adminEmployeeNumber" && (values[flag.slice(2)] ?? "").trim() === "")
    .map(([, flag]) => flag);
  if (missing.length > 0) throw new FatalError(`Missing ${missing.join(", ")}. ${USAGE}`);
  const parsed = createCouncilSchema.safeParse(
    Object.fromEntries(Object.entries(FLAGS).map(([key, flag]) => [key, values[flag.slice(2)]])),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FatalError(`${FLAGS[issue.path[0] as keyof typeof FLAGS]}: ${issue.message}. Nothing was changed.`);
  }
  return parsed.data;
}

await runCli(async (config) => {
  const input = readArguments();
  const serviceUrl = config.serviceUrl ?? `http://localhost:${config.port}`;
  const mailer = createMailer(config);
  const database = await openConfiguredDatabase(config);
  try {
    const result = await createCouncil(database.db, input, {
      contentDir: "content",
      delivery: mailer ? "email" : "printed",
      request: { ip: null, requestId: "council:create" },
      now: new Date(),
    }).catch((error: unknown) => {
      throw error instanceof CouncilRefused ? new FatalError(error.message) : error;
    });
    const { organisation, admin } = result;
    if (result.outcome === "unchanged") {
      console.log(
        `${organisation.name} (${organisation.slug}) already exists with ${admin.name} <${admin.email}> as its admin: nothing was changed and no new link was made.`,
      );
      return 0;
    }
    console.log(
      `Created ${organisation.name} (${organisation.slug}) with its first admin, ${admin.name} <${admin.email}>.`,
    );
    console.log(
      result.content.policyVersion === null && result.content.modules === 0
        ? `content/${organisation.slug}/ has no code of conduct or training modules: staff see "no training set yet" until some are published.`
        : `Recorded from content/${organisation.slug}/: ${result.content.policyVersion === null ? "no code of conduct" : `code of conduct version ${result.content.policyVersion}`}, ${result.content.modules} training module(s).`,
    );
    const days = LINK_LIFETIME_MS.set / 86_400_000;
    if (mailer) {
      try {
        await mailer.send(firstAdminMail(result, serviceUrl));
        console.log(`E-mailed ${admin.email} a one-time link to set their password (it lasts ${days} days).`);
        return 0;
      } catch (error) {
        console.error(`Could not e-mail the link (${(error as Error).message}); pass this one on instead.`);
        console.log(`One-time link to set ${admin.name}'s password (lasts ${days} days, shown only this once):`);
        console.log(passwordLinkUrl(serviceUrl, result.token));
        return 2;
      }
    }
    console.log(`One-time link to set ${admin.name}'s password (lasts ${days} days, shown only this once):`);
    console.log(passwordLinkUrl(serviceUrl, result.token));
    return 0;
  } finally {
    mailer?.close();
    await database.close();
  }
});
