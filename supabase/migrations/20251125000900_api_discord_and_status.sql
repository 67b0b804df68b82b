-- Discord commands' API (/subscribe, /unsubscribe, /lastsignal, /status), relay heartbeat, backtests.

-- Subscribes a Discord user to a symbol (optionally one timeframe) at a minimum confidence; repeating
-- it updates the threshold. Raises a clear error for an unknown/inactive symbol or a bad timeframe.
create or replace function api.subscribe(
  discord_user_id text,
  p_symbol text,
  p_timeframe text default null,
  min_confidence double precision default null
)
returns public.user_subscriptions
language plpgsql
volatile
set search_path = ''
as $$
declare
  r public.user_subscriptions;
begin
  p_symbol := upper(trim(p_symbol));
  if not exists (select 1 from public.symbols s where s.symbol = p_symbol and s.active) then
    raise exception 'subscribe: unknown symbol %', p_symbol using errcode = '22023';
  end if;
  if p_timeframe is not null and public.timeframe_ms(p_timeframe) is null then
    raise exception 'subscribe: unknown timeframe %', p_timeframe using errcode = '22023';
  end if;
  if min_confidence is not null and (min_confidence < 0 or min_confidence > 1) then
    raise exception 'subscribe: min_confidence must be between 0 and 1' using errcode = '22023';
  end if;
  insert into public.user_subscriptions as u (discord_user_id, symbol, timeframe, min_confidence)
  values (subscribe.discord_user_id, p_symbol, p_timeframe, coalesce(subscribe.min_confidence, 0.6))
  on conflict on constraint user_subscriptions_unique do update
    set min_confidence = coalesce(subscribe.min_confidence, u.min_confidence)
  returning u.* into r;
  return r;
end
$$;
comment on function api.subscribe(text, text, text, double precision) is
  'Creates or updates a Discord user''s subscription (symbol, optional timeframe, min confidence default 0.6).';

-- Removes a user's subscriptions: all of them (symbol null), a symbol's, or one symbol+timeframe.
create or replace function api.unsubscribe(discord_user_id text, p_symbol text default null, p_timeframe text default null)
returns integer
language sql
volatile
set search_path = ''
as $$
  with gone as (
    delete from public.user_subscriptions u
    where u.discord_user_id = unsubscribe.discord_user_id
      and (p_symbol is null or u.symbol = upper(trim(p_symbol)))
      and (p_timeframe is null or u.timeframe is not distinct from p_timeframe)
    returning 1)
  select count(*)::integer from gone
$$;
comment on function api.unsubscribe(text, text, text) is 'Deletes matching subscriptions of a Discord user; returns how many.';

-- A Discord user's subscriptions.
create or replace function api.list_subscriptions(discord_user_id text)
returns setof public.user_subscriptions
language sql
stable
set search_path = ''
as $$
  select * from public.user_subscriptions u where u.discord_user_id = list_subscriptions.discord_user_id
  order by u.symbol, u.timeframe nulls first
$$;
comment on function api.list_subscriptions(text) is 'A Discord user''s subscriptions.';

-- The latest signal, optionally of one symbol and/or timeframe (/lastsignal).
create or replace function api.last_signal(p_symbol text default null, p_timeframe text default null)
returns setof public.signals
language sql
stable
set search_path = ''
as $$
  select * from public.signals s
  where (p_symbol is null or s.symbol = upper(trim(p_symbol)))
    and (p_timeframe is null or s.timeframe = p_timeframe)
  order by s.open_time desc, s.id desc
  limit 1
$$;
comment on function api.last_signal(text, text) is 'Latest signal (by bar time), optionally filtered by symbol and timeframe.';

-- Figures for /status as one JSON object: per series last candle and signal, signals in 24 h,
-- notifications pending/failed, open gaps, relays and their heartbeat age, database size.
create or replace function api.status()
returns jsonb
language sql
stable
set search_path = ''
as $$
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
    'notifications_pending', (select count(*) from public.signals s where s.notify_status = 'pending'),
    'notifications_failed', (select count(*) from public.signals s
                             where s.notify_status = 'failed' and s.next_attempt_at is not null),
    'notifications_given_up', (select count(*) from public.signals s
                               where s.notify_status = 'failed' and s.next_attempt_at is null),
    'open_gaps', (select count(*) from public.ingest_gaps g where g.status in ('open', 'requested')),
    'relays', coalesce((select jsonb_agg(jsonb_build_object(
        'relay_id', r.relay_id, 'heartbeat_age_s', round(extract(epoch from now() - r.heartbeat_at)),
        'streams', cardinality(r.streams), 'last_message_at', r.last_message_at) order by r.relay_id)
      from public.relay_status r), '[]'),
    'database_bytes', pg_catalog.pg_database_size(pg_catalog.current_database()))
$$;
comment on function api.status() is 'Figures for /status (series freshness, signals, outbox, gaps, relays, database size) as JSON.';

-- Relay heartbeat: upserts relay_status for relay_id.
create or replace function api.relay_heartbeat(
  relay_id text,
  streams text[] default '{}',
  last_message_ms bigint default null,
  reconnects integer default 0,
  details jsonb default '{}'
)
returns void
language sql
volatile
set search_path = ''
as $$
  insert into public.relay_status as r (relay_id, streams, last_message_at, reconnects, details)
  values (relay_heartbeat.relay_id, coalesce(relay_heartbeat.streams, '{}'),
    'epoch'::timestamptz + last_message_ms * interval '1 millisecond',
    coalesce(relay_heartbeat.reconnects, 0), coalesce(relay_heartbeat.details, '{}'))
  on conflict (relay_id) do update set
    heartbeat_at = now(), streams = excluded.streams,
    last_message_at = coalesce(excluded.last_message_at, r.last_message_at),
    reconnects = excluded.reconnects, details = excluded.details
$$;
comment on function api.relay_heartbeat(text, text[], bigint, integer, jsonb) is 'Records a relay heartbeat (streams, last message time, reconnects, figures).';

-- Stores a backtest run: {symbol, timeframe, from_ms?, to_ms?, params?, summary?, trades?, win_rate?,
-- total_r?, requested_by?}; returns its id.
create or replace function api.save_backtest(run jsonb)
returns bigint
language sql
volatile
set search_path = ''
as $$
  insert into public.backtests (symbol, timeframe, from_time, to_time, params, summary, trades,
    win_rate, total_r, requested_by)
  values (run ->> 'symbol', run ->> 'timeframe',
    'epoch'::timestamptz + (run ->> 'from_ms')::bigint * interval '1 millisecond',
    'epoch'::timestamptz + (run ->> 'to_ms')::bigint * interval '1 millisecond',
    coalesce(run -> 'params', '{}'), coalesce(run -> 'summary', '{}'), (run ->> 'trades')::integer,
    (run ->> 'win_rate')::float8, (run ->> 'total_r')::float8, run ->> 'requested_by')
  returning id
$$;
comment on function api.save_backtest(jsonb) is 'Stores a backtest run and returns its id.';

revoke all on function api.subscribe(text, text, text, double precision) from public, anon, authenticated;
revoke all on function api.unsubscribe(text, text, text) from public, anon, authenticated;
revoke all on function api.list_subscriptions(text) from public, anon, authenticated;
revoke all on function api.last_signal(text, text) from public, anon, authenticated;
revoke all on function api.status() from public, anon, authenticated;
revoke all on function api.relay_heartbeat(text, text[], bigint, integer, jsonb) from public, anon, authenticated;
revoke all on function api.save_backtest(jsonb) from public, anon, authenticated;
grant execute on function api.subscribe(text, text, text, double precision) to service_role;
grant execute on function api.unsubscribe(text, text, text) to service_role;
grant execute on function api.list_subscriptions(text) to service_role;
grant execute on function api.last_signal(text, text) to service_role;
grant execute on function api.status() to service_role;
grant execute on function api.relay_heartbeat(text, text[], bigint, integer, jsonb) to service_role;
grant execute on function api.save_backtest(jsonb) to service_role;
