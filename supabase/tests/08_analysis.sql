-- Analysis API: load states + new candles; save snapshots + signals atomically, idempotently and
-- only from the loaded last_open_time.
begin;
create extension if not exists pgtap with schema extensions;
select plan(20);

select row_eq($$select * from api.ingest_candles((
  select json_agg(json_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'open_time', 1704067200000 + i * 14400000,
    'open', 100 + i, 'high', 102 + i, 'low', 99 + i, 'close', 101 + i, 'volume', 5, 'trades', 7)) from generate_series(0, 49) i))$$,
  row(50, 0, 0), '50 candles of BTCUSDT 4h ingested');

create temp table l1 as select * from api.load_series('[{"symbol":"BTCUSDT","timeframe":"4h"},{"symbol":"ETHUSDT","timeframe":"4h"}]', 20, 10);
select is((select count(*)::integer from l1), 2, 'one row per requested series');
select is((select snapshot from l1 where symbol = 'BTCUSDT'), null, 'a series without state has no snapshot');
select is((select (candles ->> 'length')::integer from l1 where symbol = 'BTCUSDT'), 20, 'without state: the newest fresh_limit candles');
select is((select (candles -> 'openTime' ->> 0)::bigint from l1 where symbol = 'BTCUSDT'), 1704067200000 + 30 * 14400000::bigint,
  'without state: candles start 20 from the end, oldest first');
select is((select candles -> 'close' -> 19 from l1 where symbol = 'BTCUSDT'), '150'::jsonb, 'the last close is the newest candle''s');
select is((select candles -> 'trades' -> 0 from l1 where symbol = 'BTCUSDT'), '7'::jsonb, 'optional columns come along');
select is((select (candles ->> 'length')::integer from l1 where symbol = 'ETHUSDT'), 0, 'a series with no candles returns empty columns');

-- First save: no state yet (expected null).
create temp table s1 as select * from api.save_analysis(
  jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'snapshot', '{"v":1}'::jsonb,
    'expected_last_open_time', null, 'last_open_time', 1704067200000 + 49 * 14400000::bigint)),
  jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'time', 1704067200000 + 49 * 14400000::bigint,
    'direction', 'long', 'entry', 150, 'stopLoss', 146, 'takeProfits', jsonb_build_array(158, 162, 166),
    'riskReward', 2, 'confidence', 0.75, 'atr', 2, 'contributions', '[]'::jsonb, 'rationale', 'test', 'patterns', '{}'::jsonb)));
select is((select applied from s1), true, 'the first save applies');
select is((select cardinality(signal_ids) from s1), 1, 'and stores its signal');
select is((select tp2 from public.signals where symbol = 'BTCUSDT' and timeframe = '4h'), 162::float8, 'takeProfits map to tp1..tp3');

-- A concurrent/repeated save from the same starting point changes nothing.
create temp table s2 as select * from api.save_analysis(
  jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'snapshot', '{"v":"other"}'::jsonb,
    'expected_last_open_time', null, 'last_open_time', 1704067200000 + 49 * 14400000::bigint)),
  jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'time', 1704067200000 + 48 * 14400000::bigint,
    'direction', 'long', 'entry', 150, 'stopLoss', 146, 'takeProfits', jsonb_build_array(158, 162, 166), 'confidence', 0.75)));
select is((select applied from s2), false, 'a second save from the same loaded state is refused');
select is((select snapshot from public.analyzer_state where symbol = 'BTCUSDT' and timeframe = '4h'), '{"v":1}'::jsonb,
  'the refused save did not overwrite the snapshot');
select is((select count(*)::integer from public.signals where symbol = 'BTCUSDT' and timeframe = '4h'), 1,
  'the refused save stored no signal');

-- New candles after the state; load returns only those, bounded by max_new.
select api.ingest_candles((select json_agg(json_build_object('symbol', 'BTCUSDT', 'timeframe', '4h',
  'open_time', 1704067200000 + i * 14400000, 'open', 100, 'high', 102, 'low', 99, 'close', 101, 'volume', 5))
  from generate_series(50, 64) i));
create temp table l2 as select * from api.load_series('[{"symbol":"BTCUSDT","timeframe":"4h"}]', 20, 10);
select is((select snapshot from l2), '{"v":1}'::jsonb, 'load returns the stored snapshot');
select is((select (candles ->> 'length')::integer || ':' || more from l2), '10:true', 'new candles are bounded by max_new and more is set');
select is((select (candles -> 'openTime' ->> 0)::bigint from l2), 1704067200000 + 50 * 14400000::bigint,
  'new candles start right after last_open_time');

select is((select applied from api.save_analysis(jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h',
  'snapshot', '{"v":2}'::jsonb, 'expected_last_open_time', 1704067200000 + 49 * 14400000::bigint,
  'last_open_time', 1704067200000 + 59 * 14400000::bigint)))), true, 'saving from the loaded last_open_time advances');

-- store_signals is idempotent on its own too.
select is((select count(*)::integer from api.store_signals(jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h',
  'time', 1704067200000 + 49 * 14400000::bigint, 'direction', 'long', 'entry', 150, 'stopLoss', 146,
  'takeProfits', jsonb_build_array(158, 162, 166), 'confidence', 0.75)))), 0, 'storing an existing signal again inserts nothing');
select throws_like($$select * from api.save_analysis('[]', '[{"symbol":"BTCUSDT","timeframe":"1h","time":0}]')$$,
  '%has no entry in states%', 'a signal without its series state is refused');

select * from finish();
rollback;
