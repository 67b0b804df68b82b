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
