-- Warn when strangers can become `authenticated` (issue 11, item 12). Anyone who signs up
-- through Supabase Auth gets the authenticated role, which reads signals, symbols, outcomes and relay
-- status. Whether sign-ups are enabled is Auth's configuration, which is not in Postgres on Supabase
-- (config.toml's enable_signup only affects `supabase start`), so this reads the evidence Auth
-- leaves in the database instead:
--   * auth.users rows with is_anonymous: anonymous sign-ins are (or were) enabled;
--   * auth.audit_log_entries 'user_signedup' entries whose actor is the new user itself, for users
--     who were not invited: self sign-up (users made in the dashboard or with the admin API are
--     logged with the admin as actor; Auth can be told not to write this log at all).
-- No evidence is not proof that sign-ups are off: the README says what to switch off.
-- api.status_warnings() turns the evidence into sentences; `deno task db:check` prints them (api.status
-- is defined by a later migration, which can include them for /status).

-- Evidence of self sign-up: {available, users, anonymous_users, self_signups, last_self_signup_at}
-- (available = false where there is no readable auth.users, e.g. plain Postgres; counts null when
-- the column or table they need is missing). Security definer: service_role may not read auth.
create or replace function private.auth_signups()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  users bigint;
  anonymous bigint;
  self_made bigint;
  last_at timestamptz;
begin
  if to_regclass('auth.users') is null then
    return jsonb_build_object('available', false);
  end if;
  begin
    -- Dynamic SQL through format(): the auth schema may not exist where this is created or linted.
    execute format('select count(*) from %I.%I', 'auth', 'users') into users;
    if exists (select 1 from pg_catalog.pg_attribute a
               where a.attrelid = to_regclass('auth.users') and a.attname = 'is_anonymous' and not a.attisdropped) then
      execute format('select count(*) from %I.%I u where u.is_anonymous', 'auth', 'users') into anonymous;
    end if;
    if to_regclass('auth.audit_log_entries') is not null then
      execute format($q$
        select count(*), max(e.created_at)
        from %I.audit_log_entries e
        join %I.users u on u.id::text = e.payload ->> 'actor_id'
        where e.payload ->> 'action' = 'user_signedup' and u.invited_at is null
          and not coalesce((to_jsonb(u) ->> 'is_anonymous')::boolean, false)
      $q$, 'auth', 'auth') into self_made, last_at;
    end if;
  exception when insufficient_privilege then
    return jsonb_build_object('available', false);
  end;
  return jsonb_build_object('available', true, 'users', users, 'anonymous_users', anonymous,
    'self_signups', self_made, 'last_self_signup_at', last_at);
end
$$;
comment on function private.auth_signups() is
  'Evidence that strangers can sign up: auth users, anonymous users, self sign-ups in the auth audit log (available = false without a readable auth schema).';
revoke all on function private.auth_signups() from public, anon, authenticated;
grant execute on function private.auth_signups() to service_role;

-- Warnings for people about the deployed database, as a JSON array of sentences (empty when nothing
-- is wrong): sign-ups that look open (private.auth_signups) and stored settings that fail
-- validation (written before private.config was checked on write). `deno task db:check` prints them.
create or replace function api.status_warnings()
returns jsonb
language sql
stable
set search_path = ''
as $$
  with auth as (select private.auth_signups() as a)
  select to_jsonb(array_remove(array[
    case when ((select a from auth) ->> 'anonymous_users')::bigint > 0 then format(
      '%s anonymous Auth users exist: anonymous sign-ins are (or were) on, and each such user is authenticated and reads signals. Supabase dashboard: Authentication > Sign In / Providers > switch off anonymous sign-ins.',
      (select a from auth) ->> 'anonymous_users') end,
    case when ((select a from auth) ->> 'self_signups')::bigint > 0 then format(
      '%s Auth users signed themselves up (last %s): sign-ups look open, and anyone who signs up is authenticated and reads signals. Supabase dashboard: Authentication > Sign In / Providers > switch off "Allow new users to sign up".',
      (select a from auth) ->> 'self_signups', (select a from auth) ->> 'last_self_signup_at') end
  ], null) || coalesce((
    select array_agg(format('setting %s in private.config is invalid: %s (the jobs that read it fail; set a valid value)',
      c.key, private.setting_problem(c.key, c.value)) order by c.key)
    from private.config c where private.setting_problem(c.key, c.value) is not null), '{}'))
$$;
comment on function api.status_warnings() is
  'Warnings about the deployed database as a JSON array of sentences: sign-ups that look open (auth evidence), invalid stored settings.';
revoke all on function api.status_warnings() from public, anon, authenticated;
grant execute on function api.status_warnings() to service_role;
