-- Gap detection and backfill request, retention, subscriptions, status.
begin;
create extension if not exists pgtap with schema extensions;
select plan(16);

select private.configure_functions('http://127.0.0.1:54321/functions/v1', 'test-secret-0123456789');
-- Recent 1h candles with a hole of 3 (hours 5, 6, 7 missing).
select api.ingest_candles((select json_agg(json_build_object('symbol', 'SOLUSDT', 'timeframe', '1h',
  'open_time', (extract(epoch from date_trunc('hour', now()) - interval '12 hours') * 1000)::bigint + i * 3600000,
  'open', 100, 'high', 102, 'low', 99, 'close', 101, 'volume', 5)) from generate_series(0, 11) i where i not in (5, 6, 7)));
create temp table q0 as select coalesce(max(id), 0) as id from net.http_request_queue;

select is(private.detect_gaps(), 1, 'one gap is requested');
select is((select missing from public.ingest_gaps where symbol = 'SOLUSDT'), 3, 'the gap counts 3 missing candles');
select is((select gap_start from public.ingest_gaps where symbol = 'SOLUSDT'), date_trunc('hour', now()) - interval '7 hours',
  'the gap starts at the first missing open time');
select is((select status from public.ingest_gaps where symbol = 'SOLUSDT'), 'requested', 'the gap is marked requested');
select is((select count(*)::integer from net.http_request_queue where id > (select id from q0) and url like '%/backfill'), 1,
  'one backfill wake-up was sent');
select is(private.detect_gaps(), 0, 'a requested gap is not requested again within 30 minutes');
select is((select count(*)::integer from public.ingest_gaps), 1, 'the same gap is not recorded twice');
select api.ingest_candles((select json_agg(json_build_object('symbol', 'SOLUSDT', 'timeframe', '1h',
  'open_time', (extract(epoch from date_trunc('hour', now()) - interval '12 hours') * 1000)::bigint + i * 3600000,
  'open', 100, 'high', 102, 'low', 99, 'close', 101, 'volume', 5)) from generate_series(5, 7) i));
select private.detect_gaps();
select is((select status from public.ingest_gaps where symbol = 'SOLUSDT'), 'repaired', 'the gap is repaired once its candles arrived');

-- Retention: 1m keeps 30 days, 4h forever.
insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume) values
  ('BTCUSDT', '1m', date_trunc('minute', now()) - interval '31 days', 1, 1, 1, 1, 1),
  ('BTCUSDT', '1m', date_trunc('minute', now()) - interval '29 days', 1, 1, 1, 1, 1),
  ('BTCUSDT', '4h', '2017-08-17 04:00+00', 1, 1, 1, 1, 1);
select cmp_ok(private.apply_retention(), '>=', 1::bigint, 'retention deletes old candles');
select is((select array_agg(timeframe || ' ' || (open_time > now() - interval '30 days')::text order by timeframe)
  from public.candles where symbol = 'BTCUSDT' and timeframe in ('1m', '4h')), array['1m true', '4h false'],
  'the 1m candle older than 30 days is gone; the newer 1m and the old 4h candle stay');

-- Subscriptions.
select is((select min_confidence from api.subscribe('175928847299117063', 'ethusdt', null, 0.8)), 0.8::float8, 'a user subscribes to every ETHUSDT timeframe');
select is((select min_confidence from api.subscribe('175928847299117063', 'ETHUSDT')), 0.8::float8, 'subscribing again keeps the threshold');
select throws_like($$select api.subscribe('175928847299117063', 'DOGEUSDT')$$, '%unknown symbol DOGEUSDT%', 'an unknown symbol is refused clearly');
insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
values ('ETHUSDT', '1h', '2024-06-01 00:00+00', 'long', 100, 96, 108, 112, 116, 0.85);
select is((select array_agg(x) from api.subscribers_for_signal((select id from public.signals where symbol = 'ETHUSDT')) x),
  array['175928847299117063'], 'the subscriber matches the signal');
select is(api.unsubscribe('175928847299117063'), 1, 'unsubscribe removes the subscription');

select is((select jsonb_array_length(api.status() -> 'series')), 9, 'status lists the 9 tracked series');

select * from finish();
rollback;
