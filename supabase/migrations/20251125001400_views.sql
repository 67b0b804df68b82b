-- Views for people (dashboard, Realtime clients). security_invoker: the reader's RLS applies.

create or replace view public.v_recent_signals with (security_invoker = true) as
select s.id, s.symbol, y.display_name, s.timeframe, s.open_time, s.direction, s.entry, s.stop_loss,
  s.tp1, s.tp2, s.tp3, s.risk_reward, s.confidence, s.status, s.rationale, s.created_at,
  p.outcome, p.r_achieved
from public.signals s
join public.symbols y on y.symbol = s.symbol
left join public.signal_performance p on p.signal_id = s.id
order by s.open_time desc, s.id desc
limit 100;
comment on view public.v_recent_signals is 'The latest 100 signals with symbol names and outcome so far.';
comment on column public.v_recent_signals.id is 'Signal id.';
comment on column public.v_recent_signals.symbol is 'Binance symbol.';
comment on column public.v_recent_signals.display_name is 'Symbol name for people.';
comment on column public.v_recent_signals.timeframe is 'Timeframe.';
comment on column public.v_recent_signals.open_time is 'Signal bar open time.';
comment on column public.v_recent_signals.direction is 'long or short.';
comment on column public.v_recent_signals.entry is 'Entry.';
comment on column public.v_recent_signals.stop_loss is 'Stop-loss.';
comment on column public.v_recent_signals.tp1 is 'Take-profit 1.';
comment on column public.v_recent_signals.tp2 is 'Take-profit 2.';
comment on column public.v_recent_signals.tp3 is 'Take-profit 3.';
comment on column public.v_recent_signals.risk_reward is 'Reward-to-risk of TP1.';
comment on column public.v_recent_signals.confidence is 'Confidence in [0, 1].';
comment on column public.v_recent_signals.status is 'Trade status.';
comment on column public.v_recent_signals.rationale is 'Rationale.';
comment on column public.v_recent_signals.created_at is 'When stored.';
comment on column public.v_recent_signals.outcome is 'Tracked outcome (null before the first check).';
comment on column public.v_recent_signals.r_achieved is 'Result in R so far.';
revoke all on public.v_recent_signals from anon, authenticated;

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
group by s.symbol, s.timeframe;
comment on view public.v_signal_stats is 'Per symbol and timeframe: signals, hit rates of closed signals and average R.';
comment on column public.v_signal_stats.symbol is 'Binance symbol.';
comment on column public.v_signal_stats.timeframe is 'Timeframe.';
comment on column public.v_signal_stats.signals is 'Signals stored.';
comment on column public.v_signal_stats.closed is 'Signals whose trade closed (stop, TP3 or expiry).';
comment on column public.v_signal_stats.tp1_rate is 'Share of closed signals that reached TP1.';
comment on column public.v_signal_stats.tp2_rate is 'Share of closed signals that reached TP2.';
comment on column public.v_signal_stats.tp3_rate is 'Share of closed signals that reached TP3.';
comment on column public.v_signal_stats.sl_rate is 'Share of closed signals stopped before any target.';
comment on column public.v_signal_stats.avg_r is 'Average R of closed signals.';
comment on column public.v_signal_stats.last_signal_at is 'Bar time of the latest signal.';
revoke all on public.v_signal_stats from anon, authenticated;
