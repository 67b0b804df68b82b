-- api.ingest_candles, faster (issue 7: relay backfill >= 50,000 candles/s). Profiled on a 1,000-row
-- batch of real 1h candles (perf on the backend, CPU time per 1,000 rows; figures in the README):
--   * With the candles table at production size (statistics saying tens of thousands of rows per
--     series), the epoch trigger's generic plan was estimated above jit_inline_above_cost, and every
--     ingest statement JIT-compiled it: ~420 ms per statement for ~1 ms of work. On a table without
--     statistics (a fresh project's first backfill, the benchmarks) the same count ran as a
--     sequential scan of the whole table per statement, quadratic over a backfill. The function now
--     runs with jit off and enable_seqscan off (settings that also hold for the triggers it fires):
--     every lookup of candles is an index probe whatever the statistics say.
--   * The usual batch (every row new and valid: a backfill, a close instant) takes a fast path: one
--     INSERT straight from json_to_recordset, each row tested by the same rule expression as before,
--     no materialized copy of the batch, no duplicate search, no overlap probe. A stored or repeated
--     key stops it at that row (unique_violation) and a row that breaks a rule, or a value that does
--     not parse, stops it too; the batch is then rolled back to before the fast path and handled by
--     the statement of 20261201000100_ingest_escapes_and_fast_refusal.sql, unchanged: it counts
--     updated and unchanged rows, names the first bad row, and finds repeats. So results and errors
--     are those of that version; only the time differs. A batch whose first row is already stored
--     (sent again, or the poller's, which starts at each series' newest stored candle) goes to the
--     general path at once: one index probe on the first row's key, read from its text.
-- The triggers on candles are unchanged (one analyze wake-up per statement; the epoch bump for late
-- and changed candles).

-- Raised inside the fast path's INSERT when a row breaks a rule: rolls the fast path back (caught
-- by ingest_candles, never seen by callers), so the general path names the row.
create or replace function private.ingest_fast_path_refused()
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
begin
  raise exception 'ingest_candles: fast path refused a row' using errcode = 'P0001';
end
$$;
comment on function private.ingest_fast_path_refused() is
  'Internal to api.ingest_candles: stops its fast path at a row that breaks a rule.';
revoke all on function private.ingest_fast_path_refused() from public, anon, authenticated;
grant execute on function private.ingest_fast_path_refused() to service_role;

-- Upserts a batch of closed candles. The parameter is json, not jsonb: the batch is parsed once,
-- straight from its text (about twice as fast as jsonb; pass jsonb values as value::json). Pass it
-- as a bound parameter, never inlined in the statement text: Postgres logs the text of a failing
-- statement, not its parameters.
-- Batch: JSON array of {symbol, timeframe, open_time (ms),
-- close_time? (ms), open, high, low, close, volume, quote_volume?, trades?, taker_buy_base?,
-- taker_buy_quote?} (numbers or numeric strings; no string anywhere in a row may hold a \u0000 escape
-- or an unpaired UTF-16 surrogate escape, which Postgres text cannot store). Returns counts; an
-- invalid row rejects the whole batch with an error naming the row (0-based index) and the rule, and
-- nothing is written.
create or replace function api.ingest_candles(
  batch json,
  out inserted integer,
  out updated integer,
  out unchanged integer
)
language plpgsql
volatile
set search_path = ''
set jit = off
set enable_seqscan = off
as $$
declare
  bad record;
  escape_idx bigint; -- the first row that is not an object or cannot be read as text (when others)
  escape_rule text;
  head text; -- the batch's first characters: a guess at whether it starts with a stored candle
  -- A decimal number as JSON or Binance's strings carry it (private.is_numeric's pattern), and the
  -- exponents that can leave double precision: a number of at most 200 characters whose exponent has
  -- at most two digits is 0 or within 1e-298..1e299.
  num constant text := '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$';
  big constant text := 'e[-+]?0*[0-9]{3}';
  -- Numbers, each followed by a comma, none with a 3-digit exponent (one match per row instead of
  -- two per field).
  clean_numbers constant text := '^(?:\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,2})?\s*,)*$';
begin
  if batch is null or json_typeof(batch) <> 'array' then
    raise exception 'ingest_candles: batch must be a JSON array of candle objects'
      using errcode = '22023';
  end if;
  inserted := 0;
  updated := 0;
  unchanged := 0;

  -- Fast path (see the file comment): every row new and valid, stored by one INSERT. Skipped when
  -- the batch starts with a stored candle (a batch sent again; the poller, which fetches from each
  -- series' newest stored candle): the fast path would parse the whole batch only to stop at its
  -- first row. Symbol, timeframe and open time are read from the first row's text by pattern,
  -- nothing parsed: a guess that only picks the path (a row it misreads takes the fast path).
  head := left(batch::text, 512);
  if not exists (
    select 1 from public.candles c
    where c.symbol = substring(head from '"symbol"\s*:\s*"([A-Z0-9]{2,20})"')
      and c.timeframe = substring(head from '"timeframe"\s*:\s*"([0-9]{1,2}[smhdwM])"')
      and c.open_time = 'epoch'::timestamptz
        + substring(head from '"open_time"\s*:\s*"?([0-9]{1,15})["\s,}]')::bigint * interval '1 millisecond'
  ) then
    begin
      insert into public.candles (symbol, timeframe, open_time, close_time, open, high, low, close,
        volume, quote_volume, trades, taker_buy_base, taker_buy_quote)
      select r.symbol, r.timeframe, 'epoch'::timestamptz + r.open_time * interval '1 millisecond',
        'epoch'::timestamptz + r.close_time * interval '1 millisecond', r.open, r.high, r.low, r.close,
        r.volume, r.quote_volume, r.trades::bigint, r.taker_buy_base, r.taker_buy_quote
      from json_to_recordset(batch) as r(symbol text, timeframe text, open_time float8, close_time float8,
        open float8, high float8, low float8, close float8, volume float8, quote_volume float8,
        trades float8, taker_buy_base float8, taker_buy_quote float8)
      where (case
                when not coalesce(r.symbol in (select s.symbol from public.symbols s), false) then case when r.symbol ~ '^[A-Z0-9]{2,20}$'
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
              end) is null
        or private.ingest_fast_path_refused();
      get diagnostics inserted = row_count;
      return;
    exception
      when others then
        -- A stored or repeated key (unique_violation), a row that breaks a rule, a value that does
        -- not parse: nothing of the fast path remains; the general path decides. (A statement timeout
        -- is not caught by "others" and ends the call.)
        inserted := 0;
    end;
  end if;

  -- General path: one statement parses the batch once, finds the first invalid row (by index) with
  -- its rule, and upserts only when there is none. Rows identical to the stored ones are counted
  -- unchanged.
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
    -- A value that does not parse: find the first row (by index) that breaks a rule, in two passes
    -- over the batch and with no PL/pgSQL call per row or field in the usual case.
    -- 1. The first row that is not an object, or holds a \u0000 escape or an unpaired UTF-16
    --    surrogate escape (\ud800) in any string, even one ingest ignores: Postgres text cannot hold
    --    either, and reading any field of a json object converts all its strings, so such a row
    --    fails every field access. json_array_elements splits the batch without converting strings;
    --    only rows whose text holds such an escape (or an escaped backslash before "u0000") are
    --    parsed exactly.
    select e.n - 1,
      case when json_typeof(e.j) <> 'object' then 'row must be a JSON object'
        else 'strings must not hold \u0000 or an unpaired UTF-16 surrogate (\ud800-\udfff): Postgres text cannot store them'
      end
    into escape_idx, escape_rule
    from json_array_elements(batch) with ordinality as e(j, n)
    where json_typeof(e.j) <> 'object'
      or (strpos(e.j::text, '\u') > 0 and e.j::text ~* '\\u(0000|d[89a-f])' and not private.json_text_ok(e.j))
    order by e.n
    limit 1;
    -- 2. Among the rows before it (all rows when there is none), the first with a field that is not
    --    of its type or does not fit double precision: every field read as json or text (nothing to
    --    convert, nothing to fail). A row whose symbol and timeframe are strings and whose numbers,
    --    joined by commas, match one pattern (each a decimal number of at most 200 characters with
    --    an exponent of at most two digits) breaks no rule; only the other rows are tested rule by
    --    rule, and only a number longer than 200 characters or with a 3-digit exponent takes the
    --    exact conversion. (The search this replaced called a function with an exception block per
    --    number: ~80 s to refuse 100,000 rows.)
    select v.idx, v.symbol, v.timeframe, v.open_time, v.rule, 0 as ins, 0 as upd, 0 as total into bad
    from (
      select e.n - 1 as idx, r.symbol #>> '{}' as symbol, r.timeframe #>> '{}' as timeframe, r.open_time,
        case
          when json_typeof(r.symbol) is distinct from 'string'
            then 'symbol must be an upper-case Binance symbol'
          when json_typeof(r.timeframe) is distinct from 'string'
            then 'timeframe must be a Binance interval'
          when not coalesce(r.open_time ~ num and ((length(r.open_time) <= 200 and r.open_time !~* big)
              or private.is_finite_number(to_json(r.open_time))), false)
            then 'open_time must be an integer number of ms since the epoch'
          when not coalesce(r.open ~ num and r.high ~ num and r.low ~ num and r.close ~ num, false)
            then 'open, high, low and close must be finite numbers'
          when not (((length(r.open) <= 200 and r.open !~* big) or private.is_finite_number(to_json(r.open)))
              and ((length(r.high) <= 200 and r.high !~* big) or private.is_finite_number(to_json(r.high)))
              and ((length(r.low) <= 200 and r.low !~* big) or private.is_finite_number(to_json(r.low)))
              and ((length(r.close) <= 200 and r.close !~* big) or private.is_finite_number(to_json(r.close))))
            then 'open, high, low and close must fit in double precision (magnitude 5e-324 to 1.8e308, or 0)'
          when not coalesce(r.volume ~ num, false) then 'volume must be a finite number'
          when not ((length(r.volume) <= 200 and r.volume !~* big) or private.is_finite_number(to_json(r.volume)))
            then 'volume must fit in double precision (magnitude 5e-324 to 1.8e308, or 0)'
          when r.close_time is not null and not (r.close_time ~ num and ((length(r.close_time) <= 200
              and r.close_time !~* big) or private.is_finite_number(to_json(r.close_time))))
            then 'close_time must be a number of ms after open_time'
          when not (coalesce(r.quote_volume ~ num, true) and coalesce(r.trades ~ num, true)
              and coalesce(r.taker_buy_base ~ num, true) and coalesce(r.taker_buy_quote ~ num, true))
            then 'quote_volume, trades, taker_buy_base and taker_buy_quote must be numbers >= 0 when given'
          when not (coalesce((length(r.quote_volume) <= 200 and r.quote_volume !~* big)
                  or private.is_finite_number(to_json(r.quote_volume)), true)
              and coalesce((length(r.trades) <= 200 and r.trades !~* big)
                  or private.is_finite_number(to_json(r.trades)), true)
              and coalesce((length(r.taker_buy_base) <= 200 and r.taker_buy_base !~* big)
                  or private.is_finite_number(to_json(r.taker_buy_base)), true)
              and coalesce((length(r.taker_buy_quote) <= 200 and r.taker_buy_quote !~* big)
                  or private.is_finite_number(to_json(r.taker_buy_quote)), true))
            then 'quote_volume, trades, taker_buy_base and taker_buy_quote must fit in double precision (magnitude 5e-324 to 1.8e308, or 0)'
        end as rule
      from json_array_elements(batch) with ordinality as e(j, n)
      cross join lateral json_to_record(e.j) as r(symbol json, timeframe json, open_time text,
        close_time text, open text, high text, low text, close text, volume text, quote_volume text,
        trades text, taker_buy_base text, taker_buy_quote text)
      cross join lateral (select concat(r.open_time, ',', r.open, ',', r.high, ',', r.low, ',', r.close, ',',
          r.volume, ',', coalesce(r.close_time, '0'), ',', coalesce(r.quote_volume, '0'), ',',
          coalesce(r.trades, '0'), ',', coalesce(r.taker_buy_base, '0'), ',',
          coalesce(r.taker_buy_quote, '0'), ',') as numbers) x
      where (escape_idx is null or e.n <= escape_idx) -- filters the rows before json_to_record reads them
        and not coalesce(json_typeof(r.symbol) = 'string' and json_typeof(r.timeframe) = 'string'
        and x.numbers ~ clean_numbers
        and length(x.numbers) - length(replace(x.numbers, ',', '')) = 11 -- no comma inside a value
        and greatest(length(r.open_time), length(r.open), length(r.high), length(r.low), length(r.close),
          length(r.volume), length(r.close_time), length(r.quote_volume), length(r.trades),
          length(r.taker_buy_base), length(r.taker_buy_quote)) <= 200, false)
    ) v
    where v.rule is not null
    order by v.idx
    limit 1;
    if not found and escape_idx is not null then
      select escape_idx as idx, null::text as symbol, null::text as timeframe, null::text as open_time,
        escape_rule as rule, 0 as ins, 0 as upd, 0 as total
      into bad;
    end if;
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
comment on function api.ingest_candles(json) is
  'Idempotent batch upsert of closed candles; returns (inserted, updated, unchanged). An invalid row rejects the whole batch with an error naming the row index and the rule.';
revoke all on function api.ingest_candles(json) from public, anon, authenticated;
grant execute on function api.ingest_candles(json) to service_role;
