-- Local prelude, part 1: what a Supabase project provides and plain Postgres lacks.
-- Applied by scripts/db/migrate.ts ONLY when the database is not Supabase (no role supabase_admin);
-- every statement is guarded, so applying it twice changes nothing.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

-- Supabase lets the postgres role switch into the API roles (`set local role anon` in tests).
grant anon, authenticated, service_role to postgres;

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;

-- Supabase grants every new object in public to the API roles (RLS then decides), once, when the
-- project is created; the migrations revoke that for anon and authenticated. Mirror it so local tests
-- see the same privileges as production: only on a database that has no default privileges in public
-- yet, so applying the prelude again does not undo the migrations' revokes.
do $$
begin
  if not exists (select 1 from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace
                 where n.nspname = 'public') then
    alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
    alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
    alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
  end if;
end
$$;

-- Supabase's search path for the postgres role.
do $$
begin
  execute format('alter database %I set search_path = "$user", public, extensions', current_database());
end
$$;

-- Realtime's publication (Supabase creates it empty).
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;
