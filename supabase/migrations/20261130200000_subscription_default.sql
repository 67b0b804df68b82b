-- Subscriptions default to every signal. Since 2e55046 a signal's confidence is the calibrated chance
-- of reaching TP1 before the stop (typically 0.2-0.6), not a fused score: the old default of 0.6 would
-- mention a default subscriber on almost no signal. Rows already stored keep their threshold.

alter table public.user_subscriptions alter column min_confidence set default 0;
comment on column public.user_subscriptions.min_confidence is
  'Mention the user only for signals whose confidence (calibrated chance of reaching TP1, 0..1) is at least this; 0 = every signal.';

create or replace function api.subscribe(
  discord_user_id text,
  p_symbol text,
  p_timeframe text default null,
  min_confidence double precision default null
)
returns public.user_subscriptions
language plpgsql
volatile
set search_path = ''
as $$
declare
  r public.user_subscriptions;
  sym public.symbols;
begin
  perform private.require_snowflake(subscribe.discord_user_id, 'subscribe', 'discord_user_id');
  p_symbol := private.require_symbol_shape(p_symbol, 'subscribe');
  select * into sym from public.symbols s where s.symbol = p_symbol;
  if not found then
    raise exception 'subscribe: unknown symbol % (tracked: %)', p_symbol,
      coalesce((select string_agg(s.symbol, ', ' order by s.symbol) from public.symbols s where s.active), 'none')
      using errcode = '22023';
  end if;
  if not sym.active then
    raise exception 'subscribe: % is not tracked at the moment (inactive)', p_symbol using errcode = '22023';
  end if;
  if p_timeframe is not null and public.timeframe_ms(p_timeframe) is null then
    raise exception 'subscribe: unknown timeframe "%" (Binance intervals: 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M)',
      private.clip(p_timeframe, 8) using errcode = '22023';
  end if;
  if p_timeframe is not null and not p_timeframe = any (sym.timeframes) then
    raise exception 'subscribe: % is analysed on % only (got %)', p_symbol,
      array_to_string(sym.timeframes, ', '), p_timeframe using errcode = '22023';
  end if;
  if min_confidence is not null and not (min_confidence >= 0 and min_confidence <= 1) then
    raise exception 'subscribe: min_confidence must be between 0 and 1 (got %)', min_confidence
      using errcode = '22023';
  end if;
  insert into public.user_subscriptions as u (discord_user_id, symbol, timeframe, min_confidence)
  values (subscribe.discord_user_id, p_symbol, p_timeframe, coalesce(subscribe.min_confidence, 0))
  on conflict on constraint user_subscriptions_unique do update
    set min_confidence = coalesce(subscribe.min_confidence, u.min_confidence)
  returning u.* into r;
  return r;
end
$$;
comment on function api.subscribe(text, text, text, double precision) is
  'Creates or updates a Discord user''s subscription (symbol, optional timeframe it is analysed on, min confidence default 0: every signal; confidence is the calibrated chance of reaching TP1); refusals say why.';

revoke all on function api.subscribe(text, text, text, double precision) from public, anon, authenticated;
grant execute on function api.subscribe(text, text, text, double precision) to service_role;
