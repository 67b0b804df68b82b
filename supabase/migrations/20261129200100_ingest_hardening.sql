-- api.ingest_candles hardened (issue 11, items 2, 5 and 6):
--   * a key repeated inside one batch is located by a window over the batch's keys (one sort), not a
--     self-join that was quadratic when few keys repeat many times (100,000 rows with two keys: 159 s);
--   * numbers that do not fit (1e309, 1e-400, trades 1e19) are rejected naming the row and the rule,
--     like every other rejection, instead of a raw 22003 error;
--   * echoed values are clipped (a 1 MB symbol no longer comes back as a 1 MB message or log line),
--     control characters escaped, and an unexpected error is passed on clipped, never echoing input;
--   * service_role, the role the SQL API is granted to, gets a statement timeout.

-- Text for an error message: control characters escaped (JSON style) and at most max_chars
-- characters, longer values cut with the full length noted: 'XXXX… (1000000 chars)'.
create or replace function private.clip(value text, max_chars integer default 40)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when value is null then null
    when length(value) <= max_chars and value !~ '[[:cntrl:]]' then value
    else left(case when value ~ '[[:cntrl:]]' then substr(to_json(value)::text, 2, length(to_json(value)::text) - 2)
                   else value end, greatest(max_chars, 1))
      || case when length(value) > max_chars then '… (' || length(value) || ' chars)' else '' end
  end
$$;
comment on function private.clip(text, integer) is
  'A value quoted in an error message: control characters escaped, cut to max_chars with its length noted.';
revoke all on function private.clip(text, integer) from public, anon, authenticated;
grant execute on function private.clip(text, integer) to service_role;

-- True when j is a JSON number, or a string holding a decimal number (Binance sends strings); says
-- nothing about range (see is_finite_number).
create or replace function private.is_numeric(j json)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case json_typeof(j)
    when 'number' then true
    when 'string' then (j #>> '{}') ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'
    else false
  end
$$;
comment on function private.is_numeric(json) is
  'True for a JSON number or a numeric string (any magnitude).';
revoke all on function private.is_numeric(json) from public, anon, authenticated;
grant execute on function private.is_numeric(json) to service_role;

-- True when j is a number (JSON number or numeric string) that double precision holds: finite, not
-- beyond 1.8e308 and not so small that it underflows (Postgres refuses 1e-400 rather than round to 0).
create or replace function private.is_finite_number(j json)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  if not private.is_numeric(j) then
    return false;
  end if;
  perform (j #>> '{}')::float8;
  return true;
exception when others then
  return false; -- 22003: out of double precision range
end
$$;
comment on function private.is_finite_number(json) is
  'True for a JSON number or numeric string that double precision holds (finite, no overflow or underflow).';
revoke all on function private.is_finite_number(json) from public, anon, authenticated;
grant execute on function private.is_finite_number(json) to service_role;

-- Upserts a batch of closed candles. The parameter is json, not jsonb: the batch is parsed once,
-- straight from its text (about twice as fast as jsonb; pass jsonb values as value::json). Pass it
-- as a bound parameter, never inlined in the statement text: Postgres logs the text of a failing
-- statement, not its parameters.
-- Batch: JSON array of {symbol, timeframe, open_time (ms),
-- close_time? (ms), open, high, low, close, volume, quote_volume?, trades?, taker_buy_base?,
-- taker_buy_quote?} (numbers or numeric strings). Returns counts; an invalid row rejects the whole
-- batch with an error naming the row (0-based index) and the rule, and nothing is written.
create or replace function api.ingest_candles(
  batch json,
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
begin
  if batch is null or json_typeof(batch) <> 'array' then
    raise exception 'ingest_candles: batch must be a JSON array of candle objects'
      using errcode = '22023';
  end if;
  inserted := 0;
  updated := 0;
  unchanged := 0;

  -- One statement parses the batch once, finds the first invalid row (by index) with its rule, and
  -- upserts only when there is none. Rows identical to the stored ones are counted unchanged.
  begin
    with r as materialized (
      select r.n - 1 as idx, r.symbol, r.timeframe, r.open_time, r.close_time, r.open, r.high, r.low,
        r.close, r.volume, r.quote_volume, r.trades, r.taker_buy_base, r.taker_buy_quote,
        case
          when s.symbol is null then case when r.symbol ~ '^[A-Z0-9]{2,20}$'
            then 'symbol must exist in public.symbols' else 'symbol must be an upper-case Binance symbol' end
          when r.timeframe is null or r.timeframe not in
            ('1s','1m','3m','5m','15m','30m','1h','2h','4h','6h','8h','12h','1d','3d','1w','1M')
            then 'timeframe must be a Binance interval'
          when r.open_time is null or not (r.open_time >= 0 and r.open_time <= 32503680000000)
            or r.open_time <> trunc(r.open_time)
            then 'open_time must be an integer number of ms since the epoch'
          when not (abs(r.open) < 'Infinity' and abs(r.high) < 'Infinity' and abs(r.low) < 'Infinity'
            and abs(r.close) < 'Infinity') or r.open is null or r.high is null or r.low is null or r.close is null
            then 'open, high, low and close must be finite numbers'
          when r.volume is null or not abs(r.volume) < 'Infinity' then 'volume must be a finite number'
          when r.open <= 0 or r.high <= 0 or r.low <= 0 or r.close <= 0 then 'prices must be > 0'
          when r.high < r.low then 'high must be >= low'
          when r.high < greatest(r.open, r.close) then 'high must be >= max(open, close)'
          when r.low > least(r.open, r.close) then 'low must be <= min(open, close)'
          when r.volume < 0 then 'volume must be >= 0'
          when not (case r.timeframe
              when '1M' then date_trunc('month', to_timestamp(r.open_time / 1000), 'UTC')
                = to_timestamp(r.open_time / 1000)
              when '1w' then (r.open_time::bigint - 345600000) % 604800000 = 0
              when '3d' then r.open_time::bigint % 86400000 = 0
              else r.open_time::bigint % (case r.timeframe
                when '1s' then 1000 when '1m' then 60000 when '3m' then 180000 when '5m' then 300000
                when '15m' then 900000 when '30m' then 1800000 when '1h' then 3600000
                when '2h' then 7200000 when '4h' then 14400000 when '6h' then 21600000
                when '8h' then 28800000 when '12h' then 43200000 when '1d' then 86400000 end) = 0
            end) then 'open_time must be aligned to the timeframe'
          when r.close_time is not null and not (r.close_time > r.open_time and r.close_time <= 32503680000000)
            then 'close_time must be a number of ms after open_time'
          when (r.quote_volume is not null and not (r.quote_volume >= 0 and r.quote_volume < 'Infinity'))
            or (r.trades is not null and not (r.trades >= 0 and r.trades < 'Infinity'))
            or (r.taker_buy_base is not null and not (r.taker_buy_base >= 0 and r.taker_buy_base < 'Infinity'))
            or (r.taker_buy_quote is not null and not (r.taker_buy_quote >= 0 and r.taker_buy_quote < 'Infinity'))
            then 'quote_volume, trades, taker_buy_base and taker_buy_quote must be numbers >= 0 when given'
          when r.trades is not null and r.trades <> trunc(r.trades) then 'trades must be an integer'
          when r.trades is not null and r.trades >= 9223372036854775807
            then 'trades must be an integer below 2^63'
        end as rule
      from rows from (json_to_recordset(batch) as (
        symbol text, timeframe text, open_time float8, close_time float8, open float8, high float8,
        low float8, close float8, volume float8, quote_volume float8, trades float8,
        taker_buy_base float8, taker_buy_quote float8)) with ordinality as r(symbol, timeframe,
        open_time, close_time, open, high, low, close, volume, quote_volume, trades, taker_buy_base,
        taker_buy_quote, n)
      left join public.symbols s on s.symbol = r.symbol
    ), dup as (
      -- One hash aggregate says whether any key repeats; only then is the repeat located, by a window
      -- over the batch's keys (one sort: n log n whatever the keys, where a self-join was quadratic
      -- when few keys repeat many times).
      select (select count(*) from (select distinct r.symbol, r.timeframe, r.open_time from r) k)
        < (select count(*) from r) as found
    ), repeats as (
      select w.idx, w.symbol, w.timeframe, w.open_time
      from (select r.idx, r.symbol, r.timeframe, r.open_time,
              row_number() over (partition by r.symbol, r.timeframe, r.open_time order by r.idx) as k
            from r where (select d.found from dup d)) w
      where w.k > 1
    ), first_bad as (
      select * from (
        select r.idx, r.symbol, r.timeframe, r.open_time::text as open_time, r.rule
        from r where r.rule is not null
        union all
        select p.idx, p.symbol, p.timeframe, p.open_time::text, 'duplicate of an earlier row in the batch'
        from repeats p
      ) x
      order by x.idx limit 1
    ), typed as (
      select r.symbol, r.timeframe, 'epoch'::timestamptz + r.open_time * interval '1 millisecond' as open_time,
        'epoch'::timestamptz + r.close_time * interval '1 millisecond' as close_time, r.open, r.high, r.low,
        r.close, r.volume, r.quote_volume, r.trades::bigint as trades, r.taker_buy_base, r.taker_buy_quote
      from r
      where not exists (select 1 from first_bad)
    ), span as (
      -- Whether any stored candle lies within the batch's time range of its series: one index probe
      -- per series. New candles (the usual case) then skip the per-row probe below.
      select exists (
        select 1 from (select r.symbol, r.timeframe, min(r.open_time) as lo, max(r.open_time) as hi
                       from r where not exists (select 1 from first_bad)
                       group by r.symbol, r.timeframe) g
        where exists (select 1 from public.candles c where c.symbol = g.symbol and c.timeframe = g.timeframe
                        and c.open_time between 'epoch'::timestamptz + g.lo * interval '1 millisecond'
                          and 'epoch'::timestamptz + g.hi * interval '1 millisecond')) as overlap
    ), probe as (
      select t.*, c.ctid as old_ctid,
        c.ctid is not null and (c.close_time, c.open, c.high, c.low, c.close, c.volume, c.quote_volume,
          c.trades, c.taker_buy_base, c.taker_buy_quote)
        is distinct from (t.close_time, t.open, t.high, t.low, t.close, t.volume, t.quote_volume, t.trades,
          t.taker_buy_base, t.taker_buy_quote) as changed
      from typed t
      left join lateral (
        select x.ctid, x.close_time, x.open, x.high, x.low, x.close, x.volume, x.quote_volume, x.trades,
          x.taker_buy_base, x.taker_buy_quote
        from public.candles x
        where (select o.overlap from span o)
          and x.symbol = t.symbol and x.timeframe = t.timeframe and x.open_time = t.open_time
        offset 0 -- keeps the overlap test a one-time filter: no index probe at all when false
      ) c on true
    ), ins as (
      -- Plain insert of new keys (no ON CONFLICT: half the cost); a key inserted concurrently since
      -- this statement's snapshot raises unique_violation and the batch is redone with ON CONFLICT.
      insert into public.candles (symbol, timeframe, open_time, close_time, open, high, low, close,
        volume, quote_volume, trades, taker_buy_base, taker_buy_quote)
      select p.symbol, p.timeframe, p.open_time, p.close_time, p.open, p.high, p.low, p.close, p.volume,
        p.quote_volume, p.trades, p.taker_buy_base, p.taker_buy_quote
      from probe p where p.old_ctid is null
      returning 1
    ), upd as (
      update public.candles c set
        close_time = p.close_time, open = p.open, high = p.high, low = p.low, close = p.close,
        volume = p.volume, quote_volume = p.quote_volume, trades = p.trades,
        taker_buy_base = p.taker_buy_base, taker_buy_quote = p.taker_buy_quote
      from probe p
      where p.changed and c.symbol = p.symbol and c.timeframe = p.timeframe and c.open_time = p.open_time
      returning 1
    )
    select b.idx, b.symbol, b.timeframe, b.open_time, b.rule,
      (select count(*) from ins)::integer as ins,
      (select count(*) from upd)::integer as upd,
      (select count(*) from r)::integer as total
    into bad
    from (select 1) one left join first_bad b on true;
  exception
    when unique_violation then
      -- A concurrent writer inserted one of these keys after our snapshot: upsert instead.
      with r as (
        select * from json_to_recordset(batch) as r(symbol text, timeframe text, open_time float8,
          close_time float8, open float8, high float8, low float8, close float8, volume float8,
          quote_volume float8, trades float8, taker_buy_base float8, taker_buy_quote float8)
      ), up as (
        insert into public.candles as c (symbol, timeframe, open_time, close_time, open, high, low, close,
          volume, quote_volume, trades, taker_buy_base, taker_buy_quote)
        select r.symbol, r.timeframe, 'epoch'::timestamptz + r.open_time * interval '1 millisecond',
          'epoch'::timestamptz + r.close_time * interval '1 millisecond', r.open, r.high, r.low, r.close,
          r.volume, r.quote_volume, r.trades::bigint, r.taker_buy_base, r.taker_buy_quote
        from r
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
      select null::bigint as idx, null::text as symbol, null::text as timeframe, null::text as open_time,
        null::text as rule, (count(*) filter (where is_new))::integer as ins,
        (count(*) filter (where not is_new))::integer as upd, json_array_length(batch) as total
      into bad from up;
    when cardinality_violation then
      -- ON CONFLICT met the same key twice: name the later row.
      select d.idx, d.j ->> 'symbol' as symbol, d.j ->> 'timeframe' as timeframe,
        d.j ->> 'open_time' as open_time, 'duplicate of an earlier row in the batch' as rule,
        0 as ins, 0 as upd, 0 as total into bad
      from (
        select e.n - 1 as idx, e.j, row_number() over (
          partition by e.j ->> 'symbol', e.j ->> 'timeframe', (e.j ->> 'open_time')::float8
          order by e.n) as k
        from json_array_elements(batch) with ordinality as e(j, n)
      ) d
      where d.k > 1
      order by d.idx
      limit 1;
      if not found then
        raise exception 'ingest_candles: %', private.clip(sqlerrm, 200) using errcode = sqlstate,
          hint = 'Nothing from this batch was written.';
      end if;
    when others then
    -- A value that does not parse (a non-numeric string, a row that is not an object...): find the
    -- row and the rule element by element.
    select v.idx, v.j ->> 'symbol' as symbol, v.j ->> 'timeframe' as timeframe,
      v.j ->> 'open_time' as open_time, v.rule, 0 as ins, 0 as upd, 0 as total into bad
    from (
      select e.n - 1 as idx, e.j,
        case
          when json_typeof(e.j) <> 'object' then 'row must be a JSON object'
          when json_typeof(e.j -> 'symbol') is distinct from 'string'
            then 'symbol must be an upper-case Binance symbol'
          when json_typeof(e.j -> 'timeframe') is distinct from 'string'
            then 'timeframe must be a Binance interval'
          when not private.is_finite_number(e.j -> 'open_time')
            then 'open_time must be an integer number of ms since the epoch'
          when not (private.is_numeric(e.j -> 'open') and private.is_numeric(e.j -> 'high')
            and private.is_numeric(e.j -> 'low') and private.is_numeric(e.j -> 'close'))
            then 'open, high, low and close must be finite numbers'
          when not (private.is_finite_number(e.j -> 'open') and private.is_finite_number(e.j -> 'high')
            and private.is_finite_number(e.j -> 'low') and private.is_finite_number(e.j -> 'close'))
            then 'open, high, low and close must fit in double precision (magnitude 5e-324 to 1.8e308, or 0)'
          when not private.is_numeric(e.j -> 'volume') then 'volume must be a finite number'
          when not private.is_finite_number(e.j -> 'volume')
            then 'volume must fit in double precision (magnitude 5e-324 to 1.8e308, or 0)'
          when json_typeof(e.j -> 'close_time') not in ('null') and not private.is_finite_number(e.j -> 'close_time')
            then 'close_time must be a number of ms after open_time'
          when exists (
              select 1 from unnest(array['quote_volume', 'trades', 'taker_buy_base', 'taker_buy_quote']) f
              where json_typeof(e.j -> f) not in ('null') and not private.is_numeric(e.j -> f))
            then 'quote_volume, trades, taker_buy_base and taker_buy_quote must be numbers >= 0 when given'
          when exists (
              select 1 from unnest(array['quote_volume', 'trades', 'taker_buy_base', 'taker_buy_quote']) f
              where json_typeof(e.j -> f) not in ('null') and not private.is_finite_number(e.j -> f))
            then 'quote_volume, trades, taker_buy_base and taker_buy_quote must fit in double precision (magnitude 5e-324 to 1.8e308, or 0)'
        end as rule
      from json_array_elements(batch) with ordinality as e(j, n) -- json: no numeric conversion to fail
    ) v
    where v.rule is not null
    order by v.idx
    limit 1;
    if not found then
      -- No rule names the row (should not happen): pass the error on, without echoing the input.
      raise exception 'ingest_candles: %', private.clip(sqlerrm, 200) using errcode = sqlstate,
        hint = 'Nothing from this batch was written.';
    end if;
  end;

  if bad.rule is not null then
    raise exception 'ingest_candles: row % (% % open_time %) rejected: %', bad.idx,
      coalesce(private.clip(bad.symbol, 32), '?'), coalesce(private.clip(bad.timeframe, 8), '?'),
      coalesce(private.clip(bad.open_time, 24), '?'), bad.rule
      using errcode = '23514', hint = 'Nothing from this batch was written.';
  end if;

  inserted := bad.ins;
  updated := bad.upd;
  unchanged := bad.total - inserted - updated;
end
$$;
-- The jsonb helper it replaces (its search_path was not pinned).
drop function if exists private.is_finite_number(jsonb);

comment on function api.ingest_candles(json) is
  'Idempotent batch upsert of closed candles; returns (inserted, updated, unchanged). An invalid row rejects the whole batch with an error naming the row index and the rule.';
revoke all on function api.ingest_candles(json) from public, anon, authenticated;
grant execute on function api.ingest_candles(json) to service_role;

-- The SQL API is granted to service_role: bound how long one of its statements may run (Supabase
-- applies role settings to sessions of that role, including PostgREST's). 15 s is ~10x the worst
-- ingest measured (100,000 rows in one batch).
alter role service_role set statement_timeout = '15s';
