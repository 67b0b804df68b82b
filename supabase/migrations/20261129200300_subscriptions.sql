-- Discord subscriptions validated and every refusal explained (issue 11, item 7): user ids must be
-- Discord snowflakes (so '0123' and '123' can no longer become two users, and '0' or 25-digit ids are
-- refused), symbols are checked for shape before lookup (a tab no longer hides in an "unknown
-- symbol" message), and a timeframe must be one the symbol is analysed on.

-- Raises 22023 unless value is a Discord snowflake: a 64-bit unsigned integer written in decimal
-- without leading zeros, 17 to 20 digits (ids made since 2015; Discord API docs, "Snowflakes").
-- Returns value unchanged. fn and field name the caller and argument in the message.
create or replace function private.require_snowflake(value text, fn text, field text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  if value is null then
    raise exception '%: % is required', fn, field using errcode = '22023';
  end if;
  if (case when value ~ '^[1-9][0-9]{16,19}$' then value::numeric > 18446744073709551615 else true end) then
    raise exception '%: % must be a Discord snowflake: 17 to 20 digits, no leading zero (got "%")',
      fn, field, private.clip(value, 24) using errcode = '22023';
  end if;
  return value;
end
$$;
comment on function private.require_snowflake(text, text, text) is
  'Raises 22023 naming fn and field unless value is a Discord snowflake (17-20 digits, no leading zero, < 2^64); returns it.';
revoke all on function private.require_snowflake(text, text, text) from public, anon, authenticated;
grant execute on function private.require_snowflake(text, text, text) to service_role;

-- Raises 22023 unless value (spaces, tabs and newlines around it removed, upper-cased) looks like a
-- Binance symbol; returns the cleaned symbol.
create or replace function private.require_symbol_shape(value text, fn text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  s text := upper(btrim(value, E' \t\r\n'));
begin
  if value is null then
    raise exception '%: symbol is required', fn using errcode = '22023';
  end if;
  if s !~ '^[A-Z0-9]{2,20}$' then
    raise exception '%: symbol must be 2 to 20 letters and digits, like BTCUSDT (got "%")', fn,
      private.clip(value, 24) using errcode = '22023';
  end if;
  return s;
end
$$;
comment on function private.require_symbol_shape(text, text) is
  'Raises 22023 naming fn unless value looks like a Binance symbol; returns it trimmed and upper-cased.';
revoke all on function private.require_symbol_shape(text, text) from public, anon, authenticated;
grant execute on function private.require_symbol_shape(text, text) to service_role;

-- Stored ids follow the same rule (checked for new rows; validated where stored rows already hold it).
alter table public.user_subscriptions drop constraint if exists user_subscriptions_snowflake;
alter table public.user_subscriptions add constraint user_subscriptions_snowflake check (
  case when discord_user_id ~ '^[1-9][0-9]{16,19}$' then discord_user_id::numeric <= 18446744073709551615
       else false end) not valid;
do $$
begin
  alter table public.user_subscriptions validate constraint user_subscriptions_snowflake;
exception when check_violation then
  raise warning 'user_subscriptions_snowflake: stored ids are not Discord snowflakes (checked for new rows only)';
end
$$;

-- Subscribes a Discord user to a symbol (optionally one of its timeframes) at a minimum confidence;
-- repeating it updates the threshold. Raises 22023 with the reason for a bad user id, a malformed,
-- unknown or inactive symbol, an unknown timeframe or one the symbol is not analysed on, or a
-- min_confidence outside [0, 1].
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
  values (subscribe.discord_user_id, p_symbol, p_timeframe, coalesce(subscribe.min_confidence, 0.6))
  on conflict on constraint user_subscriptions_unique do update
    set min_confidence = coalesce(subscribe.min_confidence, u.min_confidence)
  returning u.* into r;
  return r;
end
$$;
comment on function api.subscribe(text, text, text, double precision) is
  'Creates or updates a Discord user''s subscription (symbol, optional timeframe it is analysed on, min confidence default 0.6); refusals say why.';

-- Removes a user's subscriptions: all of them (symbol null), a symbol's, or one symbol+timeframe.
-- Returns how many; raises 22023 for a bad user id, a malformed symbol or an unknown timeframe.
create or replace function api.unsubscribe(discord_user_id text, p_symbol text default null, p_timeframe text default null)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  n integer;
begin
  perform private.require_snowflake(unsubscribe.discord_user_id, 'unsubscribe', 'discord_user_id');
  if p_symbol is not null then
    p_symbol := private.require_symbol_shape(p_symbol, 'unsubscribe');
  end if;
  if p_timeframe is not null and public.timeframe_ms(p_timeframe) is null then
    raise exception 'unsubscribe: unknown timeframe "%"', private.clip(p_timeframe, 8) using errcode = '22023';
  end if;
  with gone as (
    delete from public.user_subscriptions u
    where u.discord_user_id = unsubscribe.discord_user_id
      and (p_symbol is null or u.symbol = p_symbol)
      and (p_timeframe is null or u.timeframe is not distinct from p_timeframe)
    returning 1)
  select count(*)::integer into n from gone;
  return n;
end
$$;
comment on function api.unsubscribe(text, text, text) is
  'Deletes matching subscriptions of a Discord user; returns how many. Bad ids, symbols and timeframes are refused with the reason.';

-- A Discord user's subscriptions (22023 for an id that is not a snowflake).
create or replace function api.list_subscriptions(discord_user_id text)
returns setof public.user_subscriptions
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.require_snowflake(list_subscriptions.discord_user_id, 'list_subscriptions', 'discord_user_id');
  return query
  select * from public.user_subscriptions u where u.discord_user_id = list_subscriptions.discord_user_id
  order by u.symbol, u.timeframe nulls first;
end
$$;
comment on function api.list_subscriptions(text) is 'A Discord user''s subscriptions.';

revoke all on function api.subscribe(text, text, text, double precision) from public, anon, authenticated;
revoke all on function api.unsubscribe(text, text, text) from public, anon, authenticated;
revoke all on function api.list_subscriptions(text) from public, anon, authenticated;
grant execute on function api.subscribe(text, text, text, double precision) to service_role;
grant execute on function api.unsubscribe(text, text, text) to service_role;
grant execute on function api.list_subscriptions(text) to service_role;
