import { Form, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import type { RootLoaderData } from "~/root";

export function useCsrfToken(): string {
  return useRouteLoaderData<RootLoaderData>("root")?.csrfToken ?? "";
}

/** Every form POST carries this; the server refuses a POST whose token does not match the visitor's cookie. */
export function CsrfInput() {
  return <input type="hidden" name="csrf" value={useCsrfToken()} />;
}

/**
 * A POST form that names what it does (its `intent`) for a route with several forms, with the CSRF token and any
 * further hidden fields (`hidden`, name to value).
 */
export function IntentForm({
  intent,
  hidden = {},
  noValidate,
  children,
}: {
  intent: string;
  hidden?: Record<string, string>;
  noValidate?: boolean;
  children: ReactNode;
}) {
  return (
    <Form method="post" noValidate={noValidate}>
      <CsrfInput />
      <input type="hidden" name="intent" value={intent} />
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      {children}
    </Form>
  );
}
