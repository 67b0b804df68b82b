-- api.ingest_candles' fast path (every row new and valid: one INSERT) and its hand-over to the
-- general path when a batch is not like that: a stored key, a changed candle, a bad row or a
-- repeated key anywhere in the batch (here always after new rows, which the fast path has then
-- inserted and must take back). Results, errors, wake-ups and epochs are those of the general path.
begin;
create extension if not exists pgtap with schema extensions;
select plan(27);

select private.configure_functions('http://127.0.0.1:54321/functions/v1', 'test-secret-0123456789');
insert into public.symbols (symbol, base_asset, quote_asset, display_name, timeframes)
values ('FASTUSDT', 'FAST', 'USDT', 'FAST/USDT', '{1h}');

-- Row i of FASTUSDT 1h as JSON (close = 100 + i unless bumped; prices as numeric strings, as
-- Binance sends them, on even rows).
create function pg_temp.row(i integer, close numeric default null) returns json language sql as $$
  select json_build_object('symbol', 'FASTUSDT', 'timeframe', '1h',
    'open_time', 1704067200000 + i * 3600000::bigint, 'close_time', 1704067200000 + i * 3600000::bigint + 3599999,
    'open', case when i % 2 = 0 then to_json('100'::text) else to_json(100) end, 'high', 300, 'low', 50,
    'close', coalesce(close, 100 + i), 'volume', 1.5, 'trades', 7)
$$;
create function pg_temp.batch(rows json[]) returns json language sql as
  $$ select json_agg(r) from unnest(rows) r $$;
create function pg_temp.range(lo integer, hi integer) returns json[] language sql as
  $$ select array_agg(pg_temp.row(i) order by i) from generate_series(lo, hi) i $$;
create function pg_temp.stored() returns integer language sql as
  $$ select count(*)::integer from public.candles where symbol = 'FASTUSDT' $$;
create function pg_temp.epoch() returns bigint language sql as
  $$ select coalesce((select epoch from private.series_epochs where symbol = 'FASTUSDT'), 0) $$;
create temp table q0 (id bigint);
create function pg_temp.mark() returns void language sql as $$
  delete from q0; insert into q0 select coalesce(max(id), 0) from net.http_request_queue;
$$;
create function pg_temp.wakes() returns integer language sql as
  $$ select count(*)::integer from net.http_request_queue where id > (select id from q0) $$;

-- The settings that keep every lookup an index probe and leave JIT out (the epoch trigger's plan
-- costs more than jit_inline_above_cost once candles has production-size statistics).
select ok((select proconfig @> array['jit=off', 'enable_seqscan=off'] from pg_proc
  where oid = 'api.ingest_candles(json)'::regprocedure), 'ingest_candles runs with jit and enable_seqscan off');

-- All new: the fast path.
select pg_temp.mark();
select row_eq($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(10, 14)))$$, row(5, 0, 0),
  'five new candles are inserted');
select is(pg_temp.wakes(), 1, 'one analyze wake-up for the statement');
select is((select close_time from public.candles where symbol = 'FASTUSDT' and open_time = '2024-01-01 10:00+00'),
  '2024-01-01 10:59:59.999+00'::timestamptz, 'times are stored to the ms');
select is((select open from public.candles where symbol = 'FASTUSDT' and open_time = '2024-01-01 10:00+00'),
  100::float8, 'a price sent as a numeric string is stored as its number');

-- New rows, then a stored one unchanged: the general path counts it.
select pg_temp.mark();
select row_eq($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(15, 23) || pg_temp.row(14)))$$,
  row(9, 0, 1), 'new candles followed by a stored one: 9 inserted, 1 unchanged');
select is(pg_temp.stored(), 14, 'every key is stored once');
select is(pg_temp.wakes(), 1, 'still exactly one wake-up (the fast path''s insert left none)');
select is(pg_temp.epoch(), 0::bigint, 'candles appended in order leave the epoch alone');

-- New rows, then a stored one changed: updated, and the epoch bumped once.
select pg_temp.mark();
select row_eq($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(24, 28) || pg_temp.row(14, 140)))$$,
  row(5, 1, 0), 'new candles followed by a changed stored one: 5 inserted, 1 updated');
select is((select close from public.candles where symbol = 'FASTUSDT' and open_time = '2024-01-01 14:00+00'),
  140::float8, 'the changed candle was updated');
select is(pg_temp.epoch(), 1::bigint, 'a changed candle bumps the epoch once');
select is(pg_temp.wakes(), 1, 'one wake-up');

-- New rows older than stored ones (late candles) through the fast path: the epoch trigger sees them.
select row_eq($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(0, 4)))$$, row(5, 0, 0),
  'late candles (older than stored ones) are inserted');
select is(pg_temp.epoch(), 2::bigint, 'late candles bump the epoch');

-- New rows, then a bad one: refused naming that row, nothing written, no wake-up.
select pg_temp.mark();
select throws_like($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(30, 39) || pg_temp.row(40, -1)))$$,
  'ingest_candles: row 10 (FASTUSDT 1h open_time %) rejected: prices must be > 0',
  'new candles followed by a bad one: the bad row is named');
select throws_like($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(30, 39)
    || json_build_object('symbol', 'FASTUSDT', 'timeframe', '1h', 'open_time', 'abc')))$$,
  'ingest_candles: row 10 % rejected: open_time must be an integer number of ms since the epoch',
  'new candles followed by a value that does not parse: that row is named');
select throws_like($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(30, 39)
    || json_build_object('symbol', 'NOPEUSDT', 'timeframe', '1h', 'open_time', 0, 'open', 1, 'high', 1,
      'low', 1, 'close', 1, 'volume', 0)))$$,
  'ingest_candles: row 10 (NOPEUSDT 1h open_time 0) rejected: symbol must exist in public.symbols',
  'new candles followed by an unknown symbol: that row is named');
select is(pg_temp.stored(), 24, 'nothing of the refused batches was written');
select is(pg_temp.wakes(), 0, 'no wake-up for a refused batch');

-- New rows, then a repeat of one of them: refused as a duplicate, nothing written.
select throws_like($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(30, 39) || pg_temp.row(33)))$$,
  'ingest_candles: row 10 (FASTUSDT 1h open_time %) rejected: duplicate of an earlier row in the batch',
  'a key repeated after new rows is refused as a duplicate');
select throws_like($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(30, 31) || pg_temp.row(30)
    || pg_temp.row(32, -1)))$$,
  'ingest_candles: row 2 % rejected: duplicate of an earlier row in the batch',
  'the first problem by row is named (a repeat before a bad row)');
select is(pg_temp.stored(), 24, 'nothing of the duplicate batches was written');

-- The same batch twice: the second is all unchanged.
select row_eq($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(30, 39)))$$, row(10, 0, 0),
  'the batch without its bad rows is stored');
select row_eq($$select * from api.ingest_candles(pg_temp.batch(pg_temp.range(30, 39)))$$, row(0, 0, 10),
  'repeating it changes nothing');

-- A batch starting with a stored candle goes to the general path at once; same results.
select pg_temp.mark();
select row_eq($$select * from api.ingest_candles(pg_temp.batch(array[pg_temp.row(39, 150)] || pg_temp.range(40, 44)))$$,
  row(5, 1, 0), 'a changed stored candle first, then new ones: 5 inserted, 1 updated');
select is(pg_temp.wakes(), 1, 'one wake-up');

select * from finish();
rollback;
