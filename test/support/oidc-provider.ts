import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/**
 * A real OpenID Connect provider (oidc-provider) on a loopback port, for tests. Its login page is a form asking
 * for an account id (the test's stand-in for a council's Microsoft or Google sign-in). `tamper` rewrites the ID
 * token the token endpoint returns and signs it again, with the provider's key or another one: how tests
 * produce a token for another audience, tenant or nonce, an expired one, or one signed by a stranger.
 */
export type TestProvider = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Account id → the claims the provider releases for it (sub is the account id unless given). */
  accounts: Map<string, Record<string, unknown>>;
  /** Set to change the next ID tokens; `signWith: "stranger"` signs with a key the provider never published. */
  tamper: { claims?: (claims: Record<string, unknown>) => Record<string, unknown>; signWith?: "stranger" } | null;
  /** Seconds added to "now" as the authentication time recorded at the next logins (negative: long ago). */
  authTimeOffsetSeconds: number;
  /** Token requests seen (a replayed code is refused by the provider itself). */
  tokenRequests: number;
  stop(): Promise<void>;
};

function rsaKey(kid: string) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}

function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part(header)}.${part(payload)}`;
  const signature = createSign("RSA-SHA256").update(input).sign(key).toString("base64url");
  return `${input}.${signature}`;
}

const page = (body: string) =>
  `<!doctype html><html lang="en"><head><title>Test provider sign-in</title><link rel="icon" href="data:,"></head><body><main>${body}</main></body></html>`;

export async function startTestProvider(options: {
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  clientId?: string;
  clientSecret?: string;
  /** Serve on this port (e.g. to restart a provider that was stopped). */
  port?: number;
}): Promise<TestProvider> {
  const key = rsaKey(`key-${randomUUID().slice(0, 8)}`);
  const stranger = rsaKey(key.kid);
  const server: Server = createServer();
  await new Promise<void>((ready) => server.listen(options.port ?? 0, "127.0.0.1", ready));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = options.clientId ?? "smcoc-test-client";
  const clientSecret = options.clientSecret ?? "test-client-secret-not-for-production";
  const accounts = new Map<string, Record<string, unknown>>();
  const state: TestProvider = {
    issuer,
    clientId,
    clientSecret,
    accounts,
    tamper: null,
    authTimeOffsetSeconds: 0,
    tokenRequests: 0,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris ?? [],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [key.jwk as never] },
    cookies: { keys: ["test-provider-cookie-key"] },
    conformIdTokenClaims: false,
    claims: {
      openid: ["sub", "tid", "oid", "hd", "xms_edov"],
      email: ["email", "email_verified"],
      profile: ["name"],
    },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => {
      const claims = accounts.get(id);
      if (!claims) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...claims }) };
    },
  });
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url!, issuer);
    const details = await provider.interactionDetails(req, res);
    if (req.method === "GET") {
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(
        page(
          `<h1>Test provider</h1><form method="post" action="/interaction/${details.uid}">` +
            `<label for="account">Account</label><input id="account" name="account">` +
            `<button type="submit">Sign in at the provider</button></form>`,
        ),
      );
      return;
    }
    const body = await new Promise<string>((done) => {
      let data = "";
      req.on("data", (chunk: Buffer) => (data += chunk.toString()));
      req.on("end", () => done(data));
    });
    const accountId = new URLSearchParams(body).get("account") ?? "";
    void url;
    if (!accounts.has(accountId)) {
      res.statusCode = 400;
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(page("<h1>No such account at the test provider</h1>"));
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id as string });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      {
        login: { accountId, ts: Math.floor(Date.now() / 1000) + state.authTimeOffsetSeconds },
        consent: { grantId },
      },
      { mergeWithLastSubmission: false },
    );
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith("/interaction/")) {
      interaction(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    if (req.method === "POST" && req.url?.startsWith("/token")) {
      state.tokenRequests++;
      const tamper = state.tamper;
      if (tamper) {
        const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
        res.end = ((chunk?: unknown) => {
          if (res.statusCode !== 200 || chunk === undefined) return end(chunk);
          const response = JSON.parse(Buffer.from(chunk as Buffer).toString("utf8")) as Record<string, unknown>;
          const [header, payload] = String(response.id_token)
            .split(".")
            .slice(0, 2)
            .map((p) => JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>);
          const claims = tamper.claims ? tamper.claims(payload) : payload;
          response.id_token = signJwt(
            header,
            claims,
            tamper.signWith === "stranger" ? stranger.privateKey : key.privateKey,
          );
          const text = JSON.stringify(response);
          res.setHeader("content-length", Buffer.byteLength(text));
          return end(text);
        }) as typeof res.end;
      }
    }
    void callback(req, res);
  });
  return state;
}

/**
 * Follows a browser's redirects from the service to the provider and back: GETs the provider's pages with
 * `provider` (its own cookie jar), signs in there as `account`, and returns the service's callback path.
 */
export async function signInAtProvider(
  authorizationUrl: string,
  account: string,
  jar: Map<string, string> = new Map(),
): Promise<string> {
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const keep = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const at = pair.indexOf("=");
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const origin = new URL(authorizationUrl).origin;
  let next = authorizationUrl;
  for (let hops = 0; hops < 10; hops++) {
    if (!next.startsWith(origin)) return next;
    let response = await fetch(next, { redirect: "manual", headers: { cookie: cookieHeader() } });
    keep(response);
    if (response.status === 200 && next.includes("/interaction/")) {
      response = await fetch(next, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: cookieHeader(), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ account }),
      });
      keep(response);
    }
    const location = response.headers.get("location");
    if (!location) throw new Error(`The provider answered ${response.status} without a redirect at ${next}`);
    next = new URL(location, next).toString();
  }
  throw new Error("Too many redirects at the provider");
}
