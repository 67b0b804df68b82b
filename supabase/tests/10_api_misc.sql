-- The rest of the API: last signal, subscriptions list, relay heartbeat, backtests, candles for
-- backtests, status figures, and the retry sweep's wake-up.
begin;
create extension if not exists pgtap with schema extensions;
select plan(16);

insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
values ('BTCUSDT', '1h', '2024-07-01 00:00+00', 'long', 100, 96, 108, 112, 116, 0.8),
       ('BTCUSDT', '4h', '2024-07-01 04:00+00', 'short', 100, 104, 92, 88, 84, 0.7),
       ('ETHUSDT', '1h', '2024-07-01 02:00+00', 'long', 10, 9, 12, 13, 14, 0.9);
select is((select timeframe from api.last_signal('btcusdt')), '4h', 'last_signal picks the latest bar of a symbol');
select is((select symbol from api.last_signal()), 'BTCUSDT', 'last_signal without filters picks the latest bar overall');
select is((select symbol from api.last_signal(null, '1h')), 'ETHUSDT', 'last_signal filters by timeframe');

do $$ begin perform api.subscribe('222222222222222222', 'SOLUSDT', '4h', 0.5); perform api.subscribe('222222222222222222', 'BTCUSDT'); end $$;
select is((select array_agg(symbol || ':' || coalesce(timeframe, '*') order by symbol) from api.list_subscriptions('222222222222222222')),
  array['BTCUSDT:*', 'SOLUSDT:4h'], 'list_subscriptions returns the user''s subscriptions');
select is(api.unsubscribe('222222222222222222', 'SOLUSDT', '4h'), 1, 'unsubscribe removes one symbol+timeframe');

do $$ begin
  perform api.relay_heartbeat('relay-1', array['btcusdt@kline_1h'], 1719792000000, 2, '{"written": 5}');
  perform api.relay_heartbeat('relay-1', array['btcusdt@kline_1h', 'ethusdt@kline_1h'], null, 3, '{"written": 9}');
end $$;
select is((select cardinality(streams) || ':' || reconnects || ':' || (details ->> 'written') from public.relay_status where relay_id = 'relay-1'),
  '2:3:9', 'a heartbeat updates streams, reconnects and figures');
select is((select last_message_at from public.relay_status where relay_id = 'relay-1'), '2024-07-01 00:00+00'::timestamptz,
  'a heartbeat without a message time keeps the last one');

select isnt(api.save_backtest('{"symbol": "BTCUSDT", "timeframe": "1h", "from_ms": 1704067200000, "to_ms": 1719792000000, "trades": 12, "win_rate": 0.5, "total_r": 3.5, "summary": {"maxDrawdownR": 2}}'),
  null, 'save_backtest returns an id');
select is((select total_r from public.backtests order by id desc limit 1), 3.5::float8, 'the backtest summary is stored');

select row_eq($$select * from api.ingest_candles((select json_agg(json_build_object('symbol', 'ETHUSDT', 'timeframe', '1d',
  'open_time', 1704067200000 + i * 86400000::bigint, 'open', 10, 'high', 30, 'low', 9, 'close', 10 + i, 'volume', 1))
  from generate_series(0, 9) i))$$, row(10, 0, 0), 'ten daily candles are ingested');
select is((select (c ->> 'length')::integer from api.load_candles('ETHUSDT', '1d', 1704067200000 + 2 * 86400000::bigint,
  1704067200000 + 6 * 86400000::bigint) c), 5, 'load_candles honours both bounds');
select is((select c -> 'close' from api.load_candles('ETHUSDT', '1d', null, null, 3) c), '[17, 18, 19]'::jsonb,
  'load_candles returns the newest max_rows, oldest first');

select is((select (s ->> 'signals_24h')::integer from api.status() s) >= 3, true, 'status counts the signals of the last 24 h');
select is((select s -> 'relays' -> 0 ->> 'relay_id' from api.status() s), 'relay-1', 'status lists the relays');

do $$ begin perform private.configure_functions('http://127.0.0.1:54321/functions/v1', 'test-secret-0123456789'); end $$;
update public.discord_outbox o set status = 'sent', message_id = '1175928847299117063', next_attempt_at = null
from public.signals s where s.id = o.signal_id and s.symbol <> 'ETHUSDT';
update public.discord_outbox o set next_attempt_at = now() - interval '1 minute'
from public.signals s where s.id = o.signal_id and s.symbol = 'ETHUSDT';
create temp table q0 as select coalesce(max(id), 0) as id from net.http_request_queue;
select isnt(private.sweep_notifications(), null, 'the sweep sends a wake-up when notifications are due');
select is((select convert_from(body, 'UTF8')::jsonb -> 'outbox_ids' from net.http_request_queue
  where id > (select id from q0) and url like '%/discord-notify'),
  (select jsonb_agg(id order by id) from public.discord_outbox where status <> 'sent' and next_attempt_at <= now()),
  'the sweep''s single request lists the due outbox rows');

select * from finish();
rollback;
