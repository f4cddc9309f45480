import { json, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { NotificationBanner } from "~/components/notification-banner";
import { Table } from "~/components/table";
import { formatDateTime } from "~/lib/dates";
import { decideEmailChange, pendingEmailChanges } from "~/people/email-changes.server";

export const meta: MetaFunction = () => [{ title: "Email address changes – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  return json({ changes: await pendingEmailChanges(context.db, admin) });
}

const actionSchema = z.object({ changeId: z.string().uuid(), decision: z.enum(["confirm", "reject"]) });

type ActionData = { error: string | null; done: string | null };

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const parsed = actionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return json<ActionData>({ error: "Choose a change from the list", done: null }, { status: 400 });
  const result = await decideEmailChange(context.db, admin, parsed.data, {
    ...requestInfo(context),
    now: context.now(),
  });
  switch (result.outcome) {
    case "not-found":
      throw notFound();
    case "rejected":
      return json<ActionData>({
        error: null,
        done: `The change to ${result.personName}’s email address was rejected.`,
      });
    case "confirmed":
      context.wakeMailQueue();
      return json<ActionData>({
        error: null,
        done: `${result.personName}’s email address was changed. They were signed out and their old address was told.${result.hasPassword ? "" : " They have not set a password yet: give them a link from the People page."}`,
      });
    case "stale":
      return json<ActionData>(
        {
          done: null,
          error: `${result.personName}’s email address or account has changed since this was asked for. Reject it, and ask HR to import the file again if it is still needed.`,
        },
        { status: 409 },
      );
    case "taken":
      return json<ActionData>(
        {
          done: null,
          error: `The new address for ${result.personName} belongs to employee number ${result.holder}. That person’s address must change first.`,
        },
        { status: 409 },
      );
  }
}

export default function EmailChanges() {
  const { changes } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <ErrorSummary errors={{ form: actionData?.error ?? undefined }} />
      {actionData?.done ? <NotificationBanner id="decided" success heading={actionData.done} /> : null}
      <h1 className="govuk-heading-l">Email address changes</h1>
      <p className="govuk-body">
        A staff roster import asked for these changes. Whoever reads the new address can reset the password and sign in
        as the person, so check each with them or their manager before you confirm it. Confirming signs them out, stops
        any password link sent before, and emails the old address to say so.
      </p>
      {changes.length === 0 ? (
        <p className="govuk-body">There are no changes waiting.</p>
      ) : (
        <Table
          caption="Waiting for you"
          rows={changes}
          rowKey={(c) => c.id}
          columns={[
            {
              header: "Person",
              cell: (c) => (
                <>
                  {c.personName}
                  <br />
                  <span className="govuk-hint govuk-!-font-size-16">Employee number {c.employeeNumber}</span>
                </>
              ),
            },
            {
              header: "Change",
              cell: (c) => (
                <span className="app-break-word">{`${c.fromEmail ?? "No email address"} to ${c.toEmail}`}</span>
              ),
            },
            { header: "Asked for", cell: (c) => `By ${c.requestedBy}, ${formatDateTime(c.requestedAt)}` },
            {
              header: <span className="govuk-visually-hidden">Decision</span>,
              cell: (c) => (
                <Form method="post">
                  <CsrfInput />
                  <input type="hidden" name="changeId" value={c.id} />
                  <div className="govuk-button-group govuk-!-margin-bottom-0">
                    <Button once className="govuk-!-margin-bottom-0" name="decision" value="confirm">
                      Confirm<span className="govuk-visually-hidden"> the change for {c.personName}</span>
                    </Button>
                    <Button once secondary className="govuk-!-margin-bottom-0" name="decision" value="reject">
                      Reject<span className="govuk-visually-hidden"> the change for {c.personName}</span>
                    </Button>
                  </div>
                </Form>
              ),
            },
          ]}
        />
      )}
      <p className="govuk-body">
        <Link className="govuk-link" to="/admin/people">
          People
        </Link>
      </p>
    </>
  );
}
