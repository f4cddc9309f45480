import { useRouteLoaderData } from "@remix-run/react";
import type { RootLoaderData } from "~/root";

export function useCsrfToken(): string {
  return useRouteLoaderData<RootLoaderData>("root")?.csrfToken ?? "";
}

/** Every form POST carries this; the server refuses a POST whose token does not match the visitor's cookie. */
export function CsrfInput() {
  return <input type="hidden" name="csrf" value={useCsrfToken()} />;
}
