-- Analysis API: load states + candles oldest first; save snapshots + signals atomically, idempotently,
-- only from the loaded last_open_time and only in the loaded series epoch; late candles force rebuilds.
begin;
create extension if not exists pgtap with schema extensions;
select plan(35);

select set_config('test.t0', '1704067200000', true);
create function pg_temp.t(i integer) returns bigint language sql as
  $$ select current_setting('test.t0')::bigint + i * 14400000::bigint $$;

select row_eq($$select * from api.ingest_candles((
  select json_agg(json_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'open_time', pg_temp.t(i),
    'open', 100 + i, 'high', 102 + i, 'low', 99 + i, 'close', 101 + i, 'volume', 5, 'trades', 7)) from generate_series(0, 49) i))$$,
  row(50, 0, 0), '50 candles of BTCUSDT 4h ingested');
select is((select count(*)::integer from private.series_epochs where symbol = 'BTCUSDT' and timeframe = '4h'), 0,
  'candles appended in order leave the series epoch alone');

create temp table l1 as select * from api.load_series('[{"symbol":"BTCUSDT","timeframe":"4h"},{"symbol":"ETHUSDT","timeframe":"4h"}]', 20);
select is((select count(*)::integer from l1), 2, 'one row per requested series');
select is((select snapshot from l1 where symbol = 'BTCUSDT'), null, 'a series without state has no snapshot');
select is((select (candles ->> 'length')::integer || ':' || more from l1 where symbol = 'BTCUSDT'), '20:true',
  'without state: the first max_new candles, and more is set');
select is((select (candles -> 'openTime' ->> 0)::bigint from l1 where symbol = 'BTCUSDT'), pg_temp.t(0),
  'without state: candles start at the first stored candle (a rebuild emits what the offline CLI emits)');
select is((select candles -> 'close' -> 19 from l1 where symbol = 'BTCUSDT'), '120'::jsonb, 'oldest first');
select is((select candles -> 'trades' -> 0 from l1 where symbol = 'BTCUSDT'), '7'::jsonb, 'optional columns come along');
select is((select (candles ->> 'length')::integer from l1 where symbol = 'ETHUSDT'), 0, 'a series with no candles returns empty columns');
select is((select epoch from l1 where symbol = 'BTCUSDT'), 0::bigint, 'the current epoch is reported');

create temp table l1b as select * from api.load_series(jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'after', pg_temp.t(19))), 20);
select is((select (candles -> 'openTime' ->> 0)::bigint || ':' || (candles ->> 'length') || ':' || more from l1b),
  pg_temp.t(20) || ':20:true', '`after` continues with the next page');
select is((select (candles ->> 'length')::integer || ':' || more from api.load_series(
  jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'after', pg_temp.t(39))), 20)), '10:false',
  'the last page has more = false');
select is((select (candles ->> 'length')::integer from api.load_series('[{"symbol":"BTCUSDT","timeframe":"4h"}]', null)), 50,
  'a NULL max_new falls back to the default');

-- First save: no state yet (expected null).
create temp table s1 as select * from api.save_analysis(
  jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'snapshot', '{"v":1}'::jsonb, 'epoch', 0,
    'expected_last_open_time', null, 'last_open_time', pg_temp.t(49))),
  jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'time', pg_temp.t(49),
    'direction', 'long', 'entry', 150, 'stopLoss', 146, 'takeProfits', jsonb_build_array(158, 162, 166),
    'riskReward', 2, 'confidence', 0.75, 'atr', 2, 'contributions', '[]'::jsonb, 'rationale', 'test', 'patterns', '{}'::jsonb,
    'evidence', '{"setup":"spring","n":212}'::jsonb)));
select is((select applied from s1), true, 'the first save applies');
select is((select cardinality(signal_ids) from s1), 1, 'and stores its signal');
select is((select tp2 from public.signals where symbol = 'BTCUSDT' and timeframe = '4h'), 162::float8, 'takeProfits map to tp1..tp3');
select is((select evidence ->> 'setup' from public.signals where symbol = 'BTCUSDT' and timeframe = '4h'), 'spring',
  'the evidence is stored');
select is((select notify_status || ':' || (next_attempt_at is null) from public.signals where symbol = 'BTCUSDT' and timeframe = '4h'),
  'skipped:true', 'a signal analysed long after its next bar closed is stored but not posted');

-- A concurrent/repeated save from the same starting point changes nothing.
create temp table s2 as select * from api.save_analysis(
  jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'snapshot', '{"v":"other"}'::jsonb, 'epoch', 0,
    'expected_last_open_time', null, 'last_open_time', pg_temp.t(49))),
  jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h', 'time', pg_temp.t(48),
    'direction', 'long', 'entry', 150, 'stopLoss', 146, 'takeProfits', jsonb_build_array(158, 162, 166), 'confidence', 0.75)));
select is((select applied from s2), false, 'a second save from the same loaded state is refused');
select is((select snapshot from public.analyzer_state where symbol = 'BTCUSDT' and timeframe = '4h'), '{"v":1}'::jsonb,
  'the refused save did not overwrite the snapshot');
select is((select count(*)::integer from public.signals where symbol = 'BTCUSDT' and timeframe = '4h'), 1,
  'the refused save stored no signal');

-- New candles after the state; load returns only those, bounded by max_new.
select api.ingest_candles((select json_agg(json_build_object('symbol', 'BTCUSDT', 'timeframe', '4h',
  'open_time', pg_temp.t(i), 'open', 100, 'high', 102, 'low', 99, 'close', 101, 'volume', 5))
  from generate_series(50, 64) i));
create temp table l2 as select * from api.load_series('[{"symbol":"BTCUSDT","timeframe":"4h"}]', 10);
select is((select snapshot from l2), '{"v":1}'::jsonb, 'load returns the stored snapshot');
select is((select (candles ->> 'length')::integer || ':' || more from l2), '10:true', 'new candles are bounded by max_new and more is set');
select is((select (candles -> 'openTime' ->> 0)::bigint from l2), pg_temp.t(50), 'new candles start right after last_open_time');

select is((select applied from api.save_analysis(jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h',
  'snapshot', '{"v":2}'::jsonb, 'epoch', 0, 'expected_last_open_time', pg_temp.t(49),
  'last_open_time', pg_temp.t(59))))), true, 'saving from the loaded last_open_time advances');

-- A late candle (older than stored ones: a filled gap) ends the epoch: the state is no longer used.
delete from public.candles where symbol = 'BTCUSDT' and timeframe = '4h' and open_time = 'epoch'::timestamptz + pg_temp.t(30) * interval '1 ms';
select api.ingest_candles(json_build_array(json_build_object('symbol', 'BTCUSDT', 'timeframe', '4h',
  'open_time', pg_temp.t(30), 'open', 100, 'high', 102, 'low', 99, 'close', 101, 'volume', 5)));
select is((select epoch from private.series_epochs where symbol = 'BTCUSDT' and timeframe = '4h'), 1::bigint,
  'a candle stored out of order bumps the series epoch');
create temp table l3 as select * from api.load_series('[{"symbol":"BTCUSDT","timeframe":"4h"}]', 100);
select is((select coalesce(snapshot::text, 'none') || ':' || (candles -> 'openTime' ->> 0) || ':' || epoch from l3),
  'none:' || pg_temp.t(0) || ':1', 'a state of an older epoch is not handed out: the series is rebuilt from its first candle');
select is((select applied from api.save_analysis(jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h',
  'snapshot', '{"v":"stale"}'::jsonb, 'epoch', 0, 'expected_last_open_time', pg_temp.t(59),
  'last_open_time', pg_temp.t(64))))), false, 'a save from before the late candle is refused');
select is((select applied from api.save_analysis(jsonb_build_array(jsonb_build_object('symbol', 'BTCUSDT', 'timeframe', '4h',
  'snapshot', '{"v":"rebuilt"}'::jsonb, 'epoch', 1, 'expected_last_open_time', null,
  'last_open_time', pg_temp.t(64))))), true, 'the rebuild in the new epoch replaces the old state');
select api.ingest_candles(json_build_array(json_build_object('symbol', 'BTCUSDT', 'timeframe', '4h',
  'open_time', pg_temp.t(30), 'open', 100, 'high', 103, 'low', 99, 'close', 101, 'volume', 5)));
select is((select epoch from private.series_epochs where symbol = 'BTCUSDT' and timeframe = '4h'), 2::bigint,
  'a changed candle bumps the epoch too');

-- Validation.
select throws_like($$select * from api.save_analysis('[]', '[{"symbol":"BTCUSDT","timeframe":"1h","time":0}]')$$,
  '%has no entry in states%', 'a signal without its series state is refused');
select throws_like($$select * from api.save_analysis('[{"symbol":"BTCUSDT","timeframe":"1h","snapshot":{},"last_open_time":1704067200000}]',
  '[{"symbol":"BTCUSDT","timeframe":"1h","time":1704067200001,"direction":"long","entry":1,"stopLoss":0.5,"takeProfits":[2,3,4],"confidence":0.7}]')$$,
  '%signal 0 (BTCUSDT 1h) rejected: time must be an open time%', 'a signal time off the grid is refused');
select throws_like($$select * from api.save_analysis('[{"symbol":"BTCUSDT","timeframe":"1h","snapshot":{},"last_open_time":1704067200000}]',
  '[{"symbol":"BTCUSDT","timeframe":"1h","time":1704067200000,"direction":"long","entry":"NaN","stopLoss":0.5,"takeProfits":[2,3,4],"confidence":0.7}]')$$,
  '%must be finite numbers%', 'a NaN level is refused');
select throws_like($$select * from api.save_analysis('[{"symbol":"BTCUSDT","timeframe":"1h","snapshot":{},"last_open_time":1704067200000}]',
  '[{"symbol":"BTCUSDT","timeframe":"1h","time":1704067200000,"direction":"long","entry":1e309,"stopLoss":0.5,"takeProfits":[2,3,4],"confidence":0.7}]')$$,
  '%signal 0 (BTCUSDT 1h) rejected: entry, stopLoss, takeProfits and confidence must be finite numbers%',
  'a number beyond double precision is refused by name, not with a range error');
select throws_like($$select * from api.save_analysis('[{"symbol":"BTCUSDT","timeframe":"1h","snapshot":{},"last_open_time":1704067200000}]',
  '[{"symbol":"BTCUSDT","timeframe":"1h","time":1e30,"direction":"long","entry":1,"stopLoss":0.5,"takeProfits":[2,3,4],"confidence":0.7}]')$$,
  '%rejected: time must be an open time%', 'a time beyond any candle''s is refused by name');

select * from finish();
rollback;
