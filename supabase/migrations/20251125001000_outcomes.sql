-- Outcome tracking: walks the candles after each open signal and records TP/SL hits in
-- signal_performance (cron every 5 minutes).

-- Updates signal_performance and signals.status for every open signal from the candles after the
-- last one examined. Model: one third of the position exits at each target; the rest at the stop;
-- when stop and a target fall in the same bar the stop counts first; after expiry_bars bars (setting
-- outcome_expiry_bars, default 100) the rest exits at that bar's close. Returns signals updated.
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
    where s.status in ('open', 'tp1', 'tp2')
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
  'Cron job body: records TP1/TP2/TP3/SL hits, R achieved and MFE/MAE of open signals from newer candles; returns signals examined.';

revoke all on function api.track_outcomes(integer) from public, anon, authenticated;
grant execute on function api.track_outcomes(integer) to service_role;
