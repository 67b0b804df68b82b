-- api.ingest_candles: idempotent, all-or-nothing batch upsert of closed candles.

-- True when j is a JSON number, or a string holding a finite decimal number (Binance sends strings).
create or replace function private.is_finite_number(j jsonb)
returns boolean
language sql
immutable
parallel safe
as $$
  select case jsonb_typeof(j)
    when 'number' then true
    when 'string' then (j #>> '{}') ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'
    else false
  end
$$;
comment on function private.is_finite_number(jsonb) is
  'True for a JSON number or a numeric string (finite); inlined into ingest validation, so no SET clause.';

-- Upserts a batch of closed candles. Batch: JSON array of {symbol, timeframe, open_time (ms),
-- close_time? (ms), open, high, low, close, volume, quote_volume?, trades?, taker_buy_base?,
-- taker_buy_quote?} (numbers or numeric strings). Returns counts; an invalid row rejects the whole
-- batch with an error naming the row (0-based index) and the rule, and nothing is written.
create or replace function api.ingest_candles(
  batch jsonb,
  out inserted integer,
  out updated integer,
  out unchanged integer
)
language plpgsql
volatile
set search_path = ''
as $$
declare
  bad record;
  total integer;
begin
  if batch is null or jsonb_typeof(batch) <> 'array' then
    raise exception 'ingest_candles: batch must be a JSON array of candle objects'
      using errcode = '22023';
  end if;
  total := jsonb_array_length(batch);
  inserted := 0;
  updated := 0;
  unchanged := 0;
  if total = 0 then
    return;
  end if;

  -- First invalid row, with the rule it breaks (rules in the order listed in the README).
  select v.idx, v.j, v.rule into bad
  from (
    select e.idx, e.j,
      case
        when jsonb_typeof(e.j) <> 'object' then 'row must be a JSON object'
        when jsonb_typeof(e.j -> 'symbol') is distinct from 'string'
          or (e.j ->> 'symbol') !~ '^[A-Z0-9]{2,20}$' then 'symbol must be an upper-case Binance symbol'
        when not exists (select 1 from public.symbols s where s.symbol = e.j ->> 'symbol')
          then 'symbol must exist in public.symbols'
        when (e.j ->> 'timeframe') is null or (e.j ->> 'timeframe') not in
          ('1s','1m','3m','5m','15m','30m','1h','2h','4h','6h','8h','12h','1d','3d','1w','1M')
          then 'timeframe must be a Binance interval'
        when not private.is_finite_number(e.j -> 'open_time')
          or (e.j ->> 'open_time')::numeric <> trunc((e.j ->> 'open_time')::numeric)
          or (e.j ->> 'open_time')::numeric < 0 or (e.j ->> 'open_time')::numeric > 32503680000000
          then 'open_time must be an integer number of ms since the epoch'
        when not (private.is_finite_number(e.j -> 'open') and private.is_finite_number(e.j -> 'high')
          and private.is_finite_number(e.j -> 'low') and private.is_finite_number(e.j -> 'close'))
          then 'open, high, low and close must be finite numbers'
        when not private.is_finite_number(e.j -> 'volume') then 'volume must be a finite number'
        when (e.j ->> 'open')::float8 <= 0 or (e.j ->> 'high')::float8 <= 0
          or (e.j ->> 'low')::float8 <= 0 or (e.j ->> 'close')::float8 <= 0
          then 'prices must be > 0'
        when (e.j ->> 'high')::float8 < (e.j ->> 'low')::float8 then 'high must be >= low'
        when (e.j ->> 'high')::float8 < greatest((e.j ->> 'open')::float8, (e.j ->> 'close')::float8)
          then 'high must be >= max(open, close)'
        when (e.j ->> 'low')::float8 > least((e.j ->> 'open')::float8, (e.j ->> 'close')::float8)
          then 'low must be <= min(open, close)'
        when (e.j ->> 'volume')::float8 < 0 then 'volume must be >= 0'
        when not (case e.j ->> 'timeframe'
            when '1M' then date_trunc('month', to_timestamp((e.j ->> 'open_time')::numeric / 1000), 'UTC')
              = to_timestamp((e.j ->> 'open_time')::numeric / 1000)
            when '1w' then ((e.j ->> 'open_time')::numeric - 345600000) % 604800000 = 0
            when '3d' then (e.j ->> 'open_time')::numeric % 86400000 = 0
            else (e.j ->> 'open_time')::numeric % (case e.j ->> 'timeframe'
              when '1s' then 1000 when '1m' then 60000 when '3m' then 180000 when '5m' then 300000
              when '15m' then 900000 when '30m' then 1800000 when '1h' then 3600000
              when '2h' then 7200000 when '4h' then 14400000 when '6h' then 21600000
              when '8h' then 28800000 when '12h' then 43200000 when '1d' then 86400000 end) = 0
          end) then 'open_time must be aligned to the timeframe'
        when (e.j -> 'close_time') is not null and jsonb_typeof(e.j -> 'close_time') <> 'null'
          and (not private.is_finite_number(e.j -> 'close_time')
            or (e.j ->> 'close_time')::numeric <= (e.j ->> 'open_time')::numeric)
          then 'close_time must be a number of ms after open_time'
        when exists (
            select 1 from unnest(array['quote_volume', 'trades', 'taker_buy_base', 'taker_buy_quote']) f
            where (e.j -> f) is not null and jsonb_typeof(e.j -> f) <> 'null'
              and (not private.is_finite_number(e.j -> f) or (e.j ->> f)::numeric < 0))
          then 'quote_volume, trades, taker_buy_base and taker_buy_quote must be numbers >= 0 when given'
        when jsonb_typeof(e.j -> 'trades') = 'number'
          and (e.j ->> 'trades')::numeric <> trunc((e.j ->> 'trades')::numeric)
          then 'trades must be an integer'
      end as rule
    from jsonb_array_elements(batch) with ordinality as e0(j, n)
    cross join lateral (select e0.j, e0.n - 1 as idx) e
  ) v
  where v.rule is not null
  order by v.idx
  limit 1;

  if found then
    raise exception 'ingest_candles: row % (% % open_time %) rejected: %', bad.idx,
      coalesce(bad.j ->> 'symbol', '?'), coalesce(bad.j ->> 'timeframe', '?'),
      coalesce(bad.j ->> 'open_time', '?'), bad.rule
      using errcode = '23514', hint = 'Nothing from this batch was written.';
  end if;

  select d.idx, d.j into bad
  from (
    select e.n - 1 as idx, e.j, row_number() over (
      partition by e.j ->> 'symbol', e.j ->> 'timeframe', (e.j ->> 'open_time')::numeric
      order by e.n) as k
    from jsonb_array_elements(batch) with ordinality as e(j, n)
  ) d
  where d.k > 1
  order by d.idx
  limit 1;
  if found then
    raise exception 'ingest_candles: row % (% % open_time %) rejected: duplicate of an earlier row in the batch',
      bad.idx, bad.j ->> 'symbol', bad.j ->> 'timeframe', bad.j ->> 'open_time'
      using errcode = '23514', hint = 'Nothing from this batch was written.';
  end if;

  with rows as (
    select r.symbol, r.timeframe,
      'epoch'::timestamptz + r.open_time * interval '1 millisecond' as open_time,
      'epoch'::timestamptz + r.close_time * interval '1 millisecond' as close_time,
      r.open, r.high, r.low, r.close, r.volume, r.quote_volume, r.trades::bigint as trades,
      r.taker_buy_base, r.taker_buy_quote
    from jsonb_to_recordset(batch) as r(
      symbol text, timeframe text, open_time numeric, close_time numeric,
      open float8, high float8, low float8, close float8, volume float8,
      quote_volume float8, trades numeric, taker_buy_base float8, taker_buy_quote float8)
  ), up as (
    insert into public.candles as c (symbol, timeframe, open_time, close_time, open, high, low, close,
      volume, quote_volume, trades, taker_buy_base, taker_buy_quote)
    select * from rows
    on conflict (symbol, timeframe, open_time) do update set
      close_time = excluded.close_time, open = excluded.open, high = excluded.high,
      low = excluded.low, close = excluded.close, volume = excluded.volume,
      quote_volume = excluded.quote_volume, trades = excluded.trades,
      taker_buy_base = excluded.taker_buy_base, taker_buy_quote = excluded.taker_buy_quote
    where (c.close_time, c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.trades,
        c.taker_buy_base, c.taker_buy_quote)
      is distinct from (excluded.close_time, excluded.open, excluded.high, excluded.low,
        excluded.close, excluded.volume, excluded.quote_volume, excluded.trades,
        excluded.taker_buy_base, excluded.taker_buy_quote)
    returning (xmax = 0) as is_new
  )
  select count(*) filter (where is_new), count(*) filter (where not is_new) into inserted, updated
  from up;
  unchanged := total - inserted - updated;
end
$$;
comment on function api.ingest_candles(jsonb) is
  'Idempotent batch upsert of closed candles; returns (inserted, updated, unchanged). An invalid row rejects the whole batch with an error naming the row index and the rule.';

revoke all on function private.is_finite_number(jsonb) from public, anon, authenticated;
grant execute on function private.is_finite_number(jsonb) to service_role;
revoke all on function api.ingest_candles(jsonb) from public, anon, authenticated;
grant execute on function api.ingest_candles(jsonb) to service_role;
