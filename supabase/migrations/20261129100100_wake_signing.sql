-- Signed wake-ups. pg_net copies every request, headers included, into net.http_request_queue,
-- which pg_net grants to every role; a shared secret sent as a header could be read there. Each
-- wake-up now carries an HMAC-SHA256 signature instead (RFC 2104, with pgcrypto's hmac()):
--   x-wake-timestamp: <unix ms>
--   x-wake-signature: v1=<hex HMAC-SHA256(key, "<timestamp>.<body>")>
-- where <body> is exactly the bytes pg_net sends (body::text, as pg_net's http_post converts it) and
-- the key is the `functions_secret` setting (Vault on Supabase). The functions verify it and refuse
-- stale (> 5 minutes) or tampered requests; the key itself never leaves the database except to the
-- functions through api.wake_key().

do $$
begin
  if not exists (select 1 from pg_extension where extname = 'pgcrypto') then
    create extension pgcrypto with schema extensions;
  end if;
end
$$;

-- The signature header value for one wake-up body at one time (see the file comment).
create or replace function private.wake_signature(ts_ms bigint, body text, key text)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  ext text := (select n.nspname from pg_catalog.pg_extension e
               join pg_catalog.pg_namespace n on n.oid = e.extnamespace where e.extname = 'pgcrypto');
  mac bytea;
begin
  -- pgcrypto lives in `extensions` on Supabase and here; look it up rather than assume.
  execute format('select %I.hmac($1, $2, %L)', ext, 'sha256') into mac
    using convert_to(ts_ms::text || '.' || body, 'UTF8'), convert_to(key, 'UTF8');
  return 'v1=' || encode(mac, 'hex');
end
$$;
comment on function private.wake_signature(bigint, text, text) is
  'x-wake-signature value: v1=<hex HMAC-SHA256(key, "<ts_ms>.<body>")> (RFC 2104 via pgcrypto).';

-- Sends one signed wake-up POST to <functions_url>/<fn> through pg_net (sent after commit). Never
-- raises: wake-ups are hints, the tables are the record. Returns the pg_net request id, or null when
-- not sent (unconfigured, or pg_net missing).
create or replace function private.wake(fn text, body jsonb)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  base text := private.setting('functions_url');
  key text := private.setting('functions_secret');
  ts bigint := (extract(epoch from clock_timestamp()) * 1000)::bigint;
  request_id bigint;
begin
  if base is null or key is null then
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
      headers := jsonb_build_object(
        'Content-Type', 'application/json',
        'x-wake-timestamp', ts::text,
        'x-wake-signature', private.wake_signature(ts, body::text, key)),
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
  'One pg_net POST to <functions_url>/<fn>, signed with x-wake-timestamp and x-wake-signature (HMAC-SHA256); a hint only: never raises, null when unconfigured.';

-- The wake-up signing key for the Edge Functions (they connect with SUPABASE_DB_URL and verify each
-- wake-up's signature with it); null when not configured.
create or replace function api.wake_key()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select private.setting('functions_secret')
$$;
comment on function api.wake_key() is
  'The key that signs wake-ups (x-wake-signature), for the functions that verify them; null when unconfigured.';

revoke all on function private.wake_signature(bigint, text, text) from public, anon, authenticated;
revoke all on function private.wake(text, jsonb) from public, anon, authenticated;
revoke all on function api.wake_key() from public, anon, authenticated;
grant execute on function private.wake_signature(bigint, text, text) to service_role;
grant execute on function private.wake(text, jsonb) to service_role;
grant execute on function api.wake_key() to service_role;
