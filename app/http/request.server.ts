import type { Config } from "~/config.server";

/**
 * The service's public address, for links in e-mails and the identifiers in exports. SERVICE_URL, which production
 * requires: a request's Host header is whatever its sender chose, and a link built from it would e-mail a working
 * token to their site. Only outside production, without SERVICE_URL, does the request's own origin serve (local use).
 */
export function serviceUrlOf(config: Pick<Config, "serviceUrl" | "isProduction">, request: Request): string {
  if (config.serviceUrl) return config.serviceUrl;
  if (config.isProduction) throw new Error("SERVICE_URL is required in production");
  return new URL(request.url).origin;
}

/** The answer to a request no page of this service could have made (a crafted address or form). */
export function badRequest(): Response {
  return new Response("Bad Request", { status: 400, statusText: "Bad Request" });
}
