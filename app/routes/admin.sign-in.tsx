import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { requestInfo, requireRole } from "~/auth/access.server";
import { PROVIDER_KINDS, providerSettingsSchema } from "~/auth/sso-forms";
import { configureProvider, providerOf } from "~/auth/sso-settings.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { NotificationBanner } from "~/components/notification-banner";
import { Radios } from "~/components/radios";
import { TextInput } from "~/components/text-input";
import { TwoThirds } from "~/components/two-thirds";
import { serviceUrlOf } from "~/http/request.server";

export const meta: MetaFunction = () => [{ title: "Sign-in settings – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const provider = await providerOf(context.db, admin.organisationId);
  return json({
    redirectUri: new URL("/sso/callback", serviceUrlOf(context.config, request)).toString(),
    signInLink: new URL(`/sign-in?council=${admin.organisationSlug}`, serviceUrlOf(context.config, request)).toString(),
    provider: provider
      ? {
          kind: provider.kind,
          displayName: provider.displayName,
          issuer: provider.issuer,
          tenantId: provider.tenantId ?? "",
          clientId: provider.clientId,
          clientSecretEnv: provider.clientSecretEnv ?? "",
          secretStored: provider.clientSecretEncrypted !== null,
          emailDomains: provider.emailDomains.join(", "),
          passwordSignIn: provider.passwordSignIn ? "yes" : "no",
          provesFreshAuth: provider.provesFreshAuth ? "yes" : "no",
        }
      : null,
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const { clientSecret: _secret, csrf: _csrf, ...values } = form;
  const parsed = providerSettingsSchema.safeParse(form);
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error), values }, { status: 400 });
  const result = await configureProvider(context.db, context.config, admin.organisationId, parsed.data, admin.id, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!result.ok) return json({ errors: result.errors as FieldErrors, values }, { status: 400 });
  return redirect("/admin/sign-in?saved=1");
}

export default function AdminSignIn() {
  const { provider, redirectUri, signInLink } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const saved = new URLSearchParams(useLocation().search).get("saved") === "1";
  const errors: FieldErrors = actionData?.errors ?? {};
  const value = (name: string) =>
    (actionData?.values as Record<string, string> | undefined)?.[name] ??
    (provider as Record<string, string | boolean> | null)?.[name]?.toString() ??
    "";
  return (
    <TwoThirds>
      {saved && !actionData ? <NotificationBanner id="saved" heading="Sign-in settings saved" success /> : null}
      <ErrorSummary errors={errors} />
      <h1 className="govuk-heading-l">Sign-in settings</h1>
      <p className="govuk-body">
        Your staff can sign in through your council&rsquo;s Microsoft Entra ID, Google Workspace or another OpenID
        Connect provider. Register this service with it first: the redirect address is <code>{redirectUri}</code>. Staff
        can use the link <code>{signInLink}</code>.
      </p>
      <Form method="post" noValidate>
        <CsrfInput />
        <Radios
          name="kind"
          legend="Provider"
          options={PROVIDER_KINDS.map((k) => ({ value: k.value, label: k.text }))}
          defaultValue={value("kind") || "entra"}
          error={errors.kind}
        />
        <TextInput
          name="displayName"
          label="Name staff know it by"
          hint="Shown on the button: Sign in with …"
          defaultValue={value("displayName")}
          error={errors.displayName}
        />
        <TextInput
          name="tenantId"
          label="Entra tenant ID (Microsoft Entra ID only)"
          hint="Only your tenant is accepted: the issuer is compared exactly."
          spellCheck={false}
          defaultValue={value("tenantId")}
          error={errors.tenantId}
        />
        <TextInput
          name="issuer"
          label="Issuer (Google and other providers)"
          hint="Google's is https://accounts.google.com"
          spellCheck={false}
          defaultValue={value("issuer")}
          error={errors.issuer}
        />
        <TextInput
          name="clientId"
          label="Client ID"
          spellCheck={false}
          defaultValue={value("clientId")}
          error={errors.clientId}
        />
        <TextInput
          name="clientSecret"
          label="Client secret"
          hint={
            provider?.secretStored
              ? "A secret is stored, encrypted. Leave this empty to keep it."
              : "Stored encrypted. Or leave it empty and name the server's environment variable that holds it below."
          }
          type="password"
          autoComplete="off"
          error={errors.clientSecret}
        />
        <TextInput
          name="clientSecretEnv"
          label="Or: environment variable holding the client secret"
          hint="Like SSO_CLIENT_SECRET. Set by whoever runs the server."
          spellCheck={false}
          defaultValue={value("clientSecretEnv")}
          error={errors.clientSecretEnv}
        />
        <TextInput
          name="emailDomains"
          label="Your staff's email domains"
          hint="Separated by commas, like wirral.gov.uk, wirral.nhs.uk"
          spellCheck={false}
          defaultValue={value("emailDomains")}
          error={errors.emailDomains}
        />
        <Radios
          name="passwordSignIn"
          legend="Can staff still sign in with a password?"
          hint="Administrators with a password can always sign in with it, so that someone can get in when your provider cannot."
          options={[
            { value: "yes", label: "Yes" },
            { value: "no", label: "No, only through the provider (staff get no set-password e-mails)" },
          ]}
          defaultValue={value("passwordSignIn") || "yes"}
          error={errors.passwordSignIn}
        />
        <Radios
          name="provesFreshAuth"
          legend="Does your provider send auth_time?"
          hint="Entra sends it once you add the auth_time optional claim. Google does not: staff without a password then sign with a signing passphrase."
          options={[
            { value: "yes", label: "Yes: staff sign in again at the provider to sign" },
            { value: "no", label: "No: staff set a signing passphrase here" },
          ]}
          defaultValue={value("provesFreshAuth") || "no"}
          error={errors.provesFreshAuth}
        />
        <Button once>Save sign-in settings</Button>
      </Form>
    </TwoThirds>
  );
}
