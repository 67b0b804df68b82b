-- api.status_warnings() (printed by `deno task db:check`) warns when the auth schema shows that
-- strangers can sign up (anonymous users, self sign-ups in Auth's audit log). The auth tables here
-- stand in for Supabase Auth's own (same names and column types as supabase/auth's migrations);
-- plain Postgres has no auth schema.
begin;
create extension if not exists pgtap with schema extensions;
select plan(10);

select is(private.auth_signups(), '{"available": false}'::jsonb, 'without an auth schema the evidence is unavailable');
select is(api.status_warnings(), '[]'::jsonb, 'and nothing is claimed');

create schema auth;
create table auth.users (id uuid primary key, email varchar(255), phone text, invited_at timestamptz,
  created_at timestamptz default now(), is_anonymous boolean not null default false);
create table auth.audit_log_entries (instance_id uuid, id uuid primary key, payload json,
  created_at timestamptz default now(), ip_address varchar(64) not null default '');
-- A user made in the dashboard (the admin is the actor) and an invited user who accepted.
insert into auth.users (id, email, invited_at) values
  ('11111111-1111-1111-1111-111111111111', 'owner@example.com', null),
  ('22222222-2222-2222-2222-222222222222', 'friend@example.com', now() - interval '2 days');
insert into auth.audit_log_entries (id, payload) values
  (gen_random_uuid(), '{"action": "user_signedup", "actor_id": "00000000-0000-0000-0000-000000000000", "actor_username": "service_role", "log_type": "team", "traits": {"user_id": "11111111-1111-1111-1111-111111111111"}}'),
  (gen_random_uuid(), '{"action": "user_signedup", "actor_id": "22222222-2222-2222-2222-222222222222", "actor_username": "friend@example.com", "log_type": "team"}');
select is(private.auth_signups(), '{"available": true, "users": 2, "anonymous_users": 0, "self_signups": 0, "last_self_signup_at": null}'::jsonb,
  'users made by the owner or invited are not evidence');
select is(api.status_warnings(), '[]'::jsonb, 'so no warning');

-- A stranger signs up, and an anonymous sign-in happens.
insert into auth.users (id, email) values ('33333333-3333-3333-3333-333333333333', 'stranger@example.com');
insert into auth.users (id, is_anonymous) values ('44444444-4444-4444-4444-444444444444', true);
insert into auth.audit_log_entries (id, payload, created_at) values
  (gen_random_uuid(), '{"action": "user_signedup", "actor_id": "33333333-3333-3333-3333-333333333333", "actor_username": "stranger@example.com", "log_type": "team", "traits": {"provider": "email"}}', '2026-11-01 12:00+00'),
  (gen_random_uuid(), '{"action": "user_signedup", "actor_id": "44444444-4444-4444-4444-444444444444", "log_type": "team", "traits": {"provider": "anonymous"}}', now());
select is((private.auth_signups() ->> 'self_signups')::integer, 1, 'one self sign-up is counted');
select is((private.auth_signups() ->> 'anonymous_users')::integer, 1, 'one anonymous user is counted');
select ok((api.status_warnings() ->> 0) like '1 anonymous Auth users exist%Authentication > Sign In / Providers%',
  'the anonymous sign-in warning says where to switch it off');
select ok((api.status_warnings() ->> 1) like '1 Auth users signed themselves up (last 2026-11-01%): sign-ups look open%Allow new users to sign up%',
  'the sign-up warning says where to switch it off');

-- Settings stored before validation existed are reported too.
alter table private.config disable trigger config_check_setting;
insert into private.config (key, value) values ('wake_timeout_ms', 'abc') on conflict (key) do update set value = excluded.value;
alter table private.config enable trigger config_check_setting;
select is(jsonb_array_length(api.status_warnings()), 3, 'an invalid stored setting adds a warning');
select is(api.status_warnings() ->> 2,
  'setting wake_timeout_ms in private.config is invalid: must be an integer from 100 to 600000 (the jobs that read it fail; set a valid value)',
  'naming the setting and the rule');

select * from finish();
rollback;
