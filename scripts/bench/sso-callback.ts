import { aPerson, anIdentityProvider, anOrganisation, aTeam, TEST_PASSWORD } from "../../test/support/factories";
import { HttpClient } from "../../test/support/http";
import { signInAtProvider, startTestProvider } from "../../test/support/oidc-provider";
import { startTestServer } from "../../test/support/server";
import { benchDatabase, loadLine, machineLine, ms, percentileOf, writeSection } from "./lib";

// The service's own time to handle the provider's callback: from the callback request to its response (the code
// exchanged at the provider on loopback, the ID token and its signature checked, the person found, a session
// started), against the password sign-in POST in the same run as the baseline. PostgreSQL; the app is the real
// HTTP server and build, in-process, in test mode: production refuses a plain-http issuer, and the loopback
// provider is one. Requests one at a time; each from its own address (no throttle decides).
export async function benchSsoCallback(requests: number) {
  const loadBefore = loadLine();
  const bench = await benchDatabase(4);
  const server = await startTestServer(bench.database, { env: { TRUSTED_PROXY_HOPS: "1", LOG_LEVEL: "warn" } });
  const idp = await startTestProvider({ redirectUris: [`${server.url}/sso/callback`] });
  try {
    const db = bench.database.db;
    const organisation = await anOrganisation(db);
    const team = await aTeam(db, organisation.id);
    await anIdentityProvider(db, organisation.id, idp);
    const people = [];
    for (let i = 0; i < requests; i++) {
      const email = `bench-${i}@council.example`;
      const person = await aPerson(db, { organisationId: organisation.id, teamId: team.id, email });
      idp.accounts.set(`bench-${i}`, { email, email_verified: true });
      people.push(person);
    }
    let address = 0;
    const forwarded = () => {
      address++;
      return { "x-forwarded-for": `10.8.${address >> 8}.${address & 255}` };
    };
    const callback = async (i: number) => {
      const client = new HttpClient(server.url);
      const started = await client.get(`/sso/start?council=${organisation.slug}`, forwarded());
      const back = (await signInAtProvider(started.headers.get("location")!, `bench-${i}`)).slice(server.url.length);
      const headers = forwarded();
      const t0 = performance.now();
      const response = await client.get(back, headers);
      const elapsed = performance.now() - t0;
      if (response.status !== 302 || response.headers.get("location") !== "/")
        throw new Error(`The callback answered ${response.status} ${response.headers.get("location")}`);
      return elapsed;
    };
    const password = async (email: string) => {
      const client = new HttpClient(server.url);
      const csrf = await client.csrfToken();
      const t0 = performance.now();
      const response = await client.post(
        "/sign-in",
        { email, password: TEST_PASSWORD, returnTo: "/" },
        { csrf, headers: forwarded() },
      );
      const elapsed = performance.now() - t0;
      if (response.status !== 302) throw new Error(`Password sign-in answered ${response.status}`);
      return elapsed;
    };
    await password(people[0].email);
    const first: number[] = [];
    const later: number[] = [];
    const passwords: number[] = [];
    for (let i = 0; i < requests; i++) {
      first.push(await callback(i));
      passwords.push(await password(people[i].email));
    }
    for (let i = 0; i < requests; i++) later.push(await callback(i));
    const row = (label: string, times: number[]) =>
      `| ${label} | ${times.length} | ${ms(percentileOf(times, 50))} | ${ms(percentileOf(times, 95))} |`;
    writeSection(
      "sso-callback",
      [
        "## Single sign-on: the service's time to handle the provider's callback",
        "",
        `\`npx tsx scripts/bench/run.ts sso-callback --requests ${requests}\`: ${machineLine()}; load before ${loadBefore}.`,
        "PostgreSQL 15; the real HTTP server and build in-process in test mode (production refuses the loopback provider's",
        "plain-http issuer), a real OpenID provider (oidc-provider) on loopback in the same process. Timed: the callback",
        "request to its response, which includes exchanging the code at the provider and checking the ID token's signature,",
        "issuer, audience, expiry and nonce. Baseline: the password sign-in POST (scrypt) in the same run. One at a time.",
        "",
        "| request | requests | median | p95 |",
        "| --- | --- | --- | --- |",
        row("callback, first sign-in (links the account)", first),
        row("callback, later sign-in (matches the link)", later),
        row("baseline: password sign-in POST", passwords),
      ].join("\n"),
    );
    console.error(
      `callback p95 first ${ms(percentileOf(first, 95))}, later ${ms(percentileOf(later, 95))}; password p95 ${ms(percentileOf(passwords, 95))}`,
    );
  } finally {
    await idp.stop();
    await server.close();
    await bench.drop();
  }
}
