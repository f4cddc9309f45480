import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { notFound, requireUser } from "~/auth/access.server";
import { AttemptsTable } from "~/components/attempts-table";
import { moduleOverview, startOrResumeAttempt } from "~/training/attempts.server";
import { BackToTraining, StartModuleForm } from "~/components/start-module-form";
import { TwoThirds } from "~/components/two-thirds";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.module.title ?? "Training"} – Social media code of conduct` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const overview = await moduleOverview(context.db, user, params.moduleSlug ?? "");
  if (!overview) throw notFound();
  return json(overview);
}

/** Start or resume: the same POST from two tabs or twice gives one attempt. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context);
  const attemptId = await startOrResumeAttempt(context.db, user, params.moduleSlug ?? "", context.now(), context.pick);
  if (!attemptId) throw notFound();
  return redirect(`/training/${params.moduleSlug}/attempts/${attemptId}`);
}

export default function ModuleOverview() {
  const { module, attempts } = useLoaderData<typeof loader>();
  const inProgress = attempts.find((a) => a.status === "in_progress");
  const passed = attempts.some((a) => a.status === "passed");
  return (
    <TwoThirds>
      <span className="govuk-caption-l">Training</span>
      <h1 className="govuk-heading-l">{module.title}</h1>
      <p className="govuk-body">{module.summary}</p>
      <h2 className="govuk-heading-m">How it works</h2>
      <ul className="govuk-list govuk-list--bullet">
        <li>The module has {module.questions} questions. Each one describes a situation and asks what you would do.</li>
        <li>
          To pass, you need {module.passMark}% of them right: at least {module.toPass} of {module.questions}.
        </li>
        <li>
          Some answers lead to a follow-up question. Follow-up questions help you learn and do not count towards your
          score.
        </li>
        <li>You can stop at any time and carry on later, on this or another device.</li>
      </ul>
      <StartModuleForm
        slug={module.slug}
        label={
          inProgress
            ? "Continue where you left off"
            : passed
              ? "Take the module again"
              : attempts.length > 0
                ? "Try again"
                : "Start the module"
        }
      />
      {attempts.length > 0 ? (
        <AttemptsTable caption="Your attempts" attempts={attempts.map((a) => ({ ...a, moduleSlug: module.slug }))} />
      ) : null}
      <BackToTraining />
    </TwoThirds>
  );
}
