import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { changeWitnessEmail, witnessSettings } from "~/attestation/witness.server";
import { requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { NotificationBanner } from "~/components/notification-banner";
import { TextInput } from "~/components/text-input";
import { TwoThirds } from "~/components/two-thirds";
import { witnessSchema } from "~/organisations/forms";

export const meta: MetaFunction = () => [{ title: "Ledger witness – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  return json(await witnessSettings(context.db, admin.organisationId));
}

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const form = Object.fromEntries(await request.formData()) as Record<string, string>;
  const parsed = witnessSchema.safeParse(form);
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error), values: form }, { status: 400 });
  // Saving the address already set changes nothing and writes nothing, so a second submit is harmless.
  await changeWitnessEmail(context.db, admin, parsed.data, requestInfo(context));
  return redirect("/admin/ledger-witness?saved=1");
}

export default function LedgerWitness() {
  const { email } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const saved = new URLSearchParams(useLocation().search).has("saved");
  const errors = actionData?.errors ?? {};
  return (
    <TwoThirds>
      {actionData ? <ErrorSummary errors={errors} fieldIds={{ email: "email" }} /> : null}
      {saved ? <NotificationBanner id="saved" success heading="Your change has been saved." /> : null}
      <h1 className="govuk-heading-l">Ledger witness</h1>
      <p className="govuk-body">
        Every day the service signs a checkpoint of your council&rsquo;s signed records: how many there are and a hash
        of them all. Name an address outside the service, such as internal audit&rsquo;s, and each day&rsquo;s
        checkpoint is e-mailed there when the service sends its daily reminders. Kept there, it proves later that no
        record it covers was removed or rewritten since.
      </p>
      <Form method="post">
        <CsrfInput />
        <TextInput
          name="email"
          label="Witness email address"
          hint="Leave it empty to send the checkpoints nowhere"
          type="email"
          autoComplete="off"
          spellCheck={false}
          defaultValue={actionData ? (actionData.values.email ?? "") : (email ?? "")}
          error={errors.email}
        />
        <Button once>Save</Button>
      </Form>
    </TwoThirds>
  );
}
