-- Discord subscriptions, backtests, relay status and ingest gaps.

create table if not exists public.user_subscriptions (
  id bigint generated always as identity primary key,
  discord_user_id text not null check (discord_user_id ~ '^[0-9]{1,25}$'),
  symbol text not null references public.symbols (symbol) on delete cascade,
  timeframe text check (timeframe is null or public.timeframe_ms(timeframe) is not null),
  min_confidence double precision not null default 0.6 check (min_confidence >= 0 and min_confidence <= 1),
  created_at timestamptz not null default now(),
  constraint user_subscriptions_unique unique nulls not distinct (discord_user_id, symbol, timeframe)
);
comment on table public.user_subscriptions is 'Discord users who want direct alerts for a symbol (optionally one timeframe) above a confidence.';
comment on column public.user_subscriptions.id is 'Subscription id.';
comment on column public.user_subscriptions.discord_user_id is 'Discord user id (snowflake).';
comment on column public.user_subscriptions.symbol is 'Subscribed symbol.';
comment on column public.user_subscriptions.timeframe is 'Subscribed timeframe; null = every timeframe of the symbol.';
comment on column public.user_subscriptions.min_confidence is 'Only signals with at least this confidence are sent.';
comment on column public.user_subscriptions.created_at is 'When the subscription was made.';
alter table public.user_subscriptions enable row level security;
revoke all on public.user_subscriptions from anon, authenticated;
revoke all on sequence public.user_subscriptions_id_seq from anon, authenticated;
create index if not exists user_subscriptions_symbol_idx on public.user_subscriptions (symbol, timeframe);

create table if not exists public.backtests (
  id bigint generated always as identity primary key,
  symbol text not null references public.symbols (symbol) on delete cascade,
  timeframe text not null check (public.timeframe_ms(timeframe) is not null),
  from_time timestamptz,
  to_time timestamptz,
  params jsonb not null default '{}',
  summary jsonb not null default '{}',
  trades integer,
  win_rate double precision,
  total_r double precision,
  requested_by text,
  created_at timestamptz not null default now()
);
comment on table public.backtests is 'Stored backtest runs (e.g. from /backtest): settings and summary results.';
comment on column public.backtests.id is 'Backtest id.';
comment on column public.backtests.symbol is 'Symbol tested.';
comment on column public.backtests.timeframe is 'Timeframe tested.';
comment on column public.backtests.from_time is 'First candle open time used.';
comment on column public.backtests.to_time is 'Last candle open time used.';
comment on column public.backtests.params is 'Analyzer and backtest settings used.';
comment on column public.backtests.summary is 'Summary results (trades, win rate, R, money, drawdown...).';
comment on column public.backtests.trades is 'Number of trades.';
comment on column public.backtests.win_rate is 'Winning trades / trades.';
comment on column public.backtests.total_r is 'Sum of trade results in R.';
comment on column public.backtests.requested_by is 'Discord user id or tool that asked for it.';
comment on column public.backtests.created_at is 'When it ran.';
alter table public.backtests enable row level security;
revoke all on public.backtests from anon, authenticated;
revoke all on sequence public.backtests_id_seq from anon, authenticated;
create index if not exists backtests_symbol_idx on public.backtests (symbol, timeframe, created_at desc);

create table if not exists public.relay_status (
  relay_id text primary key,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  streams text[] not null default '{}',
  last_message_at timestamptz,
  reconnects integer not null default 0,
  details jsonb not null default '{}'
);
comment on table public.relay_status is 'Liveness of each Binance relay process (scripts/relay.ts), updated by its heartbeat.';
comment on column public.relay_status.relay_id is 'Relay instance name.';
comment on column public.relay_status.started_at is 'When the relay process started.';
comment on column public.relay_status.heartbeat_at is 'Last heartbeat.';
comment on column public.relay_status.streams is 'Binance streams subscribed (e.g. btcusdt@kline_1h).';
comment on column public.relay_status.last_message_at is 'Time of the last WebSocket message received.';
comment on column public.relay_status.reconnects is 'Reconnections since start.';
comment on column public.relay_status.details is 'Free-form figures (candles written, errors...).';
alter table public.relay_status enable row level security;
revoke all on public.relay_status from anon, authenticated;

create table if not exists public.ingest_gaps (
  id bigint generated always as identity primary key,
  symbol text not null references public.symbols (symbol) on delete cascade,
  timeframe text not null check (public.timeframe_ms(timeframe) is not null),
  gap_start timestamptz not null,
  gap_end timestamptz not null,
  missing integer not null check (missing > 0),
  status text not null default 'open' check (status in ('open', 'requested', 'repaired', 'unrepairable')),
  detected_at timestamptz not null default now(),
  requested_at timestamptz,
  request_count integer not null default 0,
  repaired_at timestamptz,
  constraint ingest_gaps_unique unique (symbol, timeframe, gap_start),
  constraint ingest_gaps_ordered check (gap_end >= gap_start)
);
comment on table public.ingest_gaps is 'Missing candles found by the gap-detection job, and their repair (backfill) state.';
comment on column public.ingest_gaps.id is 'Gap id.';
comment on column public.ingest_gaps.symbol is 'Symbol.';
comment on column public.ingest_gaps.timeframe is 'Timeframe.';
comment on column public.ingest_gaps.gap_start is 'Open time of the first missing candle.';
comment on column public.ingest_gaps.gap_end is 'Open time of the last missing candle.';
comment on column public.ingest_gaps.missing is 'Number of missing candles.';
comment on column public.ingest_gaps.status is 'open, requested (backfill asked), repaired, unrepairable (the exchange has no data; after 5 requests).';
comment on column public.ingest_gaps.detected_at is 'When the gap was found.';
comment on column public.ingest_gaps.requested_at is 'Last backfill request.';
comment on column public.ingest_gaps.request_count is 'Backfill requests so far.';
comment on column public.ingest_gaps.repaired_at is 'When every missing candle was present.';
alter table public.ingest_gaps enable row level security;
revoke all on public.ingest_gaps from anon, authenticated;
revoke all on sequence public.ingest_gaps_id_seq from anon, authenticated;
create index if not exists ingest_gaps_status_idx on public.ingest_gaps (status) where status in ('open', 'requested');
