-- Statement-level wake-up triggers: ONE pg_net request per insert statement, never one per row.

-- After an insert statement on candles: one POST to <functions_url>/analyze with the tracked series
-- that got new candles: {reason: "candles", series: [{symbol, timeframe, count, last_open_time (ms)}]}.
create or replace function private.on_candles_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  series jsonb;
begin
  select jsonb_agg(jsonb_build_object('symbol', n.symbol, 'timeframe', n.timeframe, 'count', n.cnt,
      'last_open_time', public.epoch_ms(n.last_open)) order by n.symbol, n.timeframe)
  into series
  from (select c.symbol, c.timeframe, count(*) as cnt, max(c.open_time) as last_open
        from new_candles c group by c.symbol, c.timeframe) n
  join public.symbols s on s.symbol = n.symbol and s.active and n.timeframe = any (s.timeframes);
  if series is not null then
    perform private.wake('analyze', jsonb_build_object('reason', 'candles', 'series', series));
  end if;
  return null;
end
$$;
comment on function private.on_candles_inserted() is
  'Statement trigger: one analyze wake-up per candle insert statement, listing the tracked series with new candles.';

-- After an insert statement on signals: one POST to <functions_url>/discord-notify with the new
-- pending signal ids: {reason: "signals", signal_ids: [...]}.
create or replace function private.on_signals_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  ids jsonb;
begin
  select jsonb_agg(s.id order by s.id) into ids from new_signals s where s.notify_status = 'pending';
  if ids is not null then
    perform private.wake('discord-notify', jsonb_build_object('reason', 'signals', 'signal_ids', ids));
  end if;
  return null;
end
$$;
comment on function private.on_signals_inserted() is
  'Statement trigger: one discord-notify wake-up per signal insert statement with the new signal ids.';

revoke all on function private.on_candles_inserted() from public, anon, authenticated;
revoke all on function private.on_signals_inserted() from public, anon, authenticated;

create or replace trigger candles_wake_analyze
  after insert on public.candles
  referencing new table as new_candles
  for each statement execute function private.on_candles_inserted();

create or replace trigger signals_wake_notify
  after insert on public.signals
  referencing new table as new_signals
  for each statement execute function private.on_signals_inserted();
