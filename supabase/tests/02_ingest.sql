-- api.ingest_candles: idempotent upsert, counts, and all-or-nothing rejection naming row and rule.
begin;
create extension if not exists pgtap with schema extensions;
select plan(37);

create temp table batch as
select jsonb_agg(jsonb_build_object('symbol', 'ETHUSDT', 'timeframe', '1h',
  'open_time', 1704067200000 + i * 3600000, 'close_time', 1704067200000 + i * 3600000 + 3599999,
  'open', '2300.5', 'high', 2310 + i, 'low', 2290, 'close', 2305, 'volume', '12.5',
  'quote_volume', 28800, 'trades', 100 + i, 'taker_buy_base', 6, 'taker_buy_quote', 13800) order by i) as b
from generate_series(0, 9) i;

select row_eq($$select * from api.ingest_candles((select b::json from batch))$$, row(10, 0, 0),
  'a new batch of 10 inserts 10');
select row_eq($$select * from api.ingest_candles((select b::json from batch))$$, row(0, 0, 10),
  'the same batch again is all unchanged');
select is((select count(*)::integer from public.candles where symbol = 'ETHUSDT'), 10, 'no duplicates after two ingests');
select row_eq($$select * from api.ingest_candles(jsonb_set((select b from batch), '{3,close}', '2306')::json)$$,
  row(0, 1, 9), 'a corrected candle counts as updated, the rest unchanged');
select is((select close from public.candles where symbol = 'ETHUSDT' and open_time = to_timestamp(1704067200 + 3 * 3600)),
  2306::float8, 'the correction was stored');
select row_eq($$select * from api.ingest_candles('[]')$$, row(0, 0, 0), 'an empty batch does nothing');
select is((select open_time from public.candles where symbol = 'ETHUSDT' order by open_time limit 1),
  '2024-01-01 00:00:00+00'::timestamptz, 'open_time ms maps to the exact timestamptz');

-- Each rule rejects the batch, names row 1 and the rule, and writes nothing (row 0 is valid and new).
create temp table good as select jsonb_build_object('symbol', 'SOLUSDT', 'timeframe', '15m',
  'open_time', 1704067200000, 'open', 100, 'high', 101, 'low', 99, 'close', 100.5, 'volume', 1) as j;
create function pg_temp.bad(patch jsonb) returns text language sql as $$
  select format('select * from api.ingest_candles(%L::json)',
    jsonb_build_array((select j from good), (select j from good) || jsonb_build_object('open_time', 1704068100000) || patch))
$$;
select throws_like(pg_temp.bad('{"symbol": "btcusdt"}'), '%row 1 %symbol must be an upper-case Binance symbol', 'lower-case symbol is rejected');
select throws_like(pg_temp.bad('{"symbol": "DOGEUSDT"}'), '%row 1 %symbol must exist in public.symbols', 'unknown symbol is rejected');
select throws_like(pg_temp.bad('{"timeframe": "2m"}'), '%row 1 %timeframe must be a Binance interval', 'unknown timeframe is rejected');
select throws_like(pg_temp.bad('{"open_time": 1704068100000.5}'), '%row 1 %open_time must be an integer%', 'fractional open_time is rejected');
select throws_like(pg_temp.bad('{"open_time": 1704068100001}'), '%row 1 %open_time must be aligned to the timeframe', 'misaligned open_time is rejected');
select throws_like(pg_temp.bad('{"high": "NaN"}'), '%row 1 %must be finite numbers', 'NaN price is rejected');
select throws_like(pg_temp.bad('{"close": null}'), '%row 1 %must be finite numbers', 'missing close is rejected');
select throws_like(pg_temp.bad('{"volume": "lots"}'), '%row 1 %volume must be a finite number', 'non-numeric volume is rejected');
select throws_like(pg_temp.bad('{"open": 0, "low": 0}'), '%row 1 %prices must be > 0', 'zero price is rejected');
select throws_like(pg_temp.bad('{"high": 98}'), '%row 1 %high must be >= low', 'high below low is rejected');
select throws_like(pg_temp.bad('{"high": 100.2}'), '%row 1 %high must be >= max(open, close)', 'high below close is rejected');
select throws_like(pg_temp.bad('{"low": 100.2}'), '%row 1 %low must be <= min(open, close)', 'low above open is rejected');
select throws_like(pg_temp.bad('{"volume": -1}'), '%row 1 %volume must be >= 0', 'negative volume is rejected');
select throws_like(pg_temp.bad('{"close_time": 1704068100000}'), '%row 1 %close_time must be a number of ms after open_time', 'close_time not after open_time is rejected');
select throws_like(pg_temp.bad('{"trades": -3}'), '%row 1 %must be numbers >= 0 when given', 'negative trades is rejected');
select throws_like(format('select * from api.ingest_candles(%L::json)', jsonb_build_array((select j from good), (select j from good))),
  '%row 1 %duplicate of an earlier row in the batch', 'a duplicate key within the batch is rejected');
select throws_like(pg_temp.bad('{"open": "abc"}'), '%row 1 %open, high, low and close must be finite numbers', 'a non-numeric price string is rejected');
select throws_like(pg_temp.bad('{"trades": true}'), '%row 1 %must be numbers >= 0 when given', 'a boolean trades is rejected');
select throws_like(format('select * from api.ingest_candles(%L::json)', jsonb_build_array((select j from good), '[1, 2]'::jsonb)),
  '%row 1 %row must be a JSON object', 'a row that is not an object is rejected');
select throws_like($$select * from api.ingest_candles('{"symbol": "BTCUSDT"}')$$, '%batch must be a JSON array%', 'a non-array batch is rejected');
-- Numbers that do not fit double precision or bigint name the row and the rule (not a raw 22003).
select throws_like(pg_temp.bad('{"high": 1e309}'), '%row 1 %open, high, low and close must fit in double precision%', 'a price beyond 1.8e308 is rejected');
select throws_like(pg_temp.bad('{"low": 1e-400}'), '%row 1 %open, high, low and close must fit in double precision%', 'a price that underflows is rejected');
select throws_like(pg_temp.bad('{"volume": "1e309"}'), '%row 1 %volume must fit in double precision%', 'a volume string beyond range is rejected');
select throws_like(pg_temp.bad('{"trades": 1e19}'), '%row 1 %trades must be an integer below 2^63', 'trades beyond bigint is rejected');
select throws_like(pg_temp.bad('{"quote_volume": 1e400}'), '%row 1 %quote_volume, trades, taker_buy_base and taker_buy_quote must fit in double precision%', 'an extra beyond range is rejected');
-- Strings Postgres text cannot hold (a \u0000 escape, an unpaired UTF-16 surrogate), even in a field
-- ingest ignores, name the row and the rule (not a raw 22P05 with the internal statement as context).
create function pg_temp.bad_text(extra text) returns text language sql as $$
  select format('select * from api.ingest_candles(%L::json)', '[' || (select j from good)::text || ','
    || left(((select j from good) || jsonb_build_object('open_time', 1704068100000))::text, -1) || ', ' || extra || '}]')
$$;
select throws_like(pg_temp.bad_text('"note": "a\u0000b"'), '%row 1 %strings must not hold \\u0000 or an unpaired UTF-16 surrogate%', 'a \u0000 escape in an ignored field is rejected');
select throws_like(pg_temp.bad_text('"note": ["\ud800"]'), '%row 1 %strings must not hold \\u0000 or an unpaired UTF-16 surrogate%', 'an unpaired surrogate escape is rejected');
select throws_like(pg_temp.bad_text('"open": "abc", "note": "\u0000"'), '%row 1 %strings must not hold%', 'the escape is named when its row also holds a value that does not parse');
select is((select count(*)::integer from public.candles where symbol = 'SOLUSDT'), 0, 'rejected batches wrote nothing');
delete from public.symbols where symbol = 'ETHUSDT';
select is((select count(*)::integer from public.candles where symbol = 'ETHUSDT'), 0, 'deleting a symbol deletes its candles');

select * from finish();
rollback;
