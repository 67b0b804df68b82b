-- Signals (and stored backtests) get the finite and grid rules candles have (issue 11, item 4).
-- Postgres orders NaN above every number and accepts 'Infinity', so `entry > 0` and the level
-- ordering held for NaN levels, and one such signal turned v_signal_stats.avg_r into NaN. The table
-- checks hold for every writer (api.store_signals, api.save_analysis, the dashboard); store_signals
-- also names the element and the rule, like ingest_candles.
-- Rows stored before these checks existed are not rewritten: each check is added NOT VALID (it holds
-- for new and changed rows at once) and then validated where the stored rows already satisfy it.

alter table public.signals drop constraint if exists signals_levels_finite;
alter table public.signals add constraint signals_levels_finite check (
  entry < 'Infinity' and stop_loss < 'Infinity' and tp1 < 'Infinity' and tp2 < 'Infinity'
  and tp3 < 'Infinity'
  and (risk_reward is null or (risk_reward >= 0 and risk_reward < 'Infinity'))
  and (atr is null or (atr >= 0 and atr < 'Infinity'))) not valid;

-- Same expression as candles_open_time_aligned (Binance's grid: weeks open on Monday, months on the 1st).
alter table public.signals drop constraint if exists signals_open_time_aligned;
alter table public.signals add constraint signals_open_time_aligned check (
  case timeframe
    when '1M' then date_trunc('month', open_time, 'UTC') = open_time
    when '1w' then date_bin('7 days', open_time, '1970-01-05 00:00:00+00') = open_time
    else date_bin(case timeframe
      when '1s' then interval '1 second' when '1m' then interval '1 minute'
      when '3m' then interval '3 minutes' when '5m' then interval '5 minutes'
      when '15m' then interval '15 minutes' when '30m' then interval '30 minutes'
      when '1h' then interval '1 hour' when '2h' then interval '2 hours' when '4h' then interval '4 hours'
      when '6h' then interval '6 hours' when '8h' then interval '8 hours'
      when '12h' then interval '12 hours' when '1d' then interval '1 day'
      when '3d' then interval '1 day' end, open_time, '1970-01-01 00:00:00+00') = open_time
  end) not valid;

alter table public.backtests drop constraint if exists backtests_figures_finite;
alter table public.backtests add constraint backtests_figures_finite check (
  (win_rate is null or (win_rate >= 0 and win_rate <= 1))
  and (total_r is null or (total_r > '-Infinity' and total_r < 'Infinity'))
  and (trades is null or trades >= 0)) not valid;

do $$
declare
  c record;
begin
  for c in select * from (values ('signals', 'signals_levels_finite'), ('signals', 'signals_open_time_aligned'),
                                 ('backtests', 'backtests_figures_finite')) v(tbl, con) loop
    begin
      execute format('alter table public.%I validate constraint %I', c.tbl, c.con);
    exception when check_violation then
      raise warning '%: stored rows break it (checked for new rows only); find them with select * from public.% where not (<the check>)',
        c.con, c.tbl;
    end;
  end loop;
end
$$;

-- Inserts signals idempotently (one per symbol/timeframe/bar; a repeated call changes nothing).
-- Each element: the library's Signal plus symbol and timeframe: {symbol, timeframe, time (ms),
-- direction, entry, stopLoss, takeProfits [tp1, tp2, tp3], riskReward?, confidence, atr?,
-- contributions?, rationale?, patterns?} (snake_case open_time, stop_loss, tp1..tp3, risk_reward also
-- accepted). Returns the ids of the newly inserted signals. An invalid element rejects the whole
-- call with an error naming the element (0-based index) and the rule; nothing is stored.
create or replace function api.store_signals(signals jsonb)
returns setof bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  bad record;
begin
  if signals is not null and jsonb_typeof(signals) <> 'array' then
    raise exception 'store_signals: signals must be a JSON array of signal objects' using errcode = '22023';
  end if;
  select v.idx, v.sym, v.tf, v.t, v.rule into bad
  from (
    select e.n - 1 as idx, x.j ->> 'symbol' as sym, x.j ->> 'timeframe' as tf, x.t,
      case
        when jsonb_typeof(e.j) is distinct from 'object' then 'signal must be a JSON object'
        when not exists (select 1 from public.symbols s where s.symbol = x.j ->> 'symbol')
          then 'symbol must exist in public.symbols'
        when public.timeframe_ms(x.j ->> 'timeframe') is null then 'timeframe must be a Binance interval'
        when not private.is_finite_number(x.t::json) or (x.t #>> '{}')::numeric <> trunc((x.t #>> '{}')::numeric)
          or not ((x.t #>> '{}')::numeric between 0 and 32503680000000)
          then 'time must be an integer number of ms since the epoch'
        when not public.is_aligned('epoch'::timestamptz + (x.t #>> '{}')::numeric::bigint * interval '1 millisecond',
                                   x.j ->> 'timeframe')
          then 'time must be an open time on the timeframe''s grid'
        when x.j ->> 'direction' is distinct from 'long' and x.j ->> 'direction' is distinct from 'short'
          then 'direction must be long or short'
        when exists (select 1 from unnest(array[x.entry, x.stop, x.tp1, x.tp2, x.tp3]) l(v)
                     where not private.is_finite_number(l.v::json) or (l.v #>> '{}')::float8 <= 0)
          then 'entry, stopLoss and the three takeProfits must be finite numbers > 0'
        when not (case x.j ->> 'direction'
            when 'long' then (x.stop #>> '{}')::float8 < (x.entry #>> '{}')::float8
              and (x.entry #>> '{}')::float8 < (x.tp1 #>> '{}')::float8
              and (x.tp1 #>> '{}')::float8 <= (x.tp2 #>> '{}')::float8
              and (x.tp2 #>> '{}')::float8 <= (x.tp3 #>> '{}')::float8
            else (x.stop #>> '{}')::float8 > (x.entry #>> '{}')::float8
              and (x.entry #>> '{}')::float8 > (x.tp1 #>> '{}')::float8
              and (x.tp1 #>> '{}')::float8 >= (x.tp2 #>> '{}')::float8
              and (x.tp2 #>> '{}')::float8 >= (x.tp3 #>> '{}')::float8 end)
          then 'levels must be ordered: long stopLoss < entry < tp1 <= tp2 <= tp3, short the mirror'
        when not private.is_finite_number((x.j -> 'confidence')::json)
          or not ((x.j ->> 'confidence')::float8 between 0 and 1)
          then 'confidence must be a number from 0 to 1'
        when exists (select 1 from unnest(array[x.rr, x.j -> 'atr']) l(v)
                     where l.v is not null and jsonb_typeof(l.v) <> 'null'
                       and (not private.is_finite_number(l.v::json) or (l.v #>> '{}')::float8 < 0))
          then 'riskReward and atr must be finite numbers >= 0 when given'
      end as rule
    from jsonb_array_elements(coalesce(signals, '[]')) with ordinality as e(j, n)
    cross join lateral (select e.j as j,
      coalesce(e.j -> 'time', e.j -> 'open_time') as t,
      e.j -> 'entry' as entry, coalesce(e.j -> 'stopLoss', e.j -> 'stop_loss') as stop,
      coalesce(e.j -> 'takeProfits' -> 0, e.j -> 'tp1') as tp1,
      coalesce(e.j -> 'takeProfits' -> 1, e.j -> 'tp2') as tp2,
      coalesce(e.j -> 'takeProfits' -> 2, e.j -> 'tp3') as tp3,
      coalesce(e.j -> 'riskReward', e.j -> 'risk_reward') as rr
      where jsonb_typeof(e.j) = 'object'
      union all
      select e.j, null, null, null, null, null, null, null where jsonb_typeof(e.j) is distinct from 'object') x
  ) v
  where v.rule is not null
  order by v.idx
  limit 1;
  if bad.rule is not null then
    raise exception 'store_signals: signal % (% % time %) rejected: %', bad.idx,
      coalesce(private.clip(bad.sym, 32), '?'), coalesce(private.clip(bad.tf, 8), '?'),
      coalesce(private.clip(bad.t #>> '{}', 24), '?'), bad.rule
      using errcode = '23514', hint = 'No signal from this call was stored.';
  end if;

  return query
  insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2,
    tp3, risk_reward, confidence, atr, contributions, patterns, rationale)
  select j ->> 'symbol', j ->> 'timeframe',
    'epoch'::timestamptz + (coalesce(j ->> 'time', j ->> 'open_time'))::numeric::bigint * interval '1 millisecond',
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
  returning id;
end
$$;
comment on function api.store_signals(jsonb) is
  'Idempotent insert of signals (library Signal objects plus symbol and timeframe); returns the new ids only. An invalid element rejects the call naming the element and the rule.';
revoke all on function api.store_signals(jsonb) from public, anon, authenticated;
grant execute on function api.store_signals(jsonb) to service_role;
