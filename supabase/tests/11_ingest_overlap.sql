-- api.ingest_candles on batches that overlap stored candles (the per-row probe runs only then) and
-- the alignment check constraint on direct writes.
begin;
create extension if not exists pgtap with schema extensions;
select plan(12);

insert into public.symbols (symbol, base_asset, quote_asset, display_name, timeframes)
values ('OVLPUSDT', 'OVLP', 'USDT', 'OVLP/USDT', '{1h}'), ('OVLQUSDT', 'OVLQ', 'USDT', 'OVLQ/USDT', '{1h}');

-- Rows i of OVLPUSDT 1h (close = 100 + i unless given).
create function pg_temp.rows(sym text, lo integer, hi integer, bump integer default -1) returns json
language sql as $$
  select json_agg(json_build_object('symbol', sym, 'timeframe', '1h',
    'open_time', 1704067200000 + i * 3600000::bigint, 'open', 100, 'high', 200, 'low', 50,
    'close', case when i = bump then 150 else 100 + i end, 'volume', 1) order by i)
  from generate_series(lo, hi) i
$$;

select row_eq($$select * from api.ingest_candles(pg_temp.rows('OVLPUSDT', 0, 9))$$, row(10, 0, 0),
  'ten new candles are inserted');
select row_eq($$select * from api.ingest_candles(pg_temp.rows('OVLPUSDT', 5, 14, 7))$$, row(5, 1, 4),
  'a batch overlapping stored candles: 5 new, 1 changed, 4 unchanged');
select is((select close from public.candles where symbol = 'OVLPUSDT' and open_time = to_timestamp(1704067200 + 7 * 3600)),
  150::float8, 'the changed candle was updated');
select row_eq($$select * from api.ingest_candles(pg_temp.rows('OVLPUSDT', 20, 24))$$, row(5, 0, 0),
  'a batch in a gap after stored candles inserts all');
select row_eq($$select * from api.ingest_candles(pg_temp.rows('OVLPUSDT', 15, 19))$$, row(5, 0, 0),
  'a batch filling the gap between stored candles inserts all');
select row_eq($$select * from api.ingest_candles((
    select json_agg(e) from (
      select e from json_array_elements(pg_temp.rows('OVLPUSDT', 0, 2)) e
      union all select e from json_array_elements(pg_temp.rows('OVLQUSDT', 0, 2)) e) x))$$,
  row(3, 0, 3), 'two series in one batch: the stored one unchanged, the new one inserted');
select is((select count(*)::integer from public.candles where symbol = 'OVLPUSDT'), 25,
  'every key is stored once');
select throws_like($$select * from api.ingest_candles((
    select json_agg(e) from (
      select e from json_array_elements(pg_temp.rows('OVLPUSDT', 3, 4)) e
      union all select e from json_array_elements(pg_temp.rows('OVLPUSDT', 3, 3)) e) x))$$,
  '%row 2 %duplicate of an earlier row in the batch',
  'a repeated key that is already stored is rejected as a duplicate');

-- The alignment constraint itself (direct writes bypass the function's checks).
create function pg_temp.put(tf text, t timestamptz) returns text language sql as $$
  select format('insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
    values (''OVLQUSDT'', %L, %L, 1, 1, 1, 1, 0)', tf, t)
$$;
select lives_ok(pg_temp.put('1w', '2024-01-01 00:00:00+00'), 'a Monday 00:00 UTC week is aligned');
select throws_like(pg_temp.put('1w', '2024-01-02 00:00:00+00'), '%candles_open_time_aligned%',
  'a Tuesday week is not aligned');
select throws_like(pg_temp.put('3d', '2024-01-02 00:00:00.001+00'), '%candles_open_time_aligned%',
  'a 3d candle 1 ms after midnight is not aligned');
select throws_like(pg_temp.put('15m', '2024-01-02 00:05:00+00'), '%candles_open_time_aligned%',
  'a 15m candle at :05 is not aligned');

select * from finish();
rollback;
