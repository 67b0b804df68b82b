-- api.save_analysis refuses numbers beyond double precision (1e309 and the like) and times beyond
-- any candle's by name and rule instead of a raw range error, and clips what it echoes (as
-- ingest_candles does since 20261129200100). Otherwise unchanged from 20261129100200 (this file sorts after private.clip is created).

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
    when jsonb_typeof(e.j -> 'time') is distinct from 'number' or abs((e.j -> 'time')::numeric) > 1e15
      or public.timeframe_ms(e.j ->> 'timeframe') is null
      or not public.is_aligned('epoch'::timestamptz + (e.j ->> 'time')::bigint * interval '1 millisecond',
                               e.j ->> 'timeframe')
      then 'time must be an open time (ms) on the timeframe''s grid'
    when jsonb_typeof(e.j -> 'takeProfits') <> 'array' or jsonb_array_length(e.j -> 'takeProfits') <> 3
      then 'takeProfits must hold three levels'
    when exists (select 1 from (values (e.j -> 'entry'), (e.j -> 'stopLoss'), (e.j -> 'confidence'),
                   (e.j -> 'takeProfits' -> 0), (e.j -> 'takeProfits' -> 1), (e.j -> 'takeProfits' -> 2)) f(v)
                 where jsonb_typeof(f.v) is distinct from 'number' or abs(f.v::numeric) > 1e300)
      then 'entry, stopLoss, takeProfits and confidence must be finite numbers'
    when exists (select 1 from (values (e.j -> 'riskReward'), (e.j -> 'atr')) f(v)
                 where f.v is not null and jsonb_typeof(f.v) <> 'null'
                   and (jsonb_typeof(f.v) <> 'number' or abs(f.v::numeric) > 1e300))
      then 'riskReward and atr must be finite numbers when given'
    end as rule) v
  where v.rule is not null
  order by e.n limit 1;
  if bad.rule is not null then
    raise exception 'save_analysis: signal % (% %) rejected: %', bad.idx, private.clip(coalesce(bad.sym, '?')),
      private.clip(coalesce(bad.tf, '?')), bad.rule using errcode = '22023', hint = 'Nothing was saved.';
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
      raise exception 'save_analysis: state for % % needs a snapshot object and last_open_time',
        private.clip(st.sym), private.clip(st.tf) using errcode = '22023';
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

revoke all on function api.save_analysis(jsonb, jsonb) from public, anon, authenticated;
grant execute on function api.save_analysis(jsonb, jsonb) to service_role;
