import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { notFound, requestInfo, requireRole } from "~/auth/access.server";
import { passwordLinkUrl } from "~/auth/password-links.server";
import { CsrfInput } from "~/components/csrf-input";
import { ErrorSummary } from "~/components/error-summary";
import { deactivatePerson, issuePasswordLink, listPeople } from "~/people/people.server";
import { NotificationBanner } from "~/components/notification-banner";

export const meta: MetaFunction = () => [{ title: "People – Social media code of conduct" }];

const pageSchema = z.object({ page: z.coerce.number().int().min(1).max(100_000).catch(1) });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const { page } = pageSchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  return listPeople(context.db, admin.organisationId, page);
}

const actionSchema = z.object({
  intent: z.enum(["password-link", "deactivate"]),
  personId: z.string().uuid(),
});

type ActionData = { error?: string; link?: { name: string; url: string }; deactivated?: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const parsed = actionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return Response.json({ error: "Choose a person from the list" } satisfies ActionData, { status: 400 });
  const info = { ...requestInfo(context), now: context.now() };
  if (parsed.data.intent === "password-link") {
    const issued = await issuePasswordLink(context.db, admin, parsed.data.personId, info);
    if (!issued) throw notFound();
    const baseUrl = context.config.serviceUrl ?? new URL(request.url).origin;
    return Response.json({
      link: { name: issued.person.name, url: passwordLinkUrl(baseUrl, issued.token) },
    } satisfies ActionData);
  }
  const person = await deactivatePerson(context.db, admin, parsed.data.personId, info);
  if (!person) throw notFound();
  return Response.json({ deactivated: person.name } satisfies ActionData);
}

export default function People() {
  const { people, page, pageCount, total } = useLoaderData<typeof loader>();
  const actionData = useActionData<ActionData>();
  return (
    <>
      <ErrorSummary errors={{ form: actionData?.error }} />
      <h1 className="govuk-heading-l">People</h1>
      {actionData?.link ? (
        <div className="govuk-panel govuk-panel--confirmation" role="status">
          <h2 className="govuk-panel__title govuk-!-font-size-36">Password link for {actionData.link.name}</h2>
          <div className="govuk-panel__body govuk-!-font-size-19">
            Give this link to them securely. It works once, for 7 days, and is not shown again:
            <p className="app-one-time-link">{actionData.link.url}</p>
          </div>
        </div>
      ) : null}
      {actionData?.deactivated ? (
        <NotificationBanner
          id="deactivated"
          success
          heading={`${actionData.deactivated} can no longer sign in. Their records are kept.`}
        />
      ) : null}
      <table className="govuk-table">
        <caption className="govuk-table__caption govuk-table__caption--m">
          {total} people, page {page} of {pageCount}
        </caption>
        <thead className="govuk-table__head">
          <tr className="govuk-table__row">
            <th scope="col" className="govuk-table__header">
              Name
            </th>
            <th scope="col" className="govuk-table__header">
              Team
            </th>
            <th scope="col" className="govuk-table__header">
              Role
            </th>
            <th scope="col" className="govuk-table__header">
              Status
            </th>
            <th scope="col" className="govuk-table__header">
              <span className="govuk-visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="govuk-table__body">
          {people.map((p) => (
            <tr key={p.id} className="govuk-table__row">
              <td className="govuk-table__cell">
                {p.name}
                <br />
                <span className="govuk-hint govuk-!-font-size-16">
                  {p.email}, {p.employeeNumber}
                </span>
              </td>
              <td className="govuk-table__cell">{p.teamName ?? "No team"}</td>
              <td className="govuk-table__cell">{p.role}</td>
              <td className="govuk-table__cell">{!p.active ? "Left" : p.hasPassword ? "Active" : "No password yet"}</td>
              <td className="govuk-table__cell">
                {p.active ? (
                  <div className="govuk-button-group govuk-!-margin-bottom-0">
                    <Form method="post">
                      <CsrfInput />
                      <input type="hidden" name="personId" value={p.id} />
                      <button
                        className="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                        name="intent"
                        value="password-link"
                      >
                        Password link<span className="govuk-visually-hidden"> for {p.name}</span>
                      </button>
                    </Form>
                    <Form method="post">
                      <CsrfInput />
                      <input type="hidden" name="personId" value={p.id} />
                      <button
                        className="govuk-button govuk-button--warning govuk-!-margin-bottom-0"
                        name="intent"
                        value="deactivate"
                      >
                        Deactivate<span className="govuk-visually-hidden"> {p.name}</span>
                      </button>
                    </Form>
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {pageCount > 1 ? (
        <nav className="govuk-pagination" aria-label="Pagination">
          {page > 1 ? (
            <div className="govuk-pagination__prev">
              <Link className="govuk-link govuk-pagination__link" to={`?page=${page - 1}`} rel="prev">
                <span className="govuk-pagination__link-title">
                  Previous<span className="govuk-visually-hidden"> page</span>
                </span>
              </Link>
            </div>
          ) : null}
          {page < pageCount ? (
            <div className="govuk-pagination__next">
              <Link className="govuk-link govuk-pagination__link" to={`?page=${page + 1}`} rel="next">
                <span className="govuk-pagination__link-title">
                  Next<span className="govuk-visually-hidden"> page</span>
                </span>
              </Link>
            </div>
          ) : null}
        </nav>
      ) : null}
    </>
  );
}
