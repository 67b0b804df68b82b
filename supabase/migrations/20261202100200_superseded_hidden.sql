-- What people read shows live signals only (see 20261202100100_superseded_signals.sql): the views,
-- /lastsignal (api.signal_card, api.last_signal), the /status counts and outcome tracking skip
-- superseded signals; the card data says when and why a signal was withdrawn and what its bar gives
-- now; Realtime subscribers of signals also get the two new columns (the UPDATE that withdraws a
-- signal they have). Each object is its newest definition on main plus the superseded_at filter.

-- Views (20251125001400): live signals only. Same columns, so re-running the older file still works.
create or replace view public.v_recent_signals with (security_invoker = true) as
select s.id, s.symbol, y.display_name, s.timeframe, s.open_time, s.direction, s.entry, s.stop_loss,
  s.tp1, s.tp2, s.tp3, s.risk_reward, s.confidence, s.status, s.rationale, s.created_at,
  p.outcome, p.r_achieved
from public.signals s
join public.symbols y on y.symbol = s.symbol
left join public.signal_performance p on p.signal_id = s.id
where s.superseded_at is null
order by s.open_time desc, s.id desc
limit 100;
comment on view public.v_recent_signals is 'The latest 100 live signals (superseded ones left out) with symbol names and outcome so far.';

create or replace view public.v_signal_stats with (security_invoker = true) as
select s.symbol, s.timeframe,
  count(*) as signals,
  count(*) filter (where p.closed_at is not null) as closed,
  avg((p.tp1_hit_at is not null)::integer) filter (where p.closed_at is not null) as tp1_rate,
  avg((p.tp2_hit_at is not null)::integer) filter (where p.closed_at is not null) as tp2_rate,
  avg((p.tp3_hit_at is not null)::integer) filter (where p.closed_at is not null) as tp3_rate,
  avg((p.outcome = 'sl' and p.tp1_hit_at is null)::integer) filter (where p.closed_at is not null) as sl_rate,
  avg(p.r_achieved) filter (where p.closed_at is not null) as avg_r,
  max(s.open_time) as last_signal_at
from public.signals s
left join public.signal_performance p on p.signal_id = s.id
where s.superseded_at is null
group by s.symbol, s.timeframe;
comment on view public.v_signal_stats is 'Per symbol and timeframe: live signals (superseded ones left out), hit rates of closed signals and average R.';
comment on column public.v_signal_stats.signals is 'Live signals stored.';

-- The latest live signal (20251125000900).
create or replace function api.last_signal(p_symbol text default null, p_timeframe text default null)
returns setof public.signals
language sql
stable
set search_path = ''
as $$
  select * from public.signals s
  where (p_symbol is null or s.symbol = upper(trim(p_symbol)))
    and (p_timeframe is null or s.timeframe = p_timeframe)
    and s.superseded_at is null
  order by s.open_time desc, s.id desc
  limit 1
$$;
comment on function api.last_signal(text, text) is 'Latest live signal (by bar time), optionally filtered by symbol and timeframe.';

-- Card data (20261130100100) plus, for a superseded signal, when and why it was withdrawn and the
-- live signal its bar gives now (null when the rebuilt analysis gives none).
create or replace function private.card_data(p_signal_id bigint)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', s.id, 'symbol', s.symbol, 'timeframe', s.timeframe, 'open_ms', public.epoch_ms(s.open_time),
    'direction', s.direction, 'entry', s.entry, 'stop_loss', s.stop_loss,
    'take_profits', jsonb_build_array(s.tp1, s.tp2, s.tp3), 'risk_reward', s.risk_reward,
    'confidence', s.confidence, 'atr', s.atr, 'contributions', s.contributions, 'patterns', s.patterns,
    'rationale', s.rationale, 'evidence', s.evidence, 'status', s.status,
    'notify_status', s.notify_status,
    'outcome', case when p.signal_id is null then null else jsonb_build_object(
      'outcome', p.outcome, 'r', p.r_achieved, 'closed_ms', public.epoch_ms(p.closed_at),
      'tp1_ms', public.epoch_ms(p.tp1_hit_at), 'tp2_ms', public.epoch_ms(p.tp2_hit_at),
      'tp3_ms', public.epoch_ms(p.tp3_hit_at), 'stop_ms', public.epoch_ms(p.sl_hit_at)) end,
    'withdrawn', case when s.superseded_at is null then null else jsonb_build_object(
      'at_ms', public.epoch_ms(s.superseded_at), 'reason', s.superseded_reason,
      'replacement', (select jsonb_build_object('id', r.id, 'direction', r.direction, 'entry', r.entry,
                        'stop_loss', r.stop_loss, 'take_profits', jsonb_build_array(r.tp1, r.tp2, r.tp3))
                      from public.signals r
                      where r.symbol = s.symbol and r.timeframe = s.timeframe
                        and r.open_time = s.open_time and r.superseded_at is null)) end)
  from public.signals s
  left join public.signal_performance p on p.signal_id = s.id
  where s.id = p_signal_id
$$;
comment on function private.card_data(bigint) is
  'A signal as the Discord card shows it: levels, details, status and outcome so far, and for a withdrawn signal when, why and what its bar gives now (times in ms).';

-- The newest live signal as card data, for /lastsignal (20261130100100); null when none.
create or replace function api.signal_card(p_symbol text default null, p_timeframe text default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select private.card_data(s.id) from public.signals s
  where (p_symbol is null or s.symbol = upper(trim(p_symbol)))
    and (p_timeframe is null or s.timeframe = p_timeframe)
    and s.superseded_at is null
  order by s.open_time desc, s.id desc
  limit 1
$$;
comment on function api.signal_card(text, text) is
  'The latest live signal (by bar time), optionally of one symbol and timeframe, as the card shows it; null when none.';

-- /status figures (20261130200100_ingest_poll.sql): last_signal, signals_24h and signals_today count
-- live signals; signals_withdrawn_24h counts the signals superseded in the last 24 h.
create or replace function api.status()
returns jsonb
language sql
stable
set search_path = ''
as $$
  with feeds as (
    select r.*, coalesce(r.details ->> 'kind', 'stream') as kind,
      coalesce((r.details ->> 'region_refused')::boolean,
               coalesce((r.details -> 'errors' ->> 'region')::bigint, 0) > 0) as region_refused
    from public.relay_status r
  )
  select jsonb_build_object(
    'now', now(),
    'series', coalesce((
      select jsonb_agg(jsonb_build_object(
        'symbol', t.symbol, 'timeframe', t.timeframe,
        'last_candle', (select max(c.open_time) from public.candles c
                        where c.symbol = t.symbol and c.timeframe = t.timeframe),
        'last_signal', (select max(s.open_time) from public.signals s
                        where s.symbol = t.symbol and s.timeframe = t.timeframe and s.superseded_at is null),
        'analyzed_until', (select a.last_open_time from public.analyzer_state a
                           where a.symbol = t.symbol and a.timeframe = t.timeframe))
        order by t.symbol, public.timeframe_ms(t.timeframe))
      from api.tracked_series() t), '[]'),
    'signals_24h', (select count(*) from public.signals s
                    where s.created_at > now() - interval '24 hours' and s.superseded_at is null),
    'signals_today', (select count(*) from public.signals s
                      where s.created_at >= date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'
                        and s.superseded_at is null),
    'signals_withdrawn_24h', (select count(*) from public.signals s
                              where s.superseded_at > now() - interval '24 hours'),
    'notifications_pending', (select count(*) from public.discord_outbox o where o.status = 'pending'),
    'notifications_failed', (select count(*) from public.discord_outbox o
                             where o.status = 'failed' and o.next_attempt_at is not null),
    'notifications_given_up', (select count(*) from public.discord_outbox o
                               where o.status = 'failed' and o.next_attempt_at is null),
    'notifications_sent_24h', (select count(*) from public.discord_outbox o
                               where o.status = 'sent' and o.sent_at > now() - interval '24 hours'),
    'last_refusal', (select jsonb_build_object('kind', o.kind, 'signal_id', o.signal_id, 'error', o.last_error)
                     from public.discord_outbox o
                     where o.status = 'failed' and o.next_attempt_at is null order by o.id desc limit 1),
    'discord', (select jsonb_build_object('mode', d.mode, 'sending', d.stopped_at is null,
                  'stopped_at', d.stopped_at, 'stopped_reason', d.stopped_reason,
                  'last_sent_at', d.last_sent_at, 'last_run_at', d.last_run_at)
                from private.discord_state d),
    'open_gaps', (select count(*) from public.ingest_gaps g where g.status in ('open', 'requested')),
    'ingest_mode', private.ingest_mode(),
    'relays', coalesce((select jsonb_agg(jsonb_build_object(
        'relay_id', r.relay_id, 'kind', r.kind,
        'heartbeat_age_s', round(extract(epoch from now() - r.heartbeat_at)),
        'streams', cardinality(r.streams), 'last_message_at', r.last_message_at,
        'errors', coalesce(r.details -> 'errors', '{}'),
        'last_error', coalesce(r.details ->> 'last_error', r.details ->> 'lastError'),
        'region_refused', r.region_refused) order by r.relay_id)
      from feeds r), '[]'),
    'binance_region_refused', exists (select 1 from feeds r
                                      where r.region_refused and r.heartbeat_at > now() - interval '1 hour'),
    'database_bytes', pg_catalog.pg_database_size(pg_catalog.current_database()),
    'auth', private.auth_signups(),
    'warnings', api.status_warnings())
$$;
comment on function api.status() is
  'Figures for /status (series freshness, live and withdrawn signals, Discord outbox and sending state, gaps, ingest mode, relays and pollers with their errors and any HTTP 451 from Binance, database size, sign-up evidence, warnings) as JSON.';

-- Outcome tracking (20251125001000) skips superseded signals: a withdrawn signal gets no follow-up.
create or replace function api.track_outcomes(expiry_bars integer default null)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  max_bars integer := coalesce(expiry_bars, private.setting('outcome_expiry_bars')::integer, 100);
  sig record;
  perf public.signal_performance;
  bar record;
  long boolean;
  risk double precision;
  r_tp double precision[];
  realized double precision;
  remaining integer;
  fav double precision;
  adv double precision;
  mark double precision;
  touched integer := 0;
begin
  for sig in
    select s.* from public.signals s
    where s.status in ('open', 'tp1', 'tp2') and s.superseded_at is null
    order by s.id
    for update skip locked
  loop
    long := sig.direction = 'long';
    risk := abs(sig.entry - sig.stop_loss);
    continue when risk = 0;
    r_tp := array[abs(sig.tp1 - sig.entry) / risk, abs(sig.tp2 - sig.entry) / risk,
                  abs(sig.tp3 - sig.entry) / risk];
    select * into perf from public.signal_performance p where p.signal_id = sig.id;
    if not found then
      insert into public.signal_performance (signal_id) values (sig.id) returning * into perf;
    end if;
    continue when perf.closed_at is not null;
    remaining := 3 - (perf.tp1_hit_at is not null)::integer - (perf.tp2_hit_at is not null)::integer
                   - (perf.tp3_hit_at is not null)::integer;
    realized := (case when perf.tp1_hit_at is not null then r_tp[1] else 0 end
               + case when perf.tp2_hit_at is not null then r_tp[2] else 0 end
               + case when perf.tp3_hit_at is not null then r_tp[3] else 0 end) / 3;
    mark := null;
    for bar in
      select c.open_time, c.high, c.low, c.close from public.candles c
      where c.symbol = sig.symbol and c.timeframe = sig.timeframe
        and c.open_time > coalesce(perf.last_open_time, sig.open_time)
      order by c.open_time
    loop
      perf.bars_checked := perf.bars_checked + 1;
      perf.last_open_time := bar.open_time;
      fav := case when long then (bar.high - sig.entry) else (sig.entry - bar.low) end / risk;
      adv := case when long then (sig.entry - bar.low) else (bar.high - sig.entry) end / risk;
      perf.mfe_r := greatest(perf.mfe_r, fav);
      perf.mae_r := greatest(perf.mae_r, adv, 0);
      if (long and bar.low <= sig.stop_loss) or (not long and bar.high >= sig.stop_loss) then
        perf.sl_hit_at := bar.open_time;
        perf.outcome := 'sl';
        realized := realized - remaining / 3.0;
        remaining := 0;
        perf.closed_at := bar.open_time;
        exit;
      end if;
      for k in 1..3 loop
        if (k = 1 and perf.tp1_hit_at is null or k = 2 and perf.tp2_hit_at is null
            or k = 3 and perf.tp3_hit_at is null)
           and ((long and bar.high >= (array[sig.tp1, sig.tp2, sig.tp3])[k])
             or (not long and bar.low <= (array[sig.tp1, sig.tp2, sig.tp3])[k])) then
          case k
            when 1 then perf.tp1_hit_at := bar.open_time;
            when 2 then perf.tp2_hit_at := bar.open_time;
            else perf.tp3_hit_at := bar.open_time;
          end case;
          realized := realized + r_tp[k] / 3;
          remaining := remaining - 1;
          perf.outcome := 'tp' || k;
        end if;
      end loop;
      mark := case when long then bar.close - sig.entry else sig.entry - bar.close end / risk;
      if remaining = 0 then
        perf.closed_at := bar.open_time;
        exit;
      end if;
      if perf.bars_checked >= max_bars then
        perf.outcome := 'expired';
        realized := realized + remaining * mark / 3;
        remaining := 0;
        perf.closed_at := bar.open_time;
        exit;
      end if;
    end loop;
    if perf.closed_at is not null then
      perf.r_achieved := realized;
    elsif mark is not null then
      perf.r_achieved := realized + remaining * mark / 3; -- open: marked to the last close
    end if; -- no new candle: keep the stored mark
    update public.signal_performance p set
      outcome = perf.outcome, tp1_hit_at = perf.tp1_hit_at, tp2_hit_at = perf.tp2_hit_at,
      tp3_hit_at = perf.tp3_hit_at, sl_hit_at = perf.sl_hit_at, closed_at = perf.closed_at,
      r_achieved = perf.r_achieved, mfe_r = perf.mfe_r, mae_r = perf.mae_r,
      bars_checked = perf.bars_checked, last_open_time = perf.last_open_time, updated_at = now()
    where p.signal_id = sig.id;
    update public.signals s set status = case perf.outcome when 'sl' then 'stopped' else perf.outcome end
    where s.id = sig.id and s.status is distinct from case perf.outcome when 'sl' then 'stopped' else perf.outcome end;
    touched := touched + 1;
  end loop;
  return touched;
end
$$;
comment on function api.track_outcomes(integer) is
  'Cron job body: records TP1/TP2/TP3/SL hits, R achieved and MFE/MAE of open live signals (superseded ones skipped) from newer candles; returns signals examined.';

-- Realtime: the signal columns of 20261130100100 plus superseded_at and superseded_reason (dropped
-- and added again so that re-running this file changes nothing).
do $$
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    if exists (select 1 from pg_publication_tables
               where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'signals') then
      alter publication supabase_realtime drop table public.signals;
    end if;
    alter publication supabase_realtime add table public.signals (id, symbol, timeframe, open_time,
      direction, entry, stop_loss, tp1, tp2, tp3, risk_reward, confidence, atr, contributions, patterns,
      rationale, status, created_at, evidence, superseded_at, superseded_reason);
  end if;
end
$$;

revoke all on function api.last_signal(text, text) from public, anon, authenticated;
revoke all on function private.card_data(bigint) from public, anon, authenticated;
revoke all on function api.signal_card(text, text) from public, anon, authenticated;
revoke all on function api.status() from public, anon, authenticated;
revoke all on function api.track_outcomes(integer) from public, anon, authenticated;
grant execute on function api.last_signal(text, text) to service_role;
grant execute on function private.card_data(bigint) to service_role;
grant execute on function api.signal_card(text, text) to service_role;
grant execute on function api.status() to service_role;
grant execute on function api.track_outcomes(integer) to service_role;
