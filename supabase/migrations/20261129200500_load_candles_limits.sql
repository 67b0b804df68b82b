-- api.load_candles: a NULL max_rows returned every candle of the series (issue 11, item 9). It now
-- falls back to the default like api.load_series: null = 5000, at most 50000, at least 1; bounds
-- outside 0 .. year 3000 (ms) are refused with a clear error instead of an interval overflow.

-- Candles of one series for backtests and charts: the newest max_rows (null = 5000, clamped to
-- 1..50000) with from_ms <= open_time <= to_ms (bounds in ms, optional), as columnar JSON, oldest
-- first. Raises 22023 for a bound outside 0 .. 32503680000000.
create or replace function api.load_candles(
  p_symbol text,
  p_timeframe text,
  from_ms bigint default null,
  to_ms bigint default null,
  max_rows integer default 5000
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  if (from_ms is not null and not from_ms between 0 and 32503680000000)
     or (to_ms is not null and not to_ms between 0 and 32503680000000) then
    raise exception 'load_candles: from_ms and to_ms must be ms since the epoch, 0 to 32503680000000 (got % and %)',
      coalesce(from_ms::text, 'null'), coalesce(to_ms::text, 'null') using errcode = '22023';
  end if;
  return private.candle_columns(p_symbol, p_timeframe,
    'epoch'::timestamptz + (from_ms - 1) * interval '1 millisecond',
    'epoch'::timestamptz + to_ms * interval '1 millisecond',
    least(greatest(coalesce(max_rows, 5000), 1), 50000), true);
end
$$;
comment on function api.load_candles(text, text, bigint, bigint, integer) is
  'Columnar JSON of the newest max_rows (null = 5000, at most 50000) candles of a series with from_ms <= open_time <= to_ms (bounds optional).';
revoke all on function api.load_candles(text, text, bigint, bigint, integer) from public, anon, authenticated;
grant execute on function api.load_candles(text, text, bigint, bigint, integer) to service_role;
