-- Zero-server ingest (issue 9): candles can come from the `ingest` Edge Function, woken every minute
-- by pg_cron, which polls Binance REST for the candles that have just closed, instead of (or besides)
-- the relay process.
--
--   * Setting ingest_mode: relay (default: the relay stores candles, no ingest job), poll (the
--     ingest job, no relay) or both (the relay for speed, the job as a safety net). Writing it
--     adds or removes the job `wyckoff-ingest` in private.jobs and re-registers the jobs with pg_cron.
--   * Setting poll_delay_ms: how long after a close instant, by Binance's clock, the function asks
--     for the candle (Binance's REST view can lag its clock around a close).
--   * The job wakes `ingest` only in a minute where some tracked series has a closed candle it has
--     not stored (by the database's clock, 10 s early at most), so a bot tracking 15m and longer
--     intervals invokes the function 96 times a day, not 1,440.
--   * api.ingest_report: each run's figures and errors, accumulated in relay_status row 'ingest'
--     (the same place the relay reports to), so /status shows a poller's 451 like a relay's.
--   * api.status(): adds ingest_mode, binance_region_refused, each feed's errors, last error and
--     region refusal, and (asked by db-hardening) the sign-up evidence and the deployment warnings.

-- Why value is not a valid value for setting key (null when valid or not read by this version).
-- The definition of 20261129210100_wake_region.sql plus ingest_mode and poll_delay_ms.
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
    when 'ingest_mode' then
      if value not in ('relay', 'poll', 'both') then
        return 'must be relay, poll or both';
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
    when 'poll_delay_ms' then lo := 0; hi := 30000;
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
  'Why a value is invalid for a setting (functions_url, functions_secret, functions_region, wake_timeout_ms, notify_max_attempts, outcome_expiry_bars, gap_lookback_days, notify_late_signals, analyzer_config, ingest_mode, poll_delay_ms); null when valid or not a setting this version reads.';
revoke all on function private.setting_problem(text, text) from public, anon, authenticated;
grant execute on function private.setting_problem(text, text) to service_role;

-- The ingest mode in force: the stored setting when it is valid, else relay.
create or replace function private.ingest_mode()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select case when m in ('relay', 'poll', 'both') then m else 'relay' end
  from (select private.setting('ingest_mode') as m) s
$$;
comment on function private.ingest_mode() is
  'The ingest mode in force: relay (default), poll or both (setting ingest_mode).';
revoke all on function private.ingest_mode() from public, anon, authenticated;
grant execute on function private.ingest_mode() to service_role;

-- Tracked series with a closed candle they have not stored, by the database's clock: no candle
-- stored, or the candle after the newest stored one closes at most `early` from now (a cron run a
-- little before Binance's close instant still wakes the function, which waits for Binance's clock).
create or replace function private.ingest_due(early interval default interval '10 seconds')
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select count(*)::integer
  from api.series_heads() h
  cross join lateral (select 'epoch'::timestamptz + h.last_open_time * interval '1 millisecond' as t) l
  where h.last_open_time is null
     or case when h.timeframe = '1M' then l.t + interval '2 months'
             else l.t + 2 * public.timeframe_ms(h.timeframe) * interval '1 millisecond' end
        <= now() + early
$$;
comment on function private.ingest_due(interval) is
  'Number of tracked series whose next candle has closed (database clock, early by at most the argument) or that have none stored.';
revoke all on function private.ingest_due(interval) from public, anon, authenticated;
grant execute on function private.ingest_due(interval) to service_role;

-- The wyckoff-ingest job body: in poll or both mode, when some series is due, one signed wake-up of
-- `ingest` with {reason: "poll", delay_ms}. Returns the pg_net request id, or null when nothing was
-- sent (relay mode, nothing due, wake-ups unconfigured).
create or replace function private.poll_ingest()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  delay text := private.setting('poll_delay_ms');
begin
  if private.ingest_mode() = 'relay' or private.ingest_due() = 0 then
    return null;
  end if;
  -- Binance asked for a longer pause (429/418 Retry-After) than a run waits: not before it ends.
  if exists (select 1 from public.relay_status r where r.relay_id = 'ingest'
             and jsonb_typeof(r.details -> 'retry_after_until') = 'number'
             and (r.details ->> 'retry_after_until')::numeric > public.epoch_ms(now())) then
    return null;
  end if;
  if delay is not null and private.setting_problem('poll_delay_ms', delay) is not null then
    delay := null;
  end if;
  return private.wake('ingest', jsonb_build_object('reason', 'poll',
    'delay_ms', coalesce(delay::integer, 2000)));
end
$$;
comment on function private.poll_ingest() is
  'Cron job body (poll and both modes): one ingest wake-up {reason: poll, delay_ms} when a tracked series has a closed candle to fetch; null otherwise.';
revoke all on function private.poll_ingest() from public, anon, authenticated;
grant execute on function private.poll_ingest() to service_role;

-- Keeps the job list equal to the mode: wyckoff-ingest is listed in poll and both modes only, and the
-- list is re-registered with pg_cron (private.schedule_jobs; nothing where pg_cron is absent, where the
-- local stack reads private.jobs itself). Returns true when the job is listed.
create or replace function private.sync_ingest_job()
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  wanted boolean := private.ingest_mode() in ('poll', 'both');
begin
  if wanted then
    insert into private.jobs (name, schedule, command, description) values
      ('wyckoff-ingest', '* * * * *', 'select private.poll_ingest()',
       'wakes ingest to poll Binance REST for the candles that have just closed (ingest_mode poll or both)')
    on conflict (name) do update
      set schedule = excluded.schedule, command = excluded.command, description = excluded.description;
  else
    delete from private.jobs where name = 'wyckoff-ingest';
  end if;
  perform private.schedule_jobs();
  return wanted;
end
$$;
comment on function private.sync_ingest_job() is
  'Lists wyckoff-ingest in private.jobs exactly in poll and both modes and re-registers the jobs with pg_cron.';
revoke all on function private.sync_ingest_job() from public, anon, authenticated;
grant execute on function private.sync_ingest_job() to service_role;

create or replace function private.on_ingest_mode_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.sync_ingest_job();
  return null;
end
$$;
comment on function private.on_ingest_mode_changed() is
  'Trigger: writing or deleting setting ingest_mode adds or removes the wyckoff-ingest job.';
revoke all on function private.on_ingest_mode_changed() from public, anon, authenticated;

create or replace trigger config_ingest_mode_inserted
  after insert on private.config
  for each row when (new.key = 'ingest_mode')
  execute function private.on_ingest_mode_changed();
create or replace trigger config_ingest_mode_updated
  after update on private.config
  for each row when (new.key = 'ingest_mode' or old.key = 'ingest_mode')
  execute function private.on_ingest_mode_changed();
create or replace trigger config_ingest_mode_deleted
  after delete on private.config
  for each row when (old.key = 'ingest_mode')
  execute function private.on_ingest_mode_changed();

select private.sync_ingest_job();

-- One ingest run's report, accumulated in relay_status row 'ingest':
--   report = {series: [stream names polled], binance_answered: bool, inserted, updated, fetched,
--             held_back, rest_calls, weight, waits: {kind: n}, errors: {kind: n}, last_error?,
--             region_refused: bool, retry_after_until? (ms), ...more figures (kept as last_run)}.
-- details = {kind: "poll", runs, candles_inserted, candles_updated, candles_fetched, held_back,
--            rest_calls, weight, waits, errors (counts by kind since the row was made),
--            last_error, last_error_at, region_refused (the last run's), retry_after_until (the
--            job sends no wake-up before it), last_run}.
-- Returns the number of runs reported so far (and notifies channel wyckoff_ingest_run with it). Raises
-- 22023 naming the field for a malformed report.
create or replace function api.ingest_report(report jsonb)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  prev jsonb;
  d jsonb;
  f text;
  streams text[];
begin
  if report is null or jsonb_typeof(report) <> 'object' then
    raise exception 'ingest_report: report must be a JSON object' using errcode = '22023';
  end if;
  foreach f in array array['inserted', 'updated', 'fetched', 'held_back', 'rest_calls', 'weight'] loop
    if report ? f and (jsonb_typeof(report -> f) <> 'number' or (report ->> f)::numeric < 0
                       or (report ->> f)::numeric <> trunc((report ->> f)::numeric)) then
      raise exception 'ingest_report: % must be an integer >= 0', f using errcode = '22023';
    end if;
  end loop;
  foreach f in array array['errors', 'waits'] loop
    if report ? f and (jsonb_typeof(report -> f) <> 'object' or exists (
        select 1 from jsonb_each(report -> f) e
        where jsonb_typeof(e.value) <> 'number' or e.value::text !~ '^[0-9]{1,15}$')) then
      raise exception 'ingest_report: % must be an object of counts', f using errcode = '22023';
    end if;
  end loop;
  if report ? 'series' and (jsonb_typeof(report -> 'series') <> 'array' or exists (
      select 1 from jsonb_array_elements(report -> 'series') e where jsonb_typeof(e) <> 'string')) then
    raise exception 'ingest_report: series must be an array of stream names' using errcode = '22023';
  end if;
  streams := array(select jsonb_array_elements_text(coalesce(report -> 'series', '[]')));

  select r.details into prev from public.relay_status r where r.relay_id = 'ingest' for update;
  prev := coalesce(prev, '{}');
  d := jsonb_build_object(
    'kind', 'poll',
    'runs', coalesce((prev ->> 'runs')::bigint, 0) + 1,
    'candles_inserted', coalesce((prev ->> 'candles_inserted')::bigint, 0) + coalesce((report ->> 'inserted')::bigint, 0),
    'candles_updated', coalesce((prev ->> 'candles_updated')::bigint, 0) + coalesce((report ->> 'updated')::bigint, 0),
    'candles_fetched', coalesce((prev ->> 'candles_fetched')::bigint, 0) + coalesce((report ->> 'fetched')::bigint, 0),
    'held_back', coalesce((prev ->> 'held_back')::bigint, 0) + coalesce((report ->> 'held_back')::bigint, 0),
    'rest_calls', coalesce((prev ->> 'rest_calls')::bigint, 0) + coalesce((report ->> 'rest_calls')::bigint, 0),
    'weight', coalesce((prev ->> 'weight')::bigint, 0) + coalesce((report ->> 'weight')::bigint, 0),
    'waits', (select coalesce(jsonb_object_agg(k.k, coalesce((prev -> 'waits' ->> k.k)::bigint, 0)
                + coalesce((report -> 'waits' ->> k.k)::bigint, 0)), '{}')
              from (select jsonb_object_keys(coalesce(prev -> 'waits', '{}')) as k
                    union select jsonb_object_keys(coalesce(report -> 'waits', '{}'))) k),
    'errors', (select coalesce(jsonb_object_agg(k.k, coalesce((prev -> 'errors' ->> k.k)::bigint, 0)
                 + coalesce((report -> 'errors' ->> k.k)::bigint, 0)), '{}')
               from (select jsonb_object_keys(coalesce(prev -> 'errors', '{}')) as k
                     union select jsonb_object_keys(coalesce(report -> 'errors', '{}'))) k),
    'last_error', coalesce(to_jsonb(left(report ->> 'last_error', 500)), prev -> 'last_error'),
    'last_error_at', case when report ->> 'last_error' is not null then to_jsonb(now()) else prev -> 'last_error_at' end,
    'region_refused', coalesce((report ->> 'region_refused')::boolean, false),
    'retry_after_until', coalesce(report -> 'retry_after_until', prev -> 'retry_after_until'),
    'last_run', report);
  insert into public.relay_status as r (relay_id, streams, last_message_at, reconnects, details)
  values ('ingest', streams,
    case when coalesce((report ->> 'binance_answered')::boolean, false) then now() end, 0, d)
  on conflict (relay_id) do update set
    heartbeat_at = now(), streams = excluded.streams,
    last_message_at = coalesce(excluded.last_message_at, r.last_message_at),
    details = excluded.details;
  -- For whoever waits on runs (the local stack's replay cron); nobody listens on Supabase.
  perform pg_notify('wyckoff_ingest_run', d ->> 'runs');
  return (d ->> 'runs')::bigint;
end
$$;
comment on function api.ingest_report(jsonb) is
  'Records one ingest run (figures, errors by kind, 451) in relay_status row ingest; returns the runs reported so far.';
revoke all on function api.ingest_report(jsonb) from public, anon, authenticated;
grant execute on function api.ingest_report(jsonb) to service_role;

-- /status figures: the definition of 20261130100100_discord_outbox.sql plus
--   ingest_mode; binance_region_refused (a feed that reported in the last hour was refused by Binance
--   with HTTP 451: the relay counts errors.region since it started, a poller says so for its last
--   run); each feed's kind (stream or poll), errors, last error and region refusal; auth (sign-up
--   evidence, private.auth_signups) and warnings (api.status_warnings).
create or replace function api.status()
returns jsonb
language sql
stable
set search_path = ''
as $$
  with feeds as (
    select r.*, coalesce(r.details ->> 'kind', 'stream') as kind,
      coalesce((r.details ->> 'region_refused')::boolean,
               coalesce((r.details -> 'errors' ->> 'region')::bigint, 0) > 0) as region_refused
    from public.relay_status r
  )
  select jsonb_build_object(
    'now', now(),
    'series', coalesce((
      select jsonb_agg(jsonb_build_object(
        'symbol', t.symbol, 'timeframe', t.timeframe,
        'last_candle', (select max(c.open_time) from public.candles c
                        where c.symbol = t.symbol and c.timeframe = t.timeframe),
        'last_signal', (select max(s.open_time) from public.signals s
                        where s.symbol = t.symbol and s.timeframe = t.timeframe),
        'analyzed_until', (select a.last_open_time from public.analyzer_state a
                           where a.symbol = t.symbol and a.timeframe = t.timeframe))
        order by t.symbol, public.timeframe_ms(t.timeframe))
      from api.tracked_series() t), '[]'),
    'signals_24h', (select count(*) from public.signals s where s.created_at > now() - interval '24 hours'),
    'signals_today', (select count(*) from public.signals s
                      where s.created_at >= date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'),
    'notifications_pending', (select count(*) from public.discord_outbox o where o.status = 'pending'),
    'notifications_failed', (select count(*) from public.discord_outbox o
                             where o.status = 'failed' and o.next_attempt_at is not null),
    'notifications_given_up', (select count(*) from public.discord_outbox o
                               where o.status = 'failed' and o.next_attempt_at is null),
    'notifications_sent_24h', (select count(*) from public.discord_outbox o
                               where o.status = 'sent' and o.sent_at > now() - interval '24 hours'),
    'last_refusal', (select jsonb_build_object('kind', o.kind, 'signal_id', o.signal_id, 'error', o.last_error)
                     from public.discord_outbox o
                     where o.status = 'failed' and o.next_attempt_at is null order by o.id desc limit 1),
    'discord', (select jsonb_build_object('mode', d.mode, 'sending', d.stopped_at is null,
                  'stopped_at', d.stopped_at, 'stopped_reason', d.stopped_reason,
                  'last_sent_at', d.last_sent_at, 'last_run_at', d.last_run_at)
                from private.discord_state d),
    'open_gaps', (select count(*) from public.ingest_gaps g where g.status in ('open', 'requested')),
    'ingest_mode', private.ingest_mode(),
    'relays', coalesce((select jsonb_agg(jsonb_build_object(
        'relay_id', r.relay_id, 'kind', r.kind,
        'heartbeat_age_s', round(extract(epoch from now() - r.heartbeat_at)),
        'streams', cardinality(r.streams), 'last_message_at', r.last_message_at,
        'errors', coalesce(r.details -> 'errors', '{}'),
        'last_error', coalesce(r.details ->> 'last_error', r.details ->> 'lastError'),
        'region_refused', r.region_refused) order by r.relay_id)
      from feeds r), '[]'),
    'binance_region_refused', exists (select 1 from feeds r
                                      where r.region_refused and r.heartbeat_at > now() - interval '1 hour'),
    'database_bytes', pg_catalog.pg_database_size(pg_catalog.current_database()),
    'auth', private.auth_signups(),
    'warnings', api.status_warnings())
$$;
comment on function api.status() is
  'Figures for /status (series freshness, signals, Discord outbox and sending state, gaps, ingest mode, relays and pollers with their errors and any HTTP 451 from Binance, database size, sign-up evidence, warnings) as JSON.';
revoke all on function api.status() from public, anon, authenticated;
grant execute on function api.status() to service_role;
