import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requestInfo, requireTeamAccess, requireUser } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { Textarea } from "~/components/textarea";
import { useValidatedForm } from "~/components/validated-form";
import { formatDate } from "~/lib/dates";
import { NUDGE_MESSAGE_MAX, nudgeSchema } from "~/tracking/forms";
import { nudgeCandidate, nudgeTeam, outstandingCount } from "~/tracking/nudges.server";
import { STATUS_LABELS } from "~/tracking/statuses";
import { serviceUrlOf } from "~/http/request.server";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: `${data?.target === "person" ? `Nudge ${data.person?.name}` : "Nudge everyone outstanding"} – ${data?.team.name ?? "Team"} – Social media code of conduct`,
  },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const team = await requireTeamAccess(context.db, user, params.teamId);
  const url = new URL(request.url);
  const target = url.searchParams.get("target") === "person" ? "person" : "everyone";
  const now = context.now();
  if (target === "person") {
    const personId = url.searchParams.get("personId") ?? undefined;
    if (!isUuid(personId)) throw notFound();
    const person = await nudgeCandidate(context.db, team, personId, now);
    if (!person) throw notFound();
    return json({ team: { id: team.id, name: team.name }, target, person, count: 1, emails: context.mailer !== null });
  }
  return json({
    team: { id: team.id, name: team.name },
    target,
    person: null,
    count: await outstandingCount(context.db, team, now),
    emails: context.mailer !== null,
  });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const team = await requireTeamAccess(context.db, user, params.teamId);
  const parsed = nudgeSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error) }, { status: 400 });
  if (parsed.data.personId !== undefined && !isUuid(parsed.data.personId)) throw notFound();
  const result = await nudgeTeam(context.db, context.mailer, user, team, parsed.data, {
    ...requestInfo(context),
    now: context.now(),
    serviceUrl: serviceUrlOf(context.config, request),
  });
  if (!result.ok) {
    if (result.status === 404) throw notFound();
    return json({ errors: result.errors as FieldErrors }, { status: result.status });
  }
  const person = parsed.data.target === "person" ? `&person=${parsed.data.personId}` : "";
  return redirect(
    `/teams/${team.id}?nudged=${result.nudged.length}&already=${result.alreadyToday.length}${person}#people`,
  );
}

export default function Nudge() {
  const { team, target, person, count, emails } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(nudgeSchema, actionData?.errors);
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} fieldIds={{ target: "message", personId: "message" }} />
      <span className="govuk-caption-l">{team.name}</span>
      <h1 className="govuk-heading-l">{person ? `Nudge ${person.name}` : `Nudge everyone outstanding (${count})`}</h1>
      {person ? (
        <>
          <p className="govuk-body">Still to do:</p>
          <ul className="govuk-list govuk-list--bullet">
            {person.items.map((i) => (
              <li key={i.title}>
                {i.title}: {STATUS_LABELS[i.status].toLowerCase()},{" "}
                {i.status === "overdue" || i.status === "expired" ? "was due" : "due"} by {formatDate(i.dueOn)}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="govuk-body">Everyone in {team.name} with training or a signature outstanding will be nudged.</p>
      )}
      <p className="govuk-body">
        {person ? "They" : "Each person"} will see a notice the next time they use the service
        {emails ? ", and get an e-mail" : ""}. Nobody is nudged more than once a day.
      </p>
      <Form method="post" noValidate onSubmit={onSubmit}>
        <CsrfInput />
        <input type="hidden" value={target} {...register("target")} />
        {person ? <input type="hidden" value={person.id} {...register("personId")} /> : null}
        <Textarea
          label="Add a message (optional)"
          labelClass="govuk-label--s"
          hint={`For example, when you can help. Up to ${NUDGE_MESSAGE_MAX} characters. Do not include anything about service users.`}
          error={errors.message}
          {...register("message")}
        />
        <div className="govuk-button-group">
          <Button once>Send nudge</Button>
          <Link className="govuk-link" to={`/teams/${team.id}#people`}>
            Cancel
          </Link>
        </div>
      </Form>
    </TwoThirds>
  );
}
