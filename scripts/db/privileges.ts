/**
 * What anon and authenticated can reach that they should not, read from the catalog: the check behind
 * `deno task db:check` and the migration-by-migration test (tests/db/closed_while_migrating.test.ts).
 */

import type postgres from "postgres";

/**
 * Privileges anon/authenticated hold that they should not, from the catalog: any write privilege on a
 * table, view or column; SELECT on a table without RLS or without a policy for the role, or on a view
 * that is not security_invoker; any privilege on a sequence; EXECUTE on a function in public, api or
 * private (extension members excepted); USAGE on schemas api and private. One row per leak:
 * `leak` = '<role> can <what> <schema>.<object>'.
 */
export const PRIVILEGE_LEAKS_SQL = `
with roles(r) as (select unnest(array['anon', 'authenticated'])),
rels as (
  select c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity,
    coalesce(c.reloptions @> array['security_invoker=true'], false) as invoker
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname in ('public', 'api', 'private') and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                    and d.objid = c.oid and d.deptype = 'e')
)
select format('%s can %s %s.%s', r, what, nspname, name) as leak from (
  select r, rels.nspname, rels.relname as name, 'write' as what from roles, rels
  where rels.relkind <> 'S' and (
    has_table_privilege(r, rels.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
    or has_any_column_privilege(r, rels.oid, 'INSERT, UPDATE, REFERENCES'))
  union all
  select r, rels.nspname, rels.relname, 'read (no RLS policy lets it)' from roles, rels
  where rels.relkind in ('r', 'p', 'm', 'f') and has_any_column_privilege(r, rels.oid, 'SELECT')
    and not (rels.relrowsecurity and exists (
      select 1 from pg_policy p where p.polrelid = rels.oid
        and (p.polroles = '{0}' or (select oid from pg_roles where rolname = r) = any (p.polroles))))
  union all
  select r, rels.nspname, rels.relname, 'read (view not security_invoker)' from roles, rels
  where rels.relkind = 'v' and has_any_column_privilege(r, rels.oid, 'SELECT') and not rels.invoker
  union all
  select r, rels.nspname, rels.relname, 'use sequence' from roles, rels
  where rels.relkind = 'S' and has_sequence_privilege(r, rels.oid, 'USAGE, SELECT, UPDATE')
  union all
  select r, n.nspname, p.oid::regprocedure::text, 'execute' from roles, pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('public', 'api', 'private') and has_function_privilege(r, p.oid, 'EXECUTE')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                    and d.objid = p.oid and d.deptype = 'e')
  union all
  select r, s, '(schema)', 'use schema' from roles, unnest(array['api', 'private']) s
  where to_regnamespace(s) is not null and has_schema_privilege(r, s, 'USAGE')
) x order by 1`;

/** The privilege leaks of the database `sql` is connected to (empty when it is closed). */
export async function privilegeLeaks(sql: postgres.Sql): Promise<string[]> {
  return (await sql.unsafe(PRIVILEGE_LEAKS_SQL)).map((r) => r.leak as string);
}
