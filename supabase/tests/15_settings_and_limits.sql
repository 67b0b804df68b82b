-- Settings are validated when written; load_candles falls back to its default limit.
begin;
create extension if not exists pgtap with schema extensions;
select plan(19);

select throws_ok($$insert into private.config (key, value) values ('wake_timeout_ms', 'abc')$$, '22023',
  'private.config: wake_timeout_ms must be an integer from 100 to 600000 (got "abc")',
  'wake_timeout_ms = abc is refused (it silently stopped every wake-up)');
select throws_like($$insert into private.config (key, value) values ('gap_lookback_days', '2147483647')$$,
  'private.config: gap_lookback_days must be an integer from 1 to 365%', 'a gap lookback beyond a year is refused');
select throws_like($$insert into private.config (key, value) values ('gap_lookback_days', '-1')$$,
  '%gap_lookback_days must be an integer%', 'a negative gap lookback is refused');
select throws_like($$insert into private.config (key, value) values ('notify_max_attempts', '0')$$,
  '%notify_max_attempts must be an integer from 1 to 100%', 'zero attempts is refused');
select throws_like($$insert into private.config (key, value) values ('outcome_expiry_bars', '1e3')$$,
  '%outcome_expiry_bars must be an integer from 1 to 100000%', 'a non-integer expiry is refused');
select throws_like($$insert into private.config (key, value) values ('notify_late_signals', 'yes')$$,
  '%notify_late_signals must be on or off%', 'notify_late_signals takes on or off');
select throws_like($$insert into private.config (key, value) values ('analyzer_config', '{"minConfidence": ')$$,
  '%analyzer_config must be a JSON object%', 'analyzer_config must parse as a JSON object');
select throws_like($$insert into private.config (key, value) values ('functions_url', 'ftp://x')$$,
  '%functions_url must be an http:// or https:// URL%', 'a functions_url that is not http(s) is refused');
select throws_like($$insert into private.config (key, value) values ('functions_secret', 'short')$$,
  'private.config: functions_secret must be 16 to 4096 characters (got "…")', 'a short secret is refused without echoing it');
insert into private.config (key, value) values ('wake_timeout_ms', '5000')
  on conflict (key) do update set value = excluded.value;
select throws_like($$update private.config set value = '5 s' where key = 'wake_timeout_ms'$$,
  '%wake_timeout_ms must be an integer%', 'an update is checked as well');
select is((select value from private.config where key = 'wake_timeout_ms'), '5000', 'a refused update changes nothing');
select lives_ok($$insert into private.config (key, value) values ('gap_lookback_days', '30'), ('notify_late_signals', 'on'),
  ('analyzer_config', '{"minConfidence": 0.7}'), ('some_later_setting', 'anything')
  on conflict (key) do update set value = excluded.value$$, 'valid values, and settings this version does not read, are stored');
select is(private.detect_gaps(), 0, 'the gap job runs with the stored lookback');
select throws_ok($$update public.retention_policy set keep_days = 1000000000 where timeframe = '1m'$$, '23514', null,
  'keep_days beyond 100 years is refused (now() - keep_days would overflow in the retention job)');
select lives_ok($$select private.apply_retention()$$, 'the retention job runs');

-- load_candles: a NULL limit falls back to the default 5000; at most 50000.
insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
select 'BTCUSDT', '1m', timestamptz '2020-01-01 00:00+00' + i * interval '1 minute', 1, 1, 1, 1, 1
from generate_series(0, 50049) i;
select is((select (api.load_candles('BTCUSDT', '1m', null, null, null) ->> 'length')::integer), 5000,
  'a NULL max_rows returns the default 5000 candles, not all of them');
select is((select (api.load_candles('BTCUSDT', '1m', null, null, 1000000) ->> 'length')::integer), 50000,
  'max_rows is capped at 50000');
select is((select (api.load_candles('BTCUSDT', '1m', null, null, -3) ->> 'length')::integer), 1,
  'a max_rows below 1 returns one candle');
select throws_like($$select api.load_candles('BTCUSDT', '1m', 9000000000000000000, null)$$,
  'load_candles: from_ms and to_ms must be ms since the epoch%', 'a bound beyond the year 3000 is refused clearly');

select * from finish();
rollback;
