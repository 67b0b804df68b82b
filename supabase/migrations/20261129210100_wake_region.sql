-- Wake-ups can be pinned to a region. Supabase runs an Edge Function near its caller, and pg_net calls
-- from the database's region; Binance answers requests from US addresses with HTTP 451, so a project
-- whose database is in a US region must run `backfill` (and any Binance-facing function) elsewhere.
-- Setting functions_region (e.g. eu-central-1) adds the `x-region` header Supabase routes by to every
-- wake-up (`deno task db:configure --functions-region eu-central-1`).

create or replace function private.setting_problem(key text, value text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  lo bigint;
  hi bigint;
begin
  if key !~ '^[a-z][a-z0-9_]{0,62}$' then
    return 'name must be lower-case letters, digits and _ (at most 63)';
  end if;
  if value is null then
    return 'value is required';
  end if;
  case key
    when 'functions_url' then
      if value !~ '^https?://[^\s]+$' or length(value) > 2048 then
        return 'must be an http:// or https:// URL without spaces (at most 2048 characters)';
      end if;
      return null;
    when 'functions_secret' then
      if length(value) < 16 or length(value) > 4096 then
        return 'must be 16 to 4096 characters';
      end if;
      return null;
    when 'functions_region' then
      if value !~ '^[a-z]{2}(-[a-z]+)+-[0-9]$' then
        return 'must be a Supabase region name such as eu-central-1';
      end if;
      return null;
    when 'notify_late_signals' then
      if value not in ('on', 'off') then
        return 'must be on or off';
      end if;
      return null;
    when 'analyzer_config' then
      begin
        if jsonb_typeof(value::jsonb) <> 'object' then
          return 'must be a JSON object';
        end if;
      exception when others then
        return 'must be a JSON object';
      end;
      return null;
    when 'wake_timeout_ms' then lo := 100; hi := 600000;
    when 'notify_max_attempts' then lo := 1; hi := 100;
    when 'outcome_expiry_bars' then lo := 1; hi := 100000;
    when 'gap_lookback_days' then lo := 1; hi := 365;
    else
      return null;
  end case;
  if value !~ '^[0-9]{1,9}$' or value::bigint not between lo and hi then
    return format('must be an integer from %s to %s', lo, hi);
  end if;
  return null;
end
$$;
comment on function private.setting_problem(text, text) is
  'Why a value is invalid for a setting (functions_url, functions_secret, functions_region, wake_timeout_ms, notify_max_attempts, outcome_expiry_bars, gap_lookback_days, notify_late_signals, analyzer_config); null when valid or not a setting this version reads.';
revoke all on function private.setting_problem(text, text) from public, anon, authenticated;
grant execute on function private.setting_problem(text, text) to service_role;

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
  region text := private.setting('functions_region');
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
        'x-wake-signature', private.wake_signature(ts, body::text, key))
        || case when region is null then '{}'::jsonb else jsonb_build_object('x-region', region) end,
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
  'One pg_net POST to <functions_url>/<fn>, signed with x-wake-timestamp and x-wake-signature (HMAC-SHA256), pinned to setting functions_region (x-region) when set; a hint only: never raises, null when unconfigured.';

revoke all on function private.wake(text, jsonb) from public, anon, authenticated;
grant execute on function private.wake(text, jsonb) to service_role;
