import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireUser } from "~/auth/access.server";
import { TaskList } from "~/components/task-list";
import { trainingTasks } from "~/tracking/tasks.server";

export const meta: MetaFunction = () => [{ title: "Your training – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return json({
    organisationName: user.organisationName,
    modules: await trainingTasks(context.db, user, context.now()),
  });
}

export default function Training() {
  const { organisationName, modules } = useLoaderData<typeof loader>();
  const passed = modules.filter((m) => m.status === "complete").length;
  return (
    <>
      <h1 className="govuk-heading-l">Your training</h1>
      <p className="govuk-body">
        {organisationName} asks you to pass these modules before you sign its social media code of conduct. Each module
        is a set of situations you might meet at work; after each answer you will see why, with the part of the policy
        it comes from.
      </p>
      {modules.length === 0 ? (
        <p className="govuk-body">{organisationName} has not set any training yet.</p>
      ) : (
        <>
          <p className="govuk-body">
            You have passed {passed} of {modules.length} {modules.length === 1 ? "module" : "modules"}.
          </p>
          <TaskList items={modules} />
        </>
      )}
    </>
  );
}
