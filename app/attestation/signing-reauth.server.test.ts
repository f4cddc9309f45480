import { count, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { CurrentUser } from "~/auth/session.server";
import { setSigningPassphrase } from "~/auth/signing-passphrase.server";
import { startOrResumeAttempt } from "~/training/attempts.server";
import type { TrainingModule } from "~/training/content-schema";
import { syncTrainingModules } from "~/training/content-sync.server";
import { attestations, auditLog, users } from "~db/schema";
import { freshDatabase } from "../../test/support/database";
import {
  aCouncil,
  anIdentityProvider,
  anOrganisation,
  aModuleContent,
  answerEveryQuestion,
  aPerson,
  aPolicyVersion,
  asCurrentUser,
  aTeam,
  TEST_PASSWORD,
} from "../../test/support/factories";
import type { SignInput } from "./forms";
import { PROVIDER_REAUTH_WINDOW_MS, reauthMethodFor, signCodeOfConduct, signingReauth } from "./signing.server";

const database = await freshDatabase();
const db = database.db;
const now = new Date("2026-06-01T09:00:00Z");
const request = { ip: "192.0.2.10", requestId: "test", userAgent: "vitest", now };
const PASSPHRASE = "a long signing passphrase";

type Council = { organisation: { id: string; slug: string; name: string }; teamId: string; versionId: string };

/** A council with a module and a code of conduct in force, and (unless null) a provider of this kind. */
async function aCouncilWith(
  provider: { kind: "entra" | "google" | "oidc"; provesFreshAuth: boolean } | null,
): Promise<Council> {
  const organisation = await anOrganisation(db);
  const team = await aTeam(db, organisation.id);
  await syncTrainingModules(db, [aModuleContent(organisation.slug) as unknown as TrainingModule], now);
  const version = await aPolicyVersion(db, organisation.id, { label: "1", effectiveDate: "2026-01-01" });
  if (provider)
    await anIdentityProvider(
      db,
      organisation.id,
      {
        issuer: provider.kind === "google" ? "https://accounts.google.com" : "https://idp.example",
        clientId: "c",
        clientSecret: "s",
      },
      {
        kind: provider.kind,
        tenantId: provider.kind === "entra" ? "72f988bf-86f1-41af-91ab-2d7cd011db47" : "",
        provesFreshAuth: provider.provesFreshAuth ? "yes" : "no",
      },
    );
  return { organisation, teamId: team.id, versionId: version.id };
}

async function aSignerOf(council: Council, options: { password: boolean }): Promise<CurrentUser> {
  const person = asCurrentUser(
    await aPerson(db, {
      organisationId: council.organisation.id,
      teamId: council.teamId,
      password: options.password ? undefined : null,
    }),
    council.organisation as never,
  );
  const attemptId = (await startOrResumeAttempt(db, person, "test-module", now))!;
  await answerEveryQuestion(db, person, "test-module", attemptId, now);
  return person;
}

const input = (council: Council, person: CurrentUser, password: string): SignInput => ({
  policyVersionId: council.versionId,
  declarationRead: "yes",
  declarationFollow: "yes",
  declarationConsequences: "yes",
  typedName: person.name,
  password,
});

const recordCount = async () => (await db.select({ n: count() }).from(attestations))[0].n;

let entra: Council;
let google: Council;
let noProvider: Council;
beforeAll(async () => {
  await aCouncil(db);
  entra = await aCouncilWith({ kind: "entra", provesFreshAuth: true });
  google = await aCouncilWith({ kind: "google", provesFreshAuth: false });
  noProvider = await aCouncilWith(null);
});

describe("which way a person re-authenticates to sign", () => {
  it("is their password when they have one, their provider when it proves a fresh sign-in, else a passphrase", () => {
    expect(reauthMethodFor({ hasPassword: true, providerProvesFreshAuth: true })).toBe("password");
    expect(reauthMethodFor({ hasPassword: false, providerProvesFreshAuth: true })).toBe("provider");
    expect(reauthMethodFor({ hasPassword: false, providerProvesFreshAuth: false })).toBe("passphrase");
    expect(reauthMethodFor({ hasPassword: false, providerProvesFreshAuth: null })).toBe("passphrase");
  });

  it("signs with the password where the person has one, even in a council with a provider", async () => {
    const person = await aSignerOf(entra, { password: true });
    const result = await signCodeOfConduct(db, person, input(entra, person, TEST_PASSWORD), request);
    expect(result).toMatchObject({ ok: true, reauthMethod: "password", record: { reauthMethod: "password" } });
  });

  it("asks someone without a password for a fresh re-authentication at the provider, and accepts one in the window", async () => {
    const person = await aSignerOf(entra, { password: false });
    expect(await signingReauth(db, person.id, { providerReauthAt: null }, now)).toMatchObject({
      method: "provider",
      fresh: false,
    });
    const before = await recordCount();
    for (const providerReauthAt of [null, new Date(now.getTime() - PROVIDER_REAUTH_WINDOW_MS - 1000)]) {
      const refused = await signCodeOfConduct(db, person, input(entra, person, ""), { ...request, providerReauthAt });
      expect(refused).toMatchObject({ ok: false, status: 401 });
      if (!refused.ok) expect(refused.errors.form).toContain("Confirm who you are with Test Provider");
    }
    // A password typed instead proves nothing here.
    expect(await signCodeOfConduct(db, person, input(entra, person, TEST_PASSWORD), request)).toMatchObject({
      ok: false,
    });
    expect(await recordCount()).toBe(before);
    const fresh = new Date(now.getTime() - 60_000);
    const signed = await signCodeOfConduct(db, person, input(entra, person, ""), {
      ...request,
      providerReauthAt: fresh,
    });
    expect(signed).toMatchObject({
      ok: true,
      reauthMethod: "provider",
      created: true,
      record: { reauthMethod: "provider" },
    });
  });

  it("where the provider cannot prove a fresh sign-in (Google), asks for the signing passphrase", async () => {
    const person = await aSignerOf(google, { password: false });
    const fresh = new Date(now.getTime() - 60_000);
    const before = await recordCount();
    // No passphrase yet: refused, even with a fresh provider sign-in, which Google cannot prove.
    expect(
      await signCodeOfConduct(db, person, input(google, person, ""), { ...request, providerReauthAt: fresh }),
    ).toMatchObject({ ok: false, status: 409, errors: { form: "Set a signing passphrase before you sign" } });
    const session = { createdAt: new Date(now.getTime() - 60_000), providerReauthAt: null, user: person };
    expect(await setSigningPassphrase(db, session, PASSPHRASE, request)).toEqual({ ok: true });
    const [stored] = await db.select().from(users).where(eq(users.id, person.id));
    expect(stored.signingPassphraseHash).toMatch(/^scrypt\$/);
    expect(await signCodeOfConduct(db, person, input(google, person, ""), request)).toMatchObject({
      ok: false,
      errors: { password: "Enter your signing passphrase" },
    });
    expect(await signCodeOfConduct(db, person, input(google, person, "not the passphrase"), request)).toMatchObject({
      ok: false,
      errors: { password: "Your signing passphrase is not correct" },
    });
    expect(await recordCount()).toBe(before);
    const signed = await signCodeOfConduct(db, person, input(google, person, PASSPHRASE), request);
    expect(signed).toMatchObject({ ok: true, reauthMethod: "passphrase", record: { reauthMethod: "passphrase" } });
  });

  it("sets a passphrase only early in a session, and never for someone with a password", async () => {
    const person = await aSignerOf(google, { password: false });
    const stale = { createdAt: new Date(now.getTime() - 16 * 60_000), providerReauthAt: null, user: person };
    const audit = (await db.select({ n: count() }).from(auditLog))[0].n;
    expect(await setSigningPassphrase(db, stale, PASSPHRASE, request)).toMatchObject({ ok: false, status: 403 });
    const withPassword = await aSignerOf(noProvider, { password: true });
    const fresh = { createdAt: now, providerReauthAt: null, user: withPassword };
    expect(await setSigningPassphrase(db, fresh, PASSPHRASE, request)).toMatchObject({ ok: false, status: 409 });
    expect((await db.select({ n: count() }).from(auditLog))[0].n).toBe(audit);
    const [row] = await db.select().from(users).where(eq(users.id, person.id));
    expect(row.signingPassphraseHash).toBeNull();
  });
});
