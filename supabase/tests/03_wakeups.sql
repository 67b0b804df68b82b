-- Statement-level wake-ups: one pg_net request per insert statement, signed (HMAC-SHA256), no secret in the queue.
begin;
create extension if not exists pgtap with schema extensions;
select plan(20);

select is(private.configure_functions('http://127.0.0.1:54321/functions/v1/', 'test-secret-0123456789'),
  'private.config', 'configure_functions stores URL and secret in private.config without Vault');
select is(private.setting('functions_url'), 'http://127.0.0.1:54321/functions/v1', 'the trailing slash is trimmed');
select throws_like($$select private.configure_functions('ftp://x', 'test-secret-0123456789')$$,
  '%url must start with http%', 'a non-http URL is refused');
select throws_like($$select private.configure_functions('http://x', 'short')$$,
  '%at least 16 characters%', 'a short secret is refused');

create temp table q0 as select coalesce(max(id), 0) as id from net.http_request_queue;

select row_eq($$select * from api.ingest_candles((
  select json_agg(json_build_object('symbol', 'BTCUSDT', 'timeframe', '15m', 'open_time', 1704067200000 + i * 900000,
    'open', 100, 'high', 102, 'low', 99, 'close', 101, 'volume', 5)) from generate_series(0, 299) i))$$,
  row(300, 0, 0), 'a 300-candle batch is ingested');
select is((select count(*)::integer from net.http_request_queue where id > (select id from q0)), 1,
  'the 300-row insert statement enqueued exactly one request');
select is((select url from net.http_request_queue where id > (select id from q0)),
  'http://127.0.0.1:54321/functions/v1/analyze', 'the request goes to the analyze function');
select is((select headers ->> 'x-wake-signature' from net.http_request_queue where id > (select id from q0)),
  (select private.wake_signature((headers ->> 'x-wake-timestamp')::bigint, convert_from(body, 'UTF8'),
     'test-secret-0123456789') from net.http_request_queue where id > (select id from q0)),
  'the request is signed over its timestamp and its exact body');
select matches((select headers ->> 'x-wake-signature' from net.http_request_queue where id > (select id from q0)),
  '^v1=[0-9a-f]{64}$', 'the signature is v1=<64 hex digits>');
select ok((select not (headers::text like '%test-secret-0123456789%') and not (convert_from(body, 'UTF8') like '%test-secret%')
           from net.http_request_queue where id > (select id from q0)),
  'the secret itself appears nowhere in the queued request');
select is(private.wake_signature(1700000000000, '{"a": 1}', 'key'),
  'v1=' || encode(extensions.hmac('1700000000000.{"a": 1}', 'key', 'sha256'), 'hex'),
  'wake_signature is HMAC-SHA256(key, "<ts>.<body>")');
select is((select convert_from(body, 'UTF8')::jsonb -> 'series' from net.http_request_queue where id > (select id from q0)),
  '[{"count": 300, "symbol": "BTCUSDT", "timeframe": "15m", "last_open_time": 1704336300000}]'::jsonb,
  'the body lists the series with new candles, their count and last open time');

truncate q0;
insert into q0 select coalesce(max(id), 0) from net.http_request_queue;
select row_eq($$select * from api.ingest_candles((
  select json_agg(json_build_object('symbol', 'BTCUSDT', 'timeframe', '15m', 'open_time', 1704067200000 + i * 900000,
    'open', 100, 'high', 102, 'low', 99, 'close', 101, 'volume', 5)) from generate_series(0, 299) i))$$,
  row(0, 0, 300), 'the same batch again changes nothing');
select is((select count(*)::integer from net.http_request_queue where id > (select id from q0)), 0,
  'an insert statement that inserts no new candle sends no wake-up');

insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
select 'ETHUSDT', '1m', to_timestamp(1704067200 + i * 60), 10, 11, 9, 10, 1 from generate_series(0, 299) i;
select is((select count(*)::integer from net.http_request_queue where id > (select id from q0)), 0,
  'candles of an untracked timeframe (ETHUSDT 1m) wake nothing');

truncate q0;
insert into q0 select coalesce(max(id), 0) from net.http_request_queue;
insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
values ('BTCUSDT', '1h', '2024-01-01 00:00+00', 'long', 100, 96, 108, 112, 116, 0.8),
       ('ETHUSDT', '1h', '2024-01-01 00:00+00', 'short', 100, 104, 92, 88, 84, 0.7);
select is((select count(*)::integer from net.http_request_queue where id > (select id from q0)), 1,
  'a two-signal insert statement enqueues exactly one notify request');
select is((select jsonb_array_length(convert_from(body, 'UTF8')::jsonb -> 'outbox_ids')
           from net.http_request_queue where id > (select id from q0) and url like '%/discord-notify'), 2,
  'the notify request lists the two new signals'' cards');

-- Region pinning: x-region on every wake-up once functions_region is set; a bad name is refused.
select throws_like($$insert into private.config (key, value) values ('functions_region', 'Mars')$$,
  '%must be a Supabase region name%', 'a bad region name is refused');
insert into private.config (key, value) values ('functions_region', 'eu-central-1');
create temp table w1 as select private.wake('analyze', '{"reason":"t"}') as id;
select is((select q.headers ->> 'x-region' from net.http_request_queue q join w1 on q.id = w1.id),
  'eu-central-1', 'with functions_region set, a wake-up carries x-region');
delete from private.config where key = 'functions_region';
create temp table w2 as select private.wake('analyze', '{"reason":"t"}') as id;
select is((select q.headers ? 'x-region' from net.http_request_queue q join w2 on q.id = w2.id),
  false, 'without it, no x-region header');

select * from finish();
rollback;
