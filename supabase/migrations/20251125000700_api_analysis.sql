-- Analysis API: load states + new candles for a batch of series; save snapshots + signals atomically.

-- Candles of one series as columnar JSON ({length, openTime[], open[], ..., takerBuyQuote[]}, times in
-- ms, ascending). Oldest-first after `after` when newest is false; otherwise the newest `max_rows`
-- at or before `until` (and after `after`).
create or replace function private.candle_columns(
  p_symbol text,
  p_timeframe text,
  p_after timestamptz,
  p_until timestamptz,
  p_max_rows integer,
  p_newest boolean
)
returns jsonb
language sql
stable
set search_path = ''
set jit = off -- as api.load_series: JIT compiling costs far more than this query
as $$
  with picked as (
    (select c.* from public.candles c
      where not p_newest and c.symbol = p_symbol and c.timeframe = p_timeframe
        and c.open_time > coalesce(p_after, '-infinity')
        and c.open_time <= coalesce(p_until, 'infinity')
      order by c.open_time asc limit p_max_rows)
    union all
    (select c.* from public.candles c
      where p_newest and c.symbol = p_symbol and c.timeframe = p_timeframe
        and c.open_time > coalesce(p_after, '-infinity')
        and c.open_time <= coalesce(p_until, 'infinity')
      order by c.open_time desc limit p_max_rows)
  )
  select jsonb_build_object(
    'length', count(*),
    'openTime', coalesce(jsonb_agg((extract(epoch from open_time) * 1000)::bigint order by open_time), '[]'),
    'open', coalesce(jsonb_agg(open order by open_time), '[]'),
    'high', coalesce(jsonb_agg(high order by open_time), '[]'),
    'low', coalesce(jsonb_agg(low order by open_time), '[]'),
    'close', coalesce(jsonb_agg(close order by open_time), '[]'),
    'volume', coalesce(jsonb_agg(volume order by open_time), '[]'),
    'closeTime', coalesce(jsonb_agg((extract(epoch from close_time) * 1000)::bigint order by open_time), '[]'),
    'quoteVolume', coalesce(jsonb_agg(quote_volume order by open_time), '[]'),
    'trades', coalesce(jsonb_agg(trades order by open_time), '[]'),
    'takerBuyBase', coalesce(jsonb_agg(taker_buy_base order by open_time), '[]'),
    'takerBuyQuote', coalesce(jsonb_agg(taker_buy_quote order by open_time), '[]'))
  from picked
$$;
comment on function private.candle_columns(text, text, timestamptz, timestamptz, integer, boolean) is
  'Columnar JSON of one series'' candles (ms times, ascending); used by api.load_series and api.load_candles.';

-- For each {symbol, timeframe} in keys: the analyzer snapshot and last_open_time (ms; null when the
-- series has no state) plus the candles to feed: those after last_open_time (oldest first, at most
-- max_new; `more` says whether further ones exist), or for a series without state its newest
-- fresh_limit candles.
create or replace function api.load_series(
  keys jsonb,
  fresh_limit integer default 1000,
  max_new integer default 5000
)
returns table (
  symbol text,
  timeframe text,
  snapshot jsonb,
  last_open_time bigint,
  candles jsonb,
  more boolean
)
language plpgsql
stable
set search_path = ''
-- JIT off: with millions of candles the generic plan's cost passes jit_above_cost and compiling
-- took ~400 ms per call for a query that runs in ~2 ms.
set jit = off
as $$
begin
  -- One statement for the whole batch (plpgsql caches its plan); rows reach the aggregates
  -- already in time order, so the aggregates need no sort of their own.
  return query
  select k.symbol, k.timeframe, st.snapshot,
    (extract(epoch from st.last_open_time) * 1000)::bigint,
    jsonb_build_object(
      'length', coalesce(c.n, 0),
      'openTime', coalesce(c.open_time, '[]'), 'open', coalesce(c.open, '[]'),
      'high', coalesce(c.high, '[]'), 'low', coalesce(c.low, '[]'), 'close', coalesce(c.close, '[]'),
      'volume', coalesce(c.volume, '[]'), 'closeTime', coalesce(c.close_time, '[]'),
      'quoteVolume', coalesce(c.quote_volume, '[]'), 'trades', coalesce(c.trades, '[]'),
      'takerBuyBase', coalesce(c.taker_buy_base, '[]'), 'takerBuyQuote', coalesce(c.taker_buy_quote, '[]')),
    st.snapshot is not null and coalesce(c.n, 0) = max_new and exists (
      select 1 from public.candles x
      where x.symbol = k.symbol and x.timeframe = k.timeframe and x.open_time > c.last_t)
  from jsonb_to_recordset(keys) as k(symbol text, timeframe text)
  left join public.analyzer_state st on st.symbol = k.symbol and st.timeframe = k.timeframe
  cross join lateral (
    select count(*)::integer as n, max(p.open_time) as last_t,
      jsonb_agg((extract(epoch from p.open_time) * 1000)::bigint) as open_time,
      jsonb_agg(p.open) as open, jsonb_agg(p.high) as high, jsonb_agg(p.low) as low,
      jsonb_agg(p.close) as close, jsonb_agg(p.volume) as volume,
      jsonb_agg((extract(epoch from p.close_time) * 1000)::bigint) as close_time,
      jsonb_agg(p.quote_volume) as quote_volume, jsonb_agg(p.trades) as trades,
      jsonb_agg(p.taker_buy_base) as taker_buy_base, jsonb_agg(p.taker_buy_quote) as taker_buy_quote
    from (
      select * from (
        (select x.* from public.candles x
          where st.last_open_time is not null and x.symbol = k.symbol and x.timeframe = k.timeframe
            and x.open_time > st.last_open_time
          order by x.open_time limit max_new)
        union all
        (select x.* from public.candles x
          where st.last_open_time is null and x.symbol = k.symbol and x.timeframe = k.timeframe
          order by x.open_time desc limit fresh_limit)
      ) u
      order by u.open_time
    ) p
  ) c;
end
$$;
comment on function api.load_series(jsonb, integer, integer) is
  'Analyzer snapshots and new candles (columnar JSON) for a batch of [{symbol, timeframe}]; bounded by fresh_limit (no state) or max_new (more = true when further candles remain).';

-- Candles of one series for backtests and charts (newest max_rows within [from_ms, to_ms]).
create or replace function api.load_candles(
  p_symbol text,
  p_timeframe text,
  from_ms bigint default null,
  to_ms bigint default null,
  max_rows integer default 5000
)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select private.candle_columns(p_symbol, p_timeframe,
    'epoch'::timestamptz + (from_ms - 1) * interval '1 millisecond',
    'epoch'::timestamptz + to_ms * interval '1 millisecond',
    max_rows, true)
$$;
comment on function api.load_candles(text, text, bigint, bigint, integer) is
  'Columnar JSON of the newest max_rows candles of a series with from_ms <= open_time <= to_ms (bounds optional).';

-- Inserts signals idempotently (one per symbol/timeframe/bar; a repeated call changes nothing).
-- Each element: the library's Signal plus symbol and timeframe: {symbol, timeframe, time (ms),
-- direction, entry, stopLoss, takeProfits [tp1, tp2, tp3], riskReward, confidence, atr,
-- contributions, rationale, patterns}. Returns the ids of the newly inserted signals.
create or replace function api.store_signals(signals jsonb)
returns setof bigint
language sql
volatile
set search_path = ''
as $$
  insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2,
    tp3, risk_reward, confidence, atr, contributions, patterns, rationale)
  select j ->> 'symbol', j ->> 'timeframe',
    'epoch'::timestamptz + (coalesce(j ->> 'time', j ->> 'open_time'))::bigint * interval '1 millisecond',
    j ->> 'direction', (j ->> 'entry')::float8,
    coalesce(j ->> 'stopLoss', j ->> 'stop_loss')::float8,
    coalesce(j -> 'takeProfits' ->> 0, j ->> 'tp1')::float8,
    coalesce(j -> 'takeProfits' ->> 1, j ->> 'tp2')::float8,
    coalesce(j -> 'takeProfits' ->> 2, j ->> 'tp3')::float8,
    coalesce(j ->> 'riskReward', j ->> 'risk_reward')::float8,
    (j ->> 'confidence')::float8, (j ->> 'atr')::float8,
    coalesce(j -> 'contributions', '[]'), coalesce(j -> 'patterns', '{}'),
    coalesce(j ->> 'rationale', '')
  from jsonb_array_elements(coalesce(signals, '[]')) as e(j)
  order by 1, 2, 3
  on conflict (symbol, timeframe, open_time) do nothing
  returning id
$$;
comment on function api.store_signals(jsonb) is
  'Idempotent insert of signals (library Signal objects plus symbol and timeframe); returns the new ids only.';

-- Saves analyzer snapshots and their signals atomically, per series, with optimistic concurrency:
-- a state advances only if its stored last_open_time still equals expected_last_open_time (null =
-- no state yet); otherwise that series is skipped (applied = false) and its signals are not stored.
-- states: [{symbol, timeframe, snapshot, expected_last_open_time (ms|null), last_open_time (ms)}];
-- signals: as for api.store_signals, each belonging to a series in states.
create or replace function api.save_analysis(states jsonb, signals jsonb default '[]')
returns table (symbol text, timeframe text, applied boolean, signal_ids bigint[])
language plpgsql
volatile
set search_path = ''
as $$
declare
  st record;
  ok boolean;
  ids bigint[];
  orphan jsonb;
begin
  if states is null or jsonb_typeof(states) <> 'array' then
    raise exception 'save_analysis: states must be a JSON array' using errcode = '22023';
  end if;
  select j into orphan
  from jsonb_array_elements(coalesce(signals, '[]')) as e(j)
  where not exists (
    select 1 from jsonb_array_elements(states) as s(x)
    where x ->> 'symbol' = j ->> 'symbol' and x ->> 'timeframe' = j ->> 'timeframe')
  limit 1;
  if orphan is not null then
    raise exception 'save_analysis: signal for % % has no entry in states',
      orphan ->> 'symbol', orphan ->> 'timeframe' using errcode = '22023';
  end if;

  for st in
    select x ->> 'symbol' as sym, x ->> 'timeframe' as tf, x -> 'snapshot' as snap,
      'epoch'::timestamptz + (x ->> 'expected_last_open_time')::bigint * interval '1 millisecond' as expected,
      'epoch'::timestamptz + (x ->> 'last_open_time')::bigint * interval '1 millisecond' as last_t
    from jsonb_array_elements(states) as s(x)
    order by 1, 2 -- fixed lock order: concurrent callers cannot deadlock
  loop
    if st.snap is null or st.last_t is null then
      raise exception 'save_analysis: state for % % needs snapshot and last_open_time', st.sym, st.tf
        using errcode = '22023';
    end if;
    if st.expected is null then
      insert into public.analyzer_state as a (symbol, timeframe, snapshot, last_open_time)
      values (st.sym, st.tf, st.snap, st.last_t)
      on conflict on constraint analyzer_state_pkey do nothing;
    else
      update public.analyzer_state as a
      set snapshot = st.snap, last_open_time = st.last_t, updated_at = now()
      where a.symbol = st.sym and a.timeframe = st.tf and a.last_open_time = st.expected
        and st.last_t >= st.expected;
    end if;
    ok := found;
    ids := '{}';
    if ok then
      select coalesce(array_agg(i), '{}') into ids
      from api.store_signals((
        select coalesce(jsonb_agg(j), '[]') from jsonb_array_elements(coalesce(signals, '[]')) as e(j)
        where j ->> 'symbol' = st.sym and j ->> 'timeframe' = st.tf)) as i;
    end if;
    symbol := st.sym;
    timeframe := st.tf;
    applied := ok;
    signal_ids := ids;
    return next;
  end loop;
end
$$;
comment on function api.save_analysis(jsonb, jsonb) is
  'Atomically advances analyzer snapshots (only from the expected last_open_time) and stores their signals; per series returns applied and the new signal ids.';

-- Series to stream and analyze: active symbols x their timeframes.
create or replace function api.tracked_series()
returns table (symbol text, timeframe text)
language sql
stable
set search_path = ''
as $$
  select s.symbol, t.tf from public.symbols s cross join lateral unnest(s.timeframes) as t(tf)
  where s.active order by 1, public.timeframe_ms(t.tf)
$$;
comment on function api.tracked_series() is 'Active symbols x their timeframes (what the relay streams and analyze runs on).';

revoke all on function private.candle_columns(text, text, timestamptz, timestamptz, integer, boolean) from public, anon, authenticated;
revoke all on function api.load_series(jsonb, integer, integer) from public, anon, authenticated;
revoke all on function api.load_candles(text, text, bigint, bigint, integer) from public, anon, authenticated;
revoke all on function api.store_signals(jsonb) from public, anon, authenticated;
revoke all on function api.save_analysis(jsonb, jsonb) from public, anon, authenticated;
revoke all on function api.tracked_series() from public, anon, authenticated;
grant execute on function private.candle_columns(text, text, timestamptz, timestamptz, integer, boolean) to service_role;
grant execute on function api.load_series(jsonb, integer, integer) to service_role;
grant execute on function api.load_candles(text, text, bigint, bigint, integer) to service_role;
grant execute on function api.store_signals(jsonb) to service_role;
grant execute on function api.save_analysis(jsonb, jsonb) to service_role;
grant execute on function api.tracked_series() to service_role;
