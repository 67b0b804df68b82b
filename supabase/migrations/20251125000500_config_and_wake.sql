-- Functions' base URL and shared secret (Vault when the database has it, else a private table),
-- and the wake-up call every trigger and job uses.

create table if not exists private.config (
  key text primary key,
  value text not null,
  updated_at timestamptz not null default now()
);
comment on table private.config is
  'Settings (functions_url, functions_secret when Vault is absent, tuning knobs). Owner and service_role only.';
comment on column private.config.key is 'Setting name.';
comment on column private.config.value is 'Setting value.';
comment on column private.config.updated_at is 'Last change.';
alter table private.config enable row level security;
revoke all on private.config from public, anon, authenticated;
grant select, insert, update, delete on private.config to service_role;

-- Vault access, defined as plain SQL only when Vault exists (so plpgsql checks pass without it).
do $$
begin
  if to_regclass('vault.decrypted_secrets') is not null then
    execute $f$
      create or replace function private.vault_read(secret_name text) returns text
      language sql stable security definer set search_path = ''
      as 'select decrypted_secret from vault.decrypted_secrets where name = secret_name limit 1'
    $f$;
    execute $f$
      create or replace function private.vault_write(secret_name text, secret_value text) returns boolean
      language sql volatile security definer set search_path = ''
      as $b$
        select vault.update_secret(s.id, secret_value) from vault.secrets s where s.name = secret_name;
        select vault.create_secret(secret_value, secret_name)
        where not exists (select 1 from vault.secrets s where s.name = secret_name);
        select true;
      $b$
    $f$;
  else
    create or replace function private.vault_read(secret_name text) returns text
    language sql stable set search_path = '' as 'select null::text';
    create or replace function private.vault_write(secret_name text, secret_value text) returns boolean
    language sql volatile set search_path = '' as 'select false';
  end if;
end
$$;
comment on function private.vault_read(text) is 'Decrypted Vault secret by name; null (always) where Vault is absent.';
comment on function private.vault_write(text, text) is 'Creates or updates a Vault secret; false (nothing stored) where Vault is absent.';
revoke all on function private.vault_read(text) from public, anon, authenticated;
revoke all on function private.vault_write(text, text) from public, anon, authenticated;

-- Reads a setting: Vault's decrypted secret named wyckoff_<key> when Vault exists, else private.config.
create or replace function private.setting(name text)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v text := private.vault_read('wyckoff_' || name);
begin
  if v is not null then
    return v;
  end if;
  select c.value into v from private.config c where c.key = name;
  return v;
end
$$;
comment on function private.setting(text) is
  'A setting: Vault secret wyckoff_<name> when Vault exists, else private.config; null when unset.';

-- Stores the Edge Functions base URL and shared secret (the one documented configuration command).
create or replace function private.configure_functions(url text, secret text)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if url is null or url !~ '^https?://[^ ]+$' then
    raise exception 'configure_functions: url must start with http:// or https:// (got %)', coalesce(url, 'null')
      using errcode = '22023';
  end if;
  if secret is null or length(secret) < 16 then
    raise exception 'configure_functions: secret must be at least 16 characters' using errcode = '22023';
  end if;
  url := rtrim(url, '/');
  if private.vault_write('wyckoff_functions_url', url)
     and private.vault_write('wyckoff_functions_secret', secret) then
    delete from private.config where key in ('functions_url', 'functions_secret');
    return 'vault';
  end if;
  insert into private.config (key, value) values ('functions_url', url), ('functions_secret', secret)
  on conflict (key) do update set value = excluded.value, updated_at = now();
  return 'private.config';
end
$$;
comment on function private.configure_functions(text, text) is
  'Sets the Edge Functions base URL (e.g. https://<ref>.supabase.co/functions/v1) and the shared secret sent as x-wake-secret; returns where they were stored (vault or private.config).';

-- Sends one wake-up POST to <functions_url>/<fn> through pg_net (sent after commit). Never raises:
-- wake-ups are hints, the tables are the record. Returns the pg_net request id, or null when not sent.
create or replace function private.wake(fn text, body jsonb)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  base text := private.setting('functions_url');
  secret text := private.setting('functions_secret');
  request_id bigint;
begin
  if base is null or secret is null then
    raise notice 'wake(%): functions_url/functions_secret not configured; run private.configure_functions', fn;
    return null;
  end if;
  if to_regproc('net.http_post') is null then
    raise notice 'wake(%): pg_net (net.http_post) is not installed', fn;
    return null;
  end if;
  begin
    select net.http_post(
      url := base || '/' || fn,
      body := body,
      headers := jsonb_build_object('Content-Type', 'application/json', 'x-wake-secret', secret),
      timeout_milliseconds := coalesce(private.setting('wake_timeout_ms')::integer, 5000)
    ) into request_id;
  exception when others then
    raise warning 'wake(%): net.http_post failed: %', fn, sqlerrm;
    return null;
  end;
  return request_id;
end
$$;
comment on function private.wake(text, jsonb) is
  'One pg_net POST to <functions_url>/<fn> with header x-wake-secret; a hint only: never raises, null when unconfigured.';

revoke all on function private.setting(text) from public, anon, authenticated;
revoke all on function private.configure_functions(text, text) from public, anon, authenticated;
revoke all on function private.wake(text, jsonb) from public, anon, authenticated;
grant execute on function private.setting(text) to service_role;
grant execute on function private.configure_functions(text, text) to service_role;
grant execute on function private.wake(text, jsonb) to service_role;
