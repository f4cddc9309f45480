import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { TwoThirds } from "~/components/two-thirds";
import { WarningText } from "~/components/warning-text";
import { deactivatePerson, personForAdmin } from "~/people/people.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `Deactivate ${data?.person.name ?? "person"} – People – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.userId)) throw notFound();
  const person = await personForAdmin(context.db, admin, params.userId);
  if (!person) throw notFound();
  if (!person.active) throw redirect(`/admin/people/${person.id}`);
  return json({
    person: { id: person.id, name: person.name, employeeNumber: person.employeeNumber, championOf: person.championOf },
  });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  if (!isUuid(params.userId)) throw notFound();
  const result = await deactivatePerson(context.db, admin, params.userId, {
    ...requestInfo(context),
    now: context.now(),
  });
  if (!result) throw notFound();
  if (!result.ok) return json({ errors: result.errors }, { status: 400 });
  return redirect(`/admin/people/${params.userId}?done=deactivated`);
}

export default function DeactivatePerson() {
  const { person } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <TwoThirds>
      <ErrorSummary errors={actionData?.errors ?? {}} />
      <span className="govuk-caption-l">People</span>
      <h1 className="govuk-heading-l">
        Deactivate {person.name} ({person.employeeNumber})?
      </h1>
      <p className="govuk-body">
        They will be signed out everywhere and can no longer sign in. They leave their team and every figure from today;
        reports of earlier dates still count them, and every record they signed is kept.
      </p>
      {person.championOf.length > 0 ? (
        <p className="govuk-body">
          They will stop being champion of {person.championOf.map((t) => t.name).join(", ")}.
        </p>
      ) : null}
      <WarningText>You can reactivate them later from their page.</WarningText>
      <Form method="post">
        <CsrfInput />
        <div className="govuk-button-group">
          <Button warning once>
            Deactivate {person.name}
          </Button>
          <Link className="govuk-link" to={`/admin/people/${person.id}`}>
            Cancel
          </Link>
        </div>
      </Form>
    </TwoThirds>
  );
}
