-- Analyzer state, signals (with their notification outbox), outcome tracking.

create table if not exists public.analyzer_state (
  symbol text not null references public.symbols (symbol) on delete cascade,
  timeframe text not null check (public.timeframe_ms(timeframe) is not null),
  snapshot jsonb not null,
  last_open_time timestamptz not null,
  updated_at timestamptz not null default now(),
  primary key (symbol, timeframe)
);
comment on table public.analyzer_state is
  'The analyzer library''s snapshot per series, so each analyze call feeds it only new candles. Advanced only through api.save_analysis (optimistic concurrency on last_open_time).';
comment on column public.analyzer_state.symbol is 'Binance symbol.';
comment on column public.analyzer_state.timeframe is 'Binance interval name.';
comment on column public.analyzer_state.snapshot is 'Serialized analyzer state (opaque to the database).';
comment on column public.analyzer_state.last_open_time is 'Open time of the last candle the snapshot has consumed.';
comment on column public.analyzer_state.updated_at is 'When the snapshot was last saved.';
alter table public.analyzer_state enable row level security;
revoke all on public.analyzer_state from anon, authenticated;

create table if not exists public.signals (
  id bigint generated always as identity primary key,
  symbol text not null references public.symbols (symbol) on delete cascade,
  timeframe text not null check (public.timeframe_ms(timeframe) is not null),
  open_time timestamptz not null,
  direction text not null check (direction in ('long', 'short')),
  entry double precision not null check (entry > 0),
  stop_loss double precision not null check (stop_loss > 0),
  tp1 double precision not null check (tp1 > 0),
  tp2 double precision not null check (tp2 > 0),
  tp3 double precision not null check (tp3 > 0),
  risk_reward double precision,
  confidence double precision not null check (confidence >= 0 and confidence <= 1),
  atr double precision,
  contributions jsonb not null default '[]',
  patterns jsonb not null default '{}',
  rationale text not null default '',
  status text not null default 'open'
    check (status in ('open', 'tp1', 'tp2', 'tp3', 'stopped', 'expired')),
  created_at timestamptz not null default now(),
  notify_status text not null default 'pending' check (notify_status in ('pending', 'sent', 'failed')),
  notify_attempts integer not null default 0 check (notify_attempts >= 0),
  next_attempt_at timestamptz default now(),
  last_error text,
  discord_message_id text,
  lease_until timestamptz,
  notified_at timestamptz,
  constraint signals_one_per_bar unique (symbol, timeframe, open_time),
  constraint signals_levels_ordered check (
    (direction = 'long' and stop_loss < entry and entry < tp1 and tp1 <= tp2 and tp2 <= tp3)
    or (direction = 'short' and stop_loss > entry and entry > tp1 and tp1 >= tp2 and tp2 >= tp3))
);
comment on table public.signals is
  'Fused trading signals, one per (symbol, timeframe, bar), with their Discord notification outbox state. Alerts only, not advice.';
comment on column public.signals.id is 'Signal id.';
comment on column public.signals.symbol is 'Binance symbol.';
comment on column public.signals.timeframe is 'Binance interval name.';
comment on column public.signals.open_time is 'Open time of the signal bar (the signal is known at that bar''s close).';
comment on column public.signals.direction is 'long or short.';
comment on column public.signals.entry is 'Reference entry: the signal bar''s close.';
comment on column public.signals.stop_loss is 'Stop-loss level.';
comment on column public.signals.tp1 is 'First take-profit level.';
comment on column public.signals.tp2 is 'Second take-profit level.';
comment on column public.signals.tp3 is 'Third take-profit level.';
comment on column public.signals.risk_reward is 'Reward-to-risk ratio of TP1.';
comment on column public.signals.confidence is 'Fused confidence in [0, 1].';
comment on column public.signals.atr is 'ATR used for the levels.';
comment on column public.signals.contributions is 'Per-method details: [{method, direction, confidence, share, detail}].';
comment on column public.signals.patterns is 'Pattern details: {elliott, wyckoff, phase}.';
comment on column public.signals.rationale is 'Human-readable rationale.';
comment on column public.signals.status is 'Trade outcome so far: open, tp1, tp2 (targets reached, still running), tp3, stopped, expired. Set by outcome tracking.';
comment on column public.signals.created_at is 'When the signal was stored.';
comment on column public.signals.notify_status is 'Outbox: pending (not yet sent), sent, failed (last attempt failed; retried at next_attempt_at unless null).';
comment on column public.signals.notify_attempts is 'Outbox: delivery attempts claimed so far.';
comment on column public.signals.next_attempt_at is 'Outbox: earliest time of the next attempt; null = no more attempts.';
comment on column public.signals.last_error is 'Outbox: error of the last failed attempt.';
comment on column public.signals.discord_message_id is 'Outbox: id of the Discord message once sent.';
comment on column public.signals.lease_until is 'Outbox: a claimer holds the row until this time.';
comment on column public.signals.notified_at is 'Outbox: when the notification was sent.';
alter table public.signals enable row level security;
revoke all on public.signals from anon, authenticated;
revoke all on sequence public.signals_id_seq from anon, authenticated;

create index if not exists signals_outbox_due_idx on public.signals (next_attempt_at)
  where notify_status <> 'sent';
create index if not exists signals_open_idx on public.signals (symbol, timeframe, open_time)
  where status in ('open', 'tp1', 'tp2');
create index if not exists signals_created_idx on public.signals (created_at desc);

create table if not exists public.signal_performance (
  signal_id bigint primary key references public.signals (id) on delete cascade,
  outcome text not null default 'open' check (outcome in ('open', 'tp1', 'tp2', 'tp3', 'sl', 'expired')),
  tp1_hit_at timestamptz,
  tp2_hit_at timestamptz,
  tp3_hit_at timestamptz,
  sl_hit_at timestamptz,
  closed_at timestamptz,
  r_achieved double precision not null default 0,
  mfe_r double precision not null default 0,
  mae_r double precision not null default 0,
  bars_checked integer not null default 0,
  last_open_time timestamptz,
  updated_at timestamptz not null default now()
);
comment on table public.signal_performance is
  'Outcome of each signal, tracked on the candles after its bar: one third of the position exits at each target, the rest at the stop (stop first when both fall in one bar), at the last close on expiry.';
comment on column public.signal_performance.signal_id is 'The signal.';
comment on column public.signal_performance.outcome is 'open, tp1/tp2 (reached, still running), tp3, sl (stopped), expired.';
comment on column public.signal_performance.tp1_hit_at is 'Open time of the bar that reached TP1.';
comment on column public.signal_performance.tp2_hit_at is 'Open time of the bar that reached TP2.';
comment on column public.signal_performance.tp3_hit_at is 'Open time of the bar that reached TP3.';
comment on column public.signal_performance.sl_hit_at is 'Open time of the bar that hit the stop-loss.';
comment on column public.signal_performance.closed_at is 'When the trade closed (stop, TP3 or expiry).';
comment on column public.signal_performance.r_achieved is 'Result in R (risk = |entry - stop|); while open, marked to the last close.';
comment on column public.signal_performance.mfe_r is 'Maximum favourable excursion in R.';
comment on column public.signal_performance.mae_r is 'Maximum adverse excursion in R (>= 0).';
comment on column public.signal_performance.bars_checked is 'Candles examined after the signal bar.';
comment on column public.signal_performance.last_open_time is 'Open time of the last candle examined.';
comment on column public.signal_performance.updated_at is 'Last update.';
alter table public.signal_performance enable row level security;
revoke all on public.signal_performance from anon, authenticated;
