-- Zero-server ingest: settings ingest_mode and poll_delay_ms are checked on write; the mode adds or
-- removes the wyckoff-ingest job (and its pg_cron registration); the job wakes ingest only when a
-- tracked series is due; runs are recorded in relay_status; /status carries the ingest mode, each
-- feed's errors, an HTTP 451 from Binance, the sign-up evidence and the warnings.
begin;
create extension if not exists pgtap with schema extensions;
select plan(17);

select throws_like($$insert into private.config (key, value) values ('ingest_mode', 'stream')$$,
  'private.config: ingest_mode must be relay, poll or both%', 'an unknown ingest mode is refused');
select throws_like($$insert into private.config (key, value) values ('poll_delay_ms', '-5')$$,
  '%poll_delay_ms must be an integer from 0 to 30000%', 'a negative poll delay is refused');
select is(private.ingest_mode(), 'relay', 'relay mode by default');
select is_empty($$select 1 from private.jobs where name = 'wyckoff-ingest'$$, 'relay mode lists no ingest job');

insert into private.config (key, value) values ('ingest_mode', 'poll'), ('poll_delay_ms', '2500');
select is((select schedule || ' ' || command from private.jobs where name = 'wyckoff-ingest'),
  '* * * * * select private.poll_ingest()', 'poll mode lists the ingest job, every minute');
select case when to_regnamespace('cron') is null then skip('pg_cron is not installed here', 1)
  else is((select schedule from cron.job where jobname = 'wyckoff-ingest'), '* * * * *',
    'and pg_cron runs it') end;

-- Wake-ups: one signed POST to <functions_url>/ingest with the poll delay.
select private.configure_functions('http://functions.test/functions/v1', 'pgtap-secret-0123456789');
update public.symbols set active = (symbol = 'BTCUSDT');
select ok(private.ingest_due() > 0, 'a tracked series without candles is due');
select isnt(private.poll_ingest(), null, 'the job wakes ingest');
select is((select convert_from(body, 'UTF8')::jsonb from net.http_request_queue
           where url = 'http://functions.test/functions/v1/ingest' order by id desc limit 1),
  '{"reason": "poll", "delay_ms": 2500}'::jsonb, 'with the poll delay');
-- Every BTCUSDT series holds the candle open now: nothing is due, no wake-up (no invocation).
insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
select 'BTCUSDT', t, to_timestamp(floor(extract(epoch from now()) * 1000 / public.timeframe_ms(t))
         * public.timeframe_ms(t) / 1000.0), 1, 1, 1, 1, 1
from unnest((select timeframes from public.symbols where symbol = 'BTCUSDT')) t
where t <> '1M';
select is(private.ingest_due(), (select count(*)::integer from unnest((select timeframes from public.symbols
  where symbol = 'BTCUSDT')) t where t = '1M'), 'series holding their open candle are not due');

-- Runs accumulate in relay_status row ingest.
select is(api.ingest_report('{"series": ["btcusdt@kline_1h"], "binance_answered": true, "inserted": 2, "rest_calls": 3, "weight": 5, "errors": {}}'), 1::bigint,
  'a run is recorded');
select is(api.ingest_report('{"binance_answered": false, "errors": {"region": 1}, "last_error": "Binance refused /api/v3/time (HTTP 451)", "region_refused": true}'), 2::bigint,
  'runs are counted');
select is((select details - 'last_run' - 'last_error_at' from public.relay_status where relay_id = 'ingest'),
  '{"kind": "poll", "runs": 2, "waits": {}, "errors": {"region": 1}, "weight": 5, "held_back": 0, "rest_calls": 3, "last_error": "Binance refused /api/v3/time (HTTP 451)", "region_refused": true, "candles_fetched": 0, "candles_updated": 0, "candles_inserted": 2, "retry_after_until": null}'::jsonb,
  'figures and errors accumulate');
select throws_like($$select api.ingest_report('{"weight": 1.5}')$$, 'ingest_report: weight must be an integer >= 0',
  'a malformed report is refused naming the field');

-- /status.
select is((select s ->> 'ingest_mode' from api.status() s), 'poll', '/status shows the ingest mode');
select is((select (s ->> 'binance_region_refused')::boolean from api.status() s), true,
  '/status shows that Binance refuses the location');
select ok((select s ? 'auth' and s ? 'warnings' and s -> 'relays' -> 0 ->> 'kind' = 'poll'
             and s -> 'relays' -> 0 -> 'errors' = '{"region": 1}'::jsonb from api.status() s),
  '/status has each feed''s kind and errors, the sign-up evidence and the warnings');

select * from finish();
rollback;
