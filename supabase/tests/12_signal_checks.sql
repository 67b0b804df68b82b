-- Signals and stored backtests hold finite numbers and signals sit on their timeframe's grid, for
-- every writer; api.store_signals names the element and the rule and stores nothing on a bad call.
begin;
create extension if not exists pgtap with schema extensions;
select plan(16);

create function pg_temp.sig(patch jsonb) returns text language sql as $$
  select format('select api.store_signals(%L::jsonb)', jsonb_build_array(
    jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '1h', 'time', 1714521600000, 'direction', 'long',
      'entry', 100, 'stopLoss', 96, 'takeProfits', jsonb_build_array(108, 112, 116), 'confidence', 0.8),
    jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '1h', 'time', 1714525200000, 'direction', 'long',
      'entry', 100, 'stopLoss', 96, 'takeProfits', jsonb_build_array(108, 112, 116), 'confidence', 0.8) || patch))
$$;
create temp table before as select count(*) as n from public.signals;

select throws_like(pg_temp.sig('{"entry": "NaN"}'),
  'store_signals: signal 1 (BTCUSDT 1h time 1714525200000) rejected: entry, stopLoss and the three takeProfits must be finite numbers > 0',
  'a NaN entry is refused naming the signal and the rule');
select throws_like(pg_temp.sig('{"takeProfits": [108, 112, "Infinity"]}'), '%signal 1 %must be finite numbers > 0', 'an infinite take profit is refused');
select throws_like(pg_temp.sig('{"stopLoss": 1e309}'), '%signal 1 %must be finite numbers > 0', 'a stop beyond double precision is refused');
select throws_like(pg_temp.sig('{"time": 1714525200001}'), '%signal 1 %time must be an open time on the timeframe''s grid', 'a time off the 1h grid is refused');
select throws_like(pg_temp.sig('{"time": "soon"}'), '%signal 1 %time must be an integer number of ms since the epoch', 'a time that is not a number is refused');
select throws_like(pg_temp.sig('{"confidence": "NaN"}'), '%signal 1 %confidence must be a number from 0 to 1', 'a NaN confidence is refused');
select throws_like(pg_temp.sig('{"takeProfits": [108, 107, 116]}'), '%signal 1 %levels must be ordered%', 'unordered targets are refused');
select throws_like(pg_temp.sig('{"atr": "Infinity"}'), '%signal 1 %riskReward and atr must be finite numbers >= 0 when given', 'an infinite ATR is refused');
select throws_like(pg_temp.sig('{"direction": "up"}'), '%signal 1 %direction must be long or short', 'an unknown direction is refused');
select throws_like(pg_temp.sig(jsonb_build_object('symbol', repeat('X', 100000))),
  'store_signals: signal 1 (XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX… (100000 chars) 1h time %) rejected: symbol must exist in public.symbols',
  'an oversized symbol is clipped in the message');
select is((select count(*) from public.signals), (select n from before), 'refused calls stored nothing, not even their valid signals');
select is((select count(*)::integer from api.store_signals(
  '[{"symbol": "BTCUSDT", "timeframe": "1h", "time": 1714521600000, "direction": "long", "entry": 100, "stopLoss": 96, "takeProfits": [108, 112, 116], "confidence": 0.8}]')),
  1, 'a valid signal is stored');

-- The table holds the rules for every writer.
select throws_ok($$insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
  values ('BTCUSDT', '1h', '2024-06-01 00:00+00', 'long', 'NaN', 96, 108, 112, 116, 0.8)$$, '23514', null,
  'a direct insert of a NaN entry breaks signals_levels_finite');
select throws_ok($$insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
  values ('BTCUSDT', '4h', '2024-06-01 01:00+00', 'long', 100, 96, 108, 112, 116, 0.8)$$, '23514', null,
  'a 4h signal at 01:00 breaks signals_open_time_aligned');
select throws_ok($$insert into public.backtests (symbol, timeframe, total_r) values ('BTCUSDT', '1h', 'NaN')$$, '23514', null,
  'a NaN total_r breaks backtests_figures_finite');
select is_empty($$select conname::text from pg_constraint
  where conname in ('signals_levels_finite', 'signals_open_time_aligned', 'backtests_figures_finite') and not convalidated$$,
  'the new checks are validated on this database');

select * from finish();
rollback;
