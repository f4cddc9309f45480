import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { requireRole } from "~/auth/access.server";
import { Button } from "~/components/button";
import { Pagination } from "~/components/pagination";
import { Table } from "~/components/table";
import { TextInput } from "~/components/text-input";
import { searchSchema } from "~/people/forms";
import { searchPeople } from "~/people/people-search.server";
import { listPeople } from "~/people/people.server";

export const meta: MetaFunction = () => [{ title: "People – Social media code of conduct" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireRole(request, context, ["admin"]);
  const { q, page } = searchSchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  if (q) {
    const found = await searchPeople(context.db, admin.organisationId, q, page);
    return json({ q, people: found.people, page, pageCount: found.more ? page + 1 : page, total: null });
  }
  const listed = await listPeople(context.db, admin.organisationId, page);
  return json({ q, people: listed.people, page: listed.page, pageCount: listed.pageCount, total: listed.total });
}

type Person = {
  id: string;
  name: string;
  email: string | null;
  employeeNumber: string;
  teamName: string | null;
  role: string;
  active: boolean;
};

const ROLE_LABELS: Record<string, string> = { staff: "Staff", hr: "HR officer", admin: "Administrator" };

export default function People() {
  const { q, people, page, pageCount, total } = useLoaderData<typeof loader>();
  const caption = q
    ? people.length === 0
      ? `Nobody found for “${q}”`
      : `People found for “${q}”${pageCount > 1 || page > 1 ? `, page ${page}` : ""}`
    : `${total} people, page ${page} of ${pageCount}`;
  return (
    <>
      <h1 className="govuk-heading-l">People</h1>
      <p className="govuk-body">
        Open a person&apos;s page to move them to another team, change their role, name them a champion, give them a
        link to set their password, or deactivate them. Teams are on <Link to="/admin/teams">Manage teams</Link>.
      </p>
      <Form method="get" role="search">
        <TextInput
          name="q"
          type="search"
          label={<span className="govuk-label--s">Find a person</span>}
          hint="Their name (or part of it), e-mail address or employee number"
          defaultValue={q}
          maxLength={200}
          spellCheck={false}
          autoComplete="off"
        />
        <Button secondary>Search</Button>
      </Form>
      <Table<Person>
        caption={caption}
        rows={people}
        rowKey={(p) => p.id}
        columns={[
          {
            header: "Name",
            rowHeader: true,
            cell: (p) => (
              <>
                <Link className="govuk-link" to={`/admin/people/${p.id}`}>
                  {p.name}
                </Link>
                <br />
                <span className="govuk-hint govuk-!-font-size-16 app-break-word">
                  {p.email ?? "No email address"}, {p.employeeNumber}
                </span>
              </>
            ),
          },
          { header: "Team", cell: (p) => p.teamName ?? "No team" },
          { header: "Role", cell: (p) => ROLE_LABELS[p.role] ?? p.role },
          { header: "Status", cell: (p) => (p.active ? "Active" : "Deactivated") },
        ]}
      />
      <Pagination
        page={page}
        pageCount={pageCount}
        href={(n) => `?${new URLSearchParams({ ...(q ? { q } : {}), page: String(n) }).toString()}`}
      />
    </>
  );
}
