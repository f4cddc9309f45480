import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { isUuid, notFound, requireUser } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { fieldErrors, type FieldErrors } from "~/components/form-errors";
import { Radios } from "~/components/radios";
import { useValidatedForm } from "~/components/validated-form";
import { answerQuestion, attemptState } from "~/training/attempts.server";
import { answerSchema } from "~/training/forms";
import { NotificationBanner } from "~/components/notification-banner";
import { TwoThirds } from "~/components/two-thirds";
import { questionLabel } from "~/components/question-label";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: `${data ? `${questionLabel(data)}: ${data.module.title}` : "Training"} – Social media code of conduct`,
  },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  if (!isUuid(params.attemptId)) throw notFound();
  const state = await attemptState(context.db, user, params.moduleSlug ?? "", params.attemptId);
  if (!state) throw notFound();
  if (state.kind === "result") throw redirect(`/training/${state.module.slug}/attempts/${state.attemptId}/result`);
  return json(state);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  if (!isUuid(params.attemptId)) throw notFound();
  const slug = params.moduleSlug ?? "";
  const parsed = answerSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return json({ errors: fieldErrors(parsed.error), notice: null }, { status: 400 });
  const result = await answerQuestion(context.db, user, slug, params.attemptId, parsed.data, context.now());
  switch (result.outcome) {
    case "recorded":
      return redirect(`/training/${slug}/attempts/${params.attemptId}/answers/${result.step}`);
    case "not-found":
      throw notFound();
    case "invalid":
      return json(
        { errors: { choiceId: "Select one of the answers shown" } as FieldErrors, notice: null },
        { status: 400 },
      );
    case "stale":
      return json(
        {
          errors: {} as FieldErrors,
          notice:
            "That answer was not recorded: the question had already been answered, or the page was out of date. Your answers so far are saved. This is the question to answer now.",
        },
        { status: 409 },
      );
  }
}

export default function Question() {
  const state = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { register, onSubmit, errors } = useValidatedForm(answerSchema, actionData?.errors);
  return (
    <TwoThirds>
      <ErrorSummary errors={errors} />
      {actionData?.notice ? <NotificationBanner id="notice" heading={actionData.notice} /> : null}
      <span className="govuk-caption-l">
        {state.module.title}: {questionLabel(state)}
      </span>
      <h2 className="govuk-heading-m">{state.scenario.title}</h2>
      {state.scenario.situation.split(/\n\s*\n/).map((paragraph, i) => (
        <p className="govuk-body" key={i}>
          {paragraph}
        </p>
      ))}
      <Form method="post" noValidate onSubmit={onSubmit} key={state.step}>
        <CsrfInput />
        <input type="hidden" value={state.scenario.id} {...register("scenarioId")} />
        <input type="hidden" value={state.step} {...register("step")} />
        <Radios
          legend={state.scenario.question}
          legendIsPageHeading
          error={errors.choiceId}
          options={state.scenario.choices.map((c) => ({ value: c.id, label: c.text }))}
          {...register("choiceId")}
        />
        <Button once>Submit answer</Button>
      </Form>
    </TwoThirds>
  );
}
