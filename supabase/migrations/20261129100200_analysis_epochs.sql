-- The live analysis contract: every stored candle is analysed exactly once in the end, in open-time
-- order, whatever arrives late, twice or concurrently.
--
-- * Series epochs. A candle stored out of order (older than a candle already stored for its series)
--   or changed after it was stored bumps its series' epoch (statement triggers below). An analyzer
--   state is valid only for the epoch it was built in: api.load_series hands out a state only when
--   its epoch is current, and api.save_analysis applies a state only while the epoch it was loaded in
--   is still current. So a late candle always leads to a rebuild from the first stored candle, even
--   when it lands while an analysis is running.
-- * api.load_series pages through a series oldest first (a rebuild starts at the first stored
--   candle, so it emits exactly what the offline `signals` CLI emits for the same candles).
-- * api.save_analysis stores signals itself, with the analyzer's evidence, and marks signals that
--   were analysed too late to act on (after the next bar closed, with 60 s grace) as not to be posted.

-- Epoch per series, bumped when candles are stored out of order or changed.
create table if not exists private.series_epochs (
  symbol text not null references public.symbols (symbol) on delete cascade,
  timeframe text not null,
  epoch bigint not null default 0,
  changed_at timestamptz not null default now(),
  primary key (symbol, timeframe)
);
comment on table private.series_epochs is
  'Per series: incremented whenever a candle is stored out of order or changed, which invalidates analyzer states built before it.';
comment on column private.series_epochs.symbol is 'Binance symbol.';
comment on column private.series_epochs.timeframe is 'Binance interval name.';
comment on column private.series_epochs.epoch is 'Current epoch (0 when the series never changed out of order).';
comment on column private.series_epochs.changed_at is 'When the epoch last changed.';
alter table private.series_epochs enable row level security;
revoke all on private.series_epochs from public, anon, authenticated;
grant select on private.series_epochs to service_role;

alter table public.analyzer_state add column if not exists epoch bigint not null default 0;
comment on column public.analyzer_state.epoch is
  'Series epoch (private.series_epochs) the snapshot was built in; a state from an older epoch is rebuilt.';

-- Statement trigger body: bumps the epoch of each series that got a candle older than one already
-- stored (TG_OP INSERT) or a changed candle (TG_OP UPDATE). Appending candles in order costs one
-- index range count per series, over the new rows only.
create or replace function private.on_candles_stored()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.series_epochs as e (symbol, timeframe, epoch)
  select n.symbol, n.timeframe, 1
  from (select c.symbol, c.timeframe, min(c.open_time) as first_t, count(*) as cnt
        from changed_candles c group by c.symbol, c.timeframe) n
  where tg_op = 'UPDATE'
     or (select count(*) from public.candles c
         where c.symbol = n.symbol and c.timeframe = n.timeframe and c.open_time > n.first_t) > n.cnt - 1
  on conflict (symbol, timeframe) do update set epoch = e.epoch + 1, changed_at = now();
  return null;
end
$$;
comment on function private.on_candles_stored() is
  'Statement trigger: bumps private.series_epochs for series that got an out-of-order or changed candle.';
revoke all on function private.on_candles_stored() from public, anon, authenticated;

create or replace trigger candles_epoch_on_insert
  after insert on public.candles
  referencing new table as changed_candles
  for each statement execute function private.on_candles_stored();

create or replace trigger candles_epoch_on_update
  after update on public.candles
  referencing new table as changed_candles
  for each statement execute function private.on_candles_stored();

-- Pages of candles to analyse per series (see the file comment). keys: [{symbol, timeframe,
-- after?}] where `after` (ms) continues a page: candles with open_time > after; -1 = from the first
-- stored candle (a rebuild). Without `after`: the stored state (when its epoch is current) and the
-- candles after it, or, without a usable state, the candles from the first one. At most max_new
-- candles per series (null = 5000, capped at 50000), oldest first; `more` says whether further
-- candles exist. snapshot is null when there is no usable state or when `after` was given.
drop function if exists api.load_series(jsonb, integer, integer);
create or replace function api.load_series(keys jsonb, max_new integer default 5000)
returns table (
  symbol text,
  timeframe text,
  snapshot jsonb,
  last_open_time bigint,
  epoch bigint,
  candles jsonb,
  more boolean
)
language plpgsql
stable
set search_path = ''
-- JIT off: with millions of candles the plan's cost passes jit_above_cost and compiling took
-- ~400 ms per call for a query that runs in ~2 ms.
set jit = off
as $$
declare
  lim integer := least(greatest(coalesce(max_new, 5000), 1), 50000);
begin
  if keys is null or jsonb_typeof(keys) <> 'array' then
    raise exception 'load_series: keys must be a JSON array of {symbol, timeframe, after?}'
      using errcode = '22023';
  end if;
  return query
  select k.symbol, k.timeframe,
    case when k.after is null and usable then st.snapshot end,
    case when usable then public.epoch_ms(st.last_open_time) end,
    cur.epoch,
    jsonb_build_object(
      'length', coalesce(c.n, 0),
      'openTime', coalesce(c.open_time, '[]'), 'open', coalesce(c.open, '[]'),
      'high', coalesce(c.high, '[]'), 'low', coalesce(c.low, '[]'), 'close', coalesce(c.close, '[]'),
      'volume', coalesce(c.volume, '[]'), 'closeTime', coalesce(c.close_time, '[]'),
      'quoteVolume', coalesce(c.quote_volume, '[]'), 'trades', coalesce(c.trades, '[]'),
      'takerBuyBase', coalesce(c.taker_buy_base, '[]'), 'takerBuyQuote', coalesce(c.taker_buy_quote, '[]')),
    coalesce(c.n, 0) = lim and exists (
      select 1 from public.candles x
      where x.symbol = k.symbol and x.timeframe = k.timeframe and x.open_time > c.last_t)
  from jsonb_to_recordset(keys) as k(symbol text, timeframe text, after bigint)
  cross join lateral (
    select coalesce((select e.epoch from private.series_epochs e
                     where e.symbol = k.symbol and e.timeframe = k.timeframe), 0) as epoch) cur
  left join public.analyzer_state st on st.symbol = k.symbol and st.timeframe = k.timeframe
  cross join lateral (select st.symbol is not null and st.epoch = cur.epoch as usable) u
  cross join lateral (
    select
      case when k.after is not null then 'epoch'::timestamptz + k.after * interval '1 millisecond'
           when usable then st.last_open_time
           else '-infinity'::timestamptz end as start_t) s
  cross join lateral (
    select count(*)::integer as n, max(p.open_time) as last_t,
      jsonb_agg(public.epoch_ms(p.open_time)) as open_time,
      jsonb_agg(p.open) as open, jsonb_agg(p.high) as high, jsonb_agg(p.low) as low,
      jsonb_agg(p.close) as close, jsonb_agg(p.volume) as volume,
      jsonb_agg(public.epoch_ms(p.close_time)) as close_time,
      jsonb_agg(p.quote_volume) as quote_volume, jsonb_agg(p.trades) as trades,
      jsonb_agg(p.taker_buy_base) as taker_buy_base, jsonb_agg(p.taker_buy_quote) as taker_buy_quote
    from (
      select x.* from public.candles x
      where x.symbol = k.symbol and x.timeframe = k.timeframe and x.open_time > s.start_t
      order by x.open_time limit lim
    ) p
  ) c;
end
$$;
comment on function api.load_series(jsonb, integer) is
  'Analyzer states (when their epoch is current) and the next candles to analyse (columnar JSON, oldest first, at most max_new) for a batch of [{symbol, timeframe, after?}].';

alter table public.signals add column if not exists evidence jsonb;
comment on column public.signals.evidence is
  'The analyzer''s evidence for the signal (setup class and its track record), when it gives one.';

alter table public.signals drop constraint if exists signals_notify_status_check;
alter table public.signals add constraint signals_notify_status_check
  check (notify_status in ('pending', 'sent', 'failed', 'skipped'));
comment on column public.signals.notify_status is
  'Outbox: pending (not yet sent), sent, failed (last attempt failed; retried at next_attempt_at unless null), skipped (analysed after the next bar had closed: stored, not posted; see last_error).';

-- Saves analyzer snapshots and their signals atomically, per series, with optimistic concurrency:
-- a state advances only while the series epoch is still the one it was loaded in and its stored
-- last_open_time still equals expected_last_open_time (null = no usable state: inserts, or
-- replaces a state of an older epoch); otherwise that series is skipped (applied = false) and its
-- signals are not stored.
-- states: [{symbol, timeframe, snapshot, epoch, expected_last_open_time (ms|null), last_open_time (ms)}]
-- signals: [{symbol, timeframe, time (ms, the bar's open time), direction, entry, stopLoss,
--   takeProfits [tp1, tp2, tp3], riskReward, confidence, atr, contributions, rationale, patterns,
--   evidence?}], each belonging to a series in states. A signal whose next bar had already closed
-- (60 s grace) when it is saved is stored with notify_status 'skipped', unless the setting
-- notify_late_signals is 'on' (local replays). Returns per series: applied and the new signal ids.
create or replace function api.save_analysis(states jsonb, signals jsonb default '[]')
returns table (symbol text, timeframe text, applied boolean, signal_ids bigint[])
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  st record;
  bad record;
  ok boolean;
  ids bigint[];
  post_late boolean := coalesce(private.setting('notify_late_signals'), 'off') = 'on';
begin
  if states is null or jsonb_typeof(states) <> 'array' then
    raise exception 'save_analysis: states must be a JSON array' using errcode = '22023';
  end if;
  if signals is not null and jsonb_typeof(signals) <> 'array' then
    raise exception 'save_analysis: signals must be a JSON array' using errcode = '22023';
  end if;
  -- Every signal must belong to a series in states and carry finite levels on its series' grid.
  select e.n - 1 as idx, e.j ->> 'symbol' as sym, e.j ->> 'timeframe' as tf, v.rule into bad
  from jsonb_array_elements(coalesce(signals, '[]')) with ordinality as e(j, n)
  cross join lateral (select case
    when not exists (select 1 from jsonb_array_elements(states) as s(x)
                     where x ->> 'symbol' = e.j ->> 'symbol' and x ->> 'timeframe' = e.j ->> 'timeframe')
      then 'has no entry in states'
    when jsonb_typeof(e.j -> 'time') <> 'number' or public.timeframe_ms(e.j ->> 'timeframe') is null
      or not public.is_aligned('epoch'::timestamptz + (e.j ->> 'time')::bigint * interval '1 millisecond',
                               e.j ->> 'timeframe')
      then 'time must be an open time (ms) on the timeframe''s grid'
    when jsonb_typeof(e.j -> 'takeProfits') <> 'array' or jsonb_array_length(e.j -> 'takeProfits') <> 3
      then 'takeProfits must hold three levels'
    when exists (select 1 from (values (e.j -> 'entry'), (e.j -> 'stopLoss'), (e.j -> 'confidence'),
                   (e.j -> 'takeProfits' -> 0), (e.j -> 'takeProfits' -> 1), (e.j -> 'takeProfits' -> 2)) f(v)
                 where jsonb_typeof(f.v) is distinct from 'number')
      then 'entry, stopLoss, takeProfits and confidence must be finite numbers'
    end as rule) v
  where v.rule is not null
  order by e.n limit 1;
  if bad.rule is not null then
    raise exception 'save_analysis: signal % (% %) rejected: %', bad.idx, coalesce(bad.sym, '?'),
      coalesce(bad.tf, '?'), bad.rule using errcode = '22023', hint = 'Nothing was saved.';
  end if;

  for st in
    select x ->> 'symbol' as sym, x ->> 'timeframe' as tf, x -> 'snapshot' as snap,
      coalesce((x ->> 'epoch')::bigint, 0) as ep,
      'epoch'::timestamptz + (x ->> 'expected_last_open_time')::bigint * interval '1 millisecond' as expected,
      'epoch'::timestamptz + (x ->> 'last_open_time')::bigint * interval '1 millisecond' as last_t
    from jsonb_array_elements(states) as s(x)
    order by 1, 2 -- fixed lock order: concurrent callers cannot deadlock
  loop
    if st.snap is null or jsonb_typeof(st.snap) <> 'object' or st.last_t is null then
      raise exception 'save_analysis: state for % % needs a snapshot object and last_open_time', st.sym, st.tf
        using errcode = '22023';
    end if;
    -- A state saved in an epoch that a concurrent out-of-order insert is about to end is harmless:
    -- the next load sees the new epoch and rebuilds.
    ok := coalesce((select e.epoch from private.series_epochs e
                    where e.symbol = st.sym and e.timeframe = st.tf), 0) = st.ep;
    if ok and st.expected is null then
      insert into public.analyzer_state as a (symbol, timeframe, snapshot, last_open_time, epoch)
      values (st.sym, st.tf, st.snap, st.last_t, st.ep)
      on conflict on constraint analyzer_state_pkey do update
        set snapshot = excluded.snapshot, last_open_time = excluded.last_open_time,
          epoch = excluded.epoch, updated_at = now()
        where a.epoch < excluded.epoch;
      ok := found;
    elsif ok then
      update public.analyzer_state as a
      set snapshot = st.snap, last_open_time = st.last_t, updated_at = now()
      where a.symbol = st.sym and a.timeframe = st.tf and a.last_open_time = st.expected
        and a.epoch = st.ep and st.last_t >= st.expected;
      ok := found;
    end if;
    ids := '{}';
    if ok then
      with sig as (
        select j ->> 'direction' as direction,
          'epoch'::timestamptz + (j ->> 'time')::bigint * interval '1 millisecond' as open_time,
          j
        from jsonb_array_elements(coalesce(signals, '[]')) as e(j)
        where j ->> 'symbol' = st.sym and j ->> 'timeframe' = st.tf
      ), timed as (
        select sig.*, not post_late and now() > case when st.tf = '1M'
            then sig.open_time + interval '2 months' + interval '60 seconds'
            else sig.open_time + 2 * public.timeframe_ms(st.tf) * interval '1 millisecond'
              + interval '60 seconds' end as late
        from sig
      ), ins as (
        insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2,
          tp3, risk_reward, confidence, atr, contributions, patterns, rationale, evidence,
          notify_status, next_attempt_at, last_error)
        select st.sym, st.tf, t.open_time, t.direction, (t.j ->> 'entry')::float8,
          (t.j ->> 'stopLoss')::float8, (t.j -> 'takeProfits' ->> 0)::float8,
          (t.j -> 'takeProfits' ->> 1)::float8, (t.j -> 'takeProfits' ->> 2)::float8,
          (t.j ->> 'riskReward')::float8, (t.j ->> 'confidence')::float8, (t.j ->> 'atr')::float8,
          coalesce(t.j -> 'contributions', '[]'), coalesce(t.j -> 'patterns', '{}'),
          coalesce(t.j ->> 'rationale', ''), t.j -> 'evidence',
          case when t.late then 'skipped' else 'pending' end,
          case when t.late then null else now() end,
          case when t.late then 'not posted: analysed after the next bar had closed' end
        from timed t
        order by t.open_time
        on conflict (symbol, timeframe, open_time) do nothing
        returning id
      )
      select coalesce(array_agg(i.id order by i.id), '{}') into ids from ins i;
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
  'Atomically advances analyzer snapshots (only in the epoch and from the last_open_time they were loaded at) and stores their signals; per series returns applied and the new signal ids.';

-- Per series: the newest stored candle and how far analysis has got (ms; null when none), for the
-- relay's backfill start and for status. keys: [{symbol, timeframe}] or null = every tracked series.
create or replace function api.series_heads(keys jsonb default null)
returns table (symbol text, timeframe text, last_open_time bigint, analyzed_open_time bigint)
language sql
stable
set search_path = ''
as $$
  select k.symbol, k.timeframe,
    (select public.epoch_ms(c.open_time) from public.candles c
     where c.symbol = k.symbol and c.timeframe = k.timeframe order by c.open_time desc limit 1),
    (select public.epoch_ms(a.last_open_time) from public.analyzer_state a
     where a.symbol = k.symbol and a.timeframe = k.timeframe)
  from (
    select x.symbol, x.timeframe from jsonb_to_recordset(keys) as x(symbol text, timeframe text)
    where keys is not null
    union all
    select t.symbol, t.timeframe from api.tracked_series() t where keys is null
  ) k
$$;
comment on function api.series_heads(jsonb) is
  'Newest stored candle and last analysed open time (ms) per series (tracked series when keys is null).';

-- Analyzer settings for the analyze function: the JSON object in setting analyzer_config ({} =
-- the library defaults). Changing it makes every series rebuild (snapshots record their settings).
create or replace function api.analyzer_settings()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(private.setting('analyzer_config')::jsonb, '{}'::jsonb)
$$;
comment on function api.analyzer_settings() is
  'The analyzer settings object (setting analyzer_config; {} = library defaults).';

-- Analyze sweep (cron, every minute): one wake-up to analyze listing every tracked series whose
-- analysis lags its newest stored candle or whose state is from an older epoch, so a lost wake-up
-- or a failed call is retried. Returns the number of series listed.
create or replace function private.sweep_analysis()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  lagging jsonb;
begin
  select jsonb_agg(jsonb_build_object('symbol', h.symbol, 'timeframe', h.timeframe,
      'last_open_time', h.last_open_time) order by h.symbol, h.timeframe)
  into lagging
  from api.series_heads() h
  left join public.analyzer_state a on a.symbol = h.symbol and a.timeframe = h.timeframe
  left join private.series_epochs e on e.symbol = h.symbol and e.timeframe = h.timeframe
  where h.last_open_time is not null
    and (h.analyzed_open_time is null or h.analyzed_open_time < h.last_open_time
         or a.epoch <> coalesce(e.epoch, 0));
  if lagging is null then
    return 0;
  end if;
  perform private.wake('analyze', jsonb_build_object('reason', 'sweep', 'series', lagging));
  return jsonb_array_length(lagging);
end
$$;
comment on function private.sweep_analysis() is
  'Cron job body: one analyze wake-up listing every tracked series whose analysis lags its candles.';

revoke all on function api.load_series(jsonb, integer) from public, anon, authenticated;
revoke all on function api.save_analysis(jsonb, jsonb) from public, anon, authenticated;
revoke all on function api.series_heads(jsonb) from public, anon, authenticated;
revoke all on function api.analyzer_settings() from public, anon, authenticated;
revoke all on function private.sweep_analysis() from public, anon, authenticated;
grant execute on function api.load_series(jsonb, integer) to service_role;
grant execute on function api.save_analysis(jsonb, jsonb) to service_role;
grant execute on function api.series_heads(jsonb) to service_role;
grant execute on function api.analyzer_settings() to service_role;
grant execute on function private.sweep_analysis() to service_role;
