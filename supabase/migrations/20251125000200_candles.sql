-- Timeframes, symbols, candles and the retention policy.

-- Length of a Binance interval in milliseconds (1M: 31 days, nominal); null for unknown names.
create or replace function public.timeframe_ms(timeframe text)
returns bigint
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case timeframe
    when '1s' then 1000::bigint when '1m' then 60000::bigint when '3m' then 180000::bigint
    when '5m' then 300000::bigint when '15m' then 900000::bigint when '30m' then 1800000::bigint
    when '1h' then 3600000::bigint when '2h' then 7200000::bigint when '4h' then 14400000::bigint
    when '6h' then 21600000::bigint when '8h' then 28800000::bigint when '12h' then 43200000::bigint
    when '1d' then 86400000::bigint when '3d' then 259200000::bigint when '1w' then 604800000::bigint
    when '1M' then 2678400000::bigint
  end
$$;
comment on function public.timeframe_ms(text) is
  'Length of a Binance interval in ms (1M nominal 31 days); null when the name is not a Binance interval.';

-- Milliseconds since the epoch of a timestamptz.
create or replace function public.epoch_ms(t timestamptz)
returns bigint
language sql
immutable
parallel safe
set search_path = ''
as $$ select (extract(epoch from t) * 1000)::bigint $$;
comment on function public.epoch_ms(timestamptz) is 'Milliseconds since the Unix epoch.';

-- True when open_time is a valid open time for the timeframe (same rules as shared/candles/intervals.ts).
create or replace function public.is_aligned(open_time timestamptz, timeframe text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when public.timeframe_ms(timeframe) is null then false
    when timeframe = '1M' then
      public.epoch_ms(open_time) % 86400000 = 0
      and extract(day from open_time at time zone 'UTC') = 1
    when timeframe = '1w' then (public.epoch_ms(open_time) - 345600000) % 604800000 = 0
    when timeframe = '3d' then public.epoch_ms(open_time) % 86400000 = 0
    else public.epoch_ms(open_time) % public.timeframe_ms(timeframe) = 0
  end
$$;
comment on function public.is_aligned(timestamptz, text) is
  'True when open_time is aligned to the Binance timeframe (UTC; weeks open on Monday, months on the 1st, 3d on a day boundary).';
-- Helpers for the schema's checks and the SQL API, not public API: closed to anon and authenticated
-- (PostgREST would otherwise offer them as /rpc endpoints).
revoke all on function public.timeframe_ms(text) from public, anon, authenticated;
revoke all on function public.epoch_ms(timestamptz) from public, anon, authenticated;
revoke all on function public.is_aligned(timestamptz, text) from public, anon, authenticated;
grant execute on function public.timeframe_ms(text) to service_role;
grant execute on function public.epoch_ms(timestamptz) to service_role;
grant execute on function public.is_aligned(timestamptz, text) to service_role;

create table if not exists public.symbols (
  symbol text primary key check (symbol ~ '^[A-Z0-9]{2,20}$'),
  base_asset text not null,
  quote_asset text not null,
  display_name text not null,
  active boolean not null default true,
  timeframes text[] not null default '{15m,1h,4h}'
    check (timeframes <@ array['1s','1m','3m','5m','15m','30m','1h','2h','4h','6h','8h','12h','1d','3d','1w','1M']),
  created_at timestamptz not null default now()
);
comment on table public.symbols is 'Markets the bot tracks and the timeframes analyzed for each.';
comment on column public.symbols.symbol is 'Binance spot symbol, upper case (e.g. BTCUSDT).';
comment on column public.symbols.base_asset is 'Base asset (e.g. BTC).';
comment on column public.symbols.quote_asset is 'Quote asset (e.g. USDT).';
comment on column public.symbols.display_name is 'Name shown to people (e.g. BTC/USDT).';
comment on column public.symbols.active is 'False stops ingest wake-ups, analysis and gap repair for this symbol.';
comment on column public.symbols.timeframes is 'Binance intervals streamed and analyzed for this symbol.';
comment on column public.symbols.created_at is 'When the symbol was added.';
alter table public.symbols enable row level security;
revoke all on public.symbols from anon, authenticated;

create table if not exists public.candles (
  -- No foreign key: a per-row RI check would halve ingest speed. api.ingest_candles checks the
  -- symbol exists, and deleting a symbol deletes its candles (trigger below).
  symbol text not null,
  timeframe text not null,
  open_time timestamptz not null,
  close_time timestamptz,
  open double precision not null,
  high double precision not null,
  low double precision not null,
  close double precision not null,
  volume double precision not null,
  quote_volume double precision,
  trades bigint,
  taker_buy_base double precision,
  taker_buy_quote double precision,
  primary key (symbol, timeframe, open_time),
  -- Written inline (no function calls) so ingest stays fast; same rules as public.is_aligned.
  constraint candles_timeframe_known check (
    timeframe in ('1s','1m','3m','5m','15m','30m','1h','2h','4h','6h','8h','12h','1d','3d','1w','1M')),
  -- date_bin is integer arithmetic; extract(epoch ...) is numeric and costs ~5x more per row.
  constraint candles_open_time_aligned check (
    case timeframe
      when '1M' then date_trunc('month', open_time, 'UTC') = open_time
      when '1w' then date_bin('7 days', open_time, '1970-01-05 00:00:00+00') = open_time
      else date_bin(case timeframe
        when '1s' then interval '1 second' when '1m' then interval '1 minute'
        when '3m' then interval '3 minutes' when '5m' then interval '5 minutes'
        when '15m' then interval '15 minutes' when '30m' then interval '30 minutes'
        when '1h' then interval '1 hour' when '2h' then interval '2 hours' when '4h' then interval '4 hours'
        when '6h' then interval '6 hours' when '8h' then interval '8 hours'
        when '12h' then interval '12 hours' when '1d' then interval '1 day'
        when '3d' then interval '1 day' end, open_time, '1970-01-01 00:00:00+00') = open_time
    end),
  constraint candles_prices_positive check (
    open > 0 and high > 0 and low > 0 and close > 0
    and open < 'Infinity' and high < 'Infinity' and low < 'Infinity' and close < 'Infinity'),
  constraint candles_high_ge_low check (high >= low),
  constraint candles_high_ge_open_close check (high >= greatest(open, close)),
  constraint candles_low_le_open_close check (low <= least(open, close)),
  constraint candles_volume_nonnegative check (volume >= 0 and volume < 'Infinity'),
  constraint candles_close_after_open check (close_time is null or close_time > open_time),
  constraint candles_extras_nonnegative check (
    (quote_volume is null or quote_volume >= 0) and (trades is null or trades >= 0)
    and (taker_buy_base is null or taker_buy_base >= 0)
    and (taker_buy_quote is null or taker_buy_quote >= 0))
);
comment on table public.candles is
  'Closed Binance spot candles, one per (symbol, timeframe, open_time). Written only through api.ingest_candles.';
comment on column public.candles.symbol is 'Binance symbol (exists in symbols: checked by api.ingest_candles; deleting the symbol deletes its candles).';
comment on column public.candles.timeframe is 'Binance interval name (1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M).';
comment on column public.candles.open_time is 'Candle open time (UTC), aligned to the timeframe.';
comment on column public.candles.close_time is 'Close time as Binance reports it (open_time + interval - 1 ms, or earlier if the candle closed early).';
comment on column public.candles.open is 'Open price (> 0).';
comment on column public.candles.high is 'High price (>= open, close and low).';
comment on column public.candles.low is 'Low price (> 0, <= open and close).';
comment on column public.candles.close is 'Close price (> 0).';
comment on column public.candles.volume is 'Base-asset volume (>= 0).';
comment on column public.candles.quote_volume is 'Quote-asset volume.';
comment on column public.candles.trades is 'Number of trades.';
comment on column public.candles.taker_buy_base is 'Taker buy base-asset volume.';
comment on column public.candles.taker_buy_quote is 'Taker buy quote-asset volume.';
alter table public.candles enable row level security;
revoke all on public.candles from anon, authenticated;

create table if not exists public.retention_policy (
  timeframe text primary key check (public.timeframe_ms(timeframe) is not null),
  keep_days integer check (keep_days is null or keep_days > 0)
);
comment on table public.retention_policy is
  'How long candles are kept per timeframe; the daily retention job deletes older ones. Missing timeframe or null keep_days = kept forever.';
comment on column public.retention_policy.timeframe is 'Binance interval name.';
comment on column public.retention_policy.keep_days is 'Days of candles to keep (null = forever).';
alter table public.retention_policy enable row level security;
revoke all on public.retention_policy from anon, authenticated;

insert into public.retention_policy (timeframe, keep_days) values
  ('1s', 2), ('1m', 30), ('3m', 60), ('5m', 90), ('15m', 365), ('30m', 365),
  ('1h', 1095), ('2h', 1095), ('4h', null), ('6h', null), ('8h', null), ('12h', null),
  ('1d', null), ('3d', null), ('1w', null), ('1M', null)
on conflict (timeframe) do nothing;

-- Deleting a symbol deletes its candles (candles carry no foreign key, see above).
create or replace function private.delete_symbol_candles()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.candles c where c.symbol = old.symbol;
  return old;
end
$$;
comment on function private.delete_symbol_candles() is 'Trigger: deleting a symbol deletes its candles.';
revoke all on function private.delete_symbol_candles() from public, anon, authenticated;

create or replace trigger symbols_delete_candles
  after delete on public.symbols
  for each row execute function private.delete_symbol_candles();
