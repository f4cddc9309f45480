import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors } from "~/components/form-errors";
import { TextInput } from "~/components/text-input";
import { TwoThirds } from "~/components/two-thirds";
import { useValidatedForm } from "~/components/validated-form";
import { teamNameSchema } from "~/people/forms";
import { createTeam } from "~/people/teams.server";

export const meta: MetaFunction = () => [{ title: "Create a team – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context, ["admin"]);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const form = Object.fromEntries(await request.formData());
  const parsed = teamNameSchema.safeParse(form);
  const value = typeof form.name === "string" ? form.name : "";
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error), value }, { status: 400 });
  const created = await createTeam(context.db, admin, parsed.data, { ...requestInfo(context), now: context.now() });
  if (!created.ok) return json({ errors: created.errors, value }, { status: 400 });
  return redirect(`/admin/teams/${created.team.id}?done=created`);
}

export default function NewTeam() {
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(teamNameSchema, actionData?.errors);
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      <Form method="post" onSubmit={onSubmit} noValidate>
        <CsrfInput />
        <h1 className="govuk-heading-l">Create a team</h1>
        <TextInput
          {...register("name")}
          label="Team name"
          hint="As your staff know it, for example Children in Care North"
          error={errors.name}
          defaultValue={actionData?.value}
          autoComplete="off"
          spellCheck={false}
        />
        <div className="govuk-button-group">
          <Button once>Create team</Button>
          <Link className="govuk-link" to="/admin/teams">
            Cancel
          </Link>
        </div>
      </Form>
    </TwoThirds>
  );
}
