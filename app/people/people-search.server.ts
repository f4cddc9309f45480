import { sql } from "drizzle-orm";
import { queryRows, type Db } from "~db/client.server";
import { PERSON_SEARCH_TEXT, type Role } from "~db/schema";

export const SEARCH_PAGE_SIZE = 25;

export type FoundPerson = {
  id: string;
  name: string;
  email: string | null;
  employeeNumber: string;
  role: Role;
  active: boolean;
  teamName: string | null;
};

/**
 * What the admin typed as a text search query: every word of it, in the form the index holds, as a prefix, all
 * required ("jan smi" finds Jane Smith; "smith jane" too). Built by PostgreSQL's own parser, so nothing typed is
 * ever read as query syntax. docs/decisions/0017.
 */
const prefixQuery = (typed: string) =>
  sql`(select to_tsquery('simple', string_agg(quote_literal(word) || ':*', ' & '))
         from unnest(tsvector_to_array(to_tsvector('simple', ${typed}))) as word)`;

/**
 * People of the council whose name, e-mail or employee number has words starting with every word typed, or whose
 * employee number or e-mail is exactly what was typed; by name, a page at a time. One indexed query
 * (users_search_idx, and the unique indexes for the exact matches); `more` says whether a further page exists.
 */
export async function searchPeople(
  db: Db,
  organisationId: string,
  typed: string,
  page: number,
): Promise<{ people: FoundPerson[]; page: number; more: boolean }> {
  const rows = await queryRows<{
    id: string;
    name: string;
    email: string | null;
    employee_number: string;
    role: Role;
    active: boolean;
    team_name: string | null;
  }>(
    db,
    sql`select u.id, u.name, u.email, u.employee_number, u.role, u.active, t.name as team_name
          from (select id, name, email, employee_number, role, active, team_id from users
                 where organisation_id = ${organisationId}::uuid
                   and (to_tsvector('simple'::regconfig, ${PERSON_SEARCH_TEXT}) @@ ${prefixQuery(typed)}
                        or employee_number = ${typed} or lower(email) = lower(${typed}))
                 order by name, id
                 limit ${SEARCH_PAGE_SIZE + 1} offset ${(page - 1) * SEARCH_PAGE_SIZE}) u
          left join teams t on t.id = u.team_id
         order by u.name, u.id`,
  );
  return {
    people: rows.slice(0, SEARCH_PAGE_SIZE).map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      employeeNumber: r.employee_number,
      role: r.role,
      active: r.active,
      teamName: r.team_name,
    })),
    page,
    more: rows.length > SEARCH_PAGE_SIZE,
  };
}
