-- Extensions (each only where the server offers it) and the project's non-exposed schemas.
-- Runs unchanged on Supabase (pg_net, pg_cron, vault available) and on plain Postgres (the local
-- prelude provides a pg_net-compatible `net` schema; pg_cron is optional).

create schema if not exists extensions;

do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_net')
     and not exists (select 1 from pg_extension where extname = 'pg_net')
     and to_regnamespace('net') is null then
    create extension pg_net with schema extensions;
  end if;
  -- pg_cron needs shared_preload_libraries; creating it elsewhere fails, so try and move on.
  if exists (select 1 from pg_available_extensions where name = 'pg_cron')
     and not exists (select 1 from pg_extension where extname = 'pg_cron') then
    begin
      create extension pg_cron with schema pg_catalog;
    exception when others then
      raise notice 'pg_cron not loaded (%); cron jobs are not registered', sqlerrm;
    end;
  end if;
end
$$;

-- api: the database API the TypeScript side calls (service_role / postgres only; not exposed).
create schema if not exists api;
comment on schema api is
  'Database API of the pipeline (ingest, analysis state, signals, notifications, Discord commands). Not exposed over PostgREST; granted to service_role only.';
revoke all on schema api from public;
grant usage on schema api to service_role;

-- private: configuration, wake-ups and scheduled jobs. Never exposed.
create schema if not exists private;
comment on schema private is
  'Internal configuration, wake-up calls and scheduled jobs. Not exposed; owner and service_role only.';
revoke all on schema private from public;
grant usage on schema private to service_role;

-- Closed by default: nothing this project (or a later migration) creates in public, api or private is
-- granted to anon or authenticated unless a migration grants it explicitly. Supabase grants every new
-- object in public to both roles; the revokes below remove that for objects the migration role
-- creates. Functions are executable by PUBLIC unless that default is revoked, which can only be done
-- database-wide; schema extensions keeps it, so extensions installed there behave as usual.
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated;
alter default privileges in schema api revoke all on tables from anon, authenticated;
alter default privileges in schema api revoke all on sequences from anon, authenticated;
alter default privileges in schema api revoke all on functions from anon, authenticated;
alter default privileges in schema private revoke all on tables from anon, authenticated;
alter default privileges in schema private revoke all on sequences from anon, authenticated;
alter default privileges in schema private revoke all on functions from anon, authenticated;
alter default privileges revoke execute on functions from public;
alter default privileges in schema extensions grant execute on functions to public;
