-- The Discord outbox gets its own table: one row per message to send (a signal's card, the extra
-- mention messages of a signal with many subscribers, and one follow-up per recorded outcome:
-- TP1, TP2, TP3, stop, expiry). Until now the outbox lived on public.signals, so every lease,
-- retry, error and message id was an UPDATE that Realtime pushed to every signals subscriber; now a
-- signal row changes only when its trade's status changes.
--
-- Delivery contract (supabase/functions/discord-notify):
--   * A signal stored with notify_status 'pending' gets a card row; 'skipped' (analysed after its next
--     bar had closed, see api.save_analysis) gets none: stored, never posted.
--   * A row is due when it is not sent, its next_attempt_at has come, no live lease holds it, and
--     every earlier row of its signal is sent or given up (cards before their follow-ups, follow-ups
--     in the order they happened).
--   * Claims (api.claim_outbox) lease rows (for update skip locked), so two senders never get the same row; the nonce
--     the function derives from the row (id and created_at) with enforce_nonce makes a repeated POST
--     return the first message instead of creating a second one.
--   * Retries: 30 s x 2^(attempts-1) capped at 1 h, or the retry_after given (clamped to 0..3600 s);
--     after notify_max_attempts (setting, default 8) or a permanent failure, next_attempt_at is null
--     (given up).
--   * private.discord_state holds the single sender lease (one function instance sends at a time,
--     so its in-memory rate limiter sees every request) and the stop after a 401/403.

-- True when value is a Discord snowflake: a 64-bit unsigned integer written in decimal without
-- leading zeros, 17 to 20 digits (the rule of private.require_snowflake; Discord API docs, "Snowflakes").
create or replace function private.is_snowflake(value text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when value ~ '^[1-9][0-9]{16,19}$' then value::numeric <= 18446744073709551615 else false end
$$;
comment on function private.is_snowflake(text) is
  'True when value is a Discord snowflake (17-20 digits, no leading zero, < 2^64).';
revoke all on function private.is_snowflake(text) from public, anon, authenticated;
grant execute on function private.is_snowflake(text) to service_role;

create table if not exists public.discord_outbox (
  id bigint generated always as identity primary key,
  signal_id bigint not null references public.signals (id) on delete cascade,
  kind text not null check (kind in ('card', 'mentions', 'tp1', 'tp2', 'tp3', 'stop', 'expired')),
  part integer not null default 0 check (part >= 0 and part < 1000),
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz default now(),
  lease_until timestamptz,
  last_error text check (length(last_error) <= 1000),
  mentions text[] not null default '{}' check (cardinality(mentions) <= 100),
  details jsonb not null default '{}' check (jsonb_typeof(details) = 'object'),
  message_id text check (message_id is null or private.is_snowflake(message_id)),
  channel_id text check (channel_id is null or private.is_snowflake(channel_id)),
  posted_via text check (posted_via in ('bot', 'webhook')),
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  constraint discord_outbox_one_per_message unique (signal_id, kind, part)
);
comment on table public.discord_outbox is
  'Discord messages to send, one row each: a signal''s card, extra mention messages, and one follow-up per outcome (TP1, TP2, TP3, stop, expiry). Server-only; worked through api.claim_outbox / mark_outbox_* by discord-notify.';
comment on column public.discord_outbox.id is 'Outbox row id (the message nonce is derived from it and created_at).';
comment on column public.discord_outbox.signal_id is 'The signal the message is about.';
comment on column public.discord_outbox.kind is 'card (the signal), mentions (more subscribers than one message may mention), tp1/tp2/tp3/stop/expired (follow-ups, posted as replies to the card).';
comment on column public.discord_outbox.part is 'Sequence number of a mentions message (0 for every other kind).';
comment on column public.discord_outbox.status is 'pending (not yet attempted), sent, failed (last attempt failed; retried at next_attempt_at unless null).';
comment on column public.discord_outbox.attempts is 'Delivery attempts claimed so far.';
comment on column public.discord_outbox.next_attempt_at is 'Earliest time of the next attempt; null = sent or given up.';
comment on column public.discord_outbox.lease_until is 'A sender holds the row until this time.';
comment on column public.discord_outbox.last_error is 'Why the last attempt failed (Discord''s reason for a refusal).';
comment on column public.discord_outbox.mentions is 'Discord user ids mentioned in this message (subscribers whose symbol, timeframe and minimum confidence match; at most 100).';
comment on column public.discord_outbox.details is 'Follow-ups: {event, bar_ms (open time of the bar it happened in), r (result in R at that point), price}.';
comment on column public.discord_outbox.message_id is 'Id of the Discord message once posted (a snowflake; null when Discord answered none, see last_error).';
comment on column public.discord_outbox.channel_id is 'Channel the message was posted in.';
comment on column public.discord_outbox.posted_via is 'bot (channel message with the bot token) or webhook.';
comment on column public.discord_outbox.created_at is 'When the row was queued.';
comment on column public.discord_outbox.sent_at is 'When the message was posted.';
alter table public.discord_outbox enable row level security;
revoke all on public.discord_outbox from anon, authenticated;
revoke all on sequence public.discord_outbox_id_seq from anon, authenticated;
grant select, insert, update, delete on public.discord_outbox to service_role;
grant usage, select on sequence public.discord_outbox_id_seq to service_role;
create index if not exists discord_outbox_due_idx on public.discord_outbox (next_attempt_at, id)
  where status <> 'sent';

-- The sender's shared state (one row).
create table if not exists private.discord_state (
  id boolean primary key default true check (id),
  mode text not null default 'unconfigured' check (mode in ('bot', 'webhook', 'unconfigured')),
  sender text,
  sender_until timestamptz,
  rerun boolean not null default false,
  stopped_at timestamptz,
  stopped_reason text check (length(stopped_reason) <= 1000),
  stopped_config text,
  probed_at timestamptz,
  last_run_at timestamptz,
  last_sent_at timestamptz,
  rate_limits jsonb not null default '{}' check (jsonb_typeof(rate_limits) = 'object')
);
comment on table private.discord_state is
  'discord-notify''s shared state: the single sender lease, and the stop after Discord answered 401/403 (bad token, missing access).';
comment on column private.discord_state.id is 'Always true: the table has one row.';
comment on column private.discord_state.mode is 'How the last run would post: bot (token + channel), webhook, or unconfigured.';
comment on column private.discord_state.sender is 'Id of the function run holding the sender lease, or null.';
comment on column private.discord_state.sender_until is 'The sender lease ends at this time (a crashed run is replaced after it).';
comment on column private.discord_state.rerun is 'A wake-up arrived while another run held the lease: the holder claims again before it releases.';
comment on column private.discord_state.stopped_at is 'Sending stopped at this time after a 401/403; null = sending.';
comment on column private.discord_state.stopped_reason is 'Discord''s answer that stopped sending.';
comment on column private.discord_state.stopped_config is 'Fingerprint of the Discord settings that were refused: new settings resume sending at once.';
comment on column private.discord_state.probed_at is 'Last single-message probe while stopped (every 15 minutes).';
comment on column private.discord_state.last_run_at is 'Last time a run took the sender lease or found it taken.';
comment on column private.discord_state.last_sent_at is 'Last message posted.';
comment on column private.discord_state.rate_limits is 'Discord rate-limit buckets the last run learnt (so the next run starts from them).';
alter table private.discord_state enable row level security;
revoke all on private.discord_state from public, anon, authenticated;
grant select on private.discord_state to service_role;
insert into private.discord_state (id) values (true) on conflict (id) do nothing;

-- Move the outbox state that lived on public.signals (idempotent). The old columns stay, unused:
-- every migration must stay re-runnable over a newer database, and the earlier files name them.
-- notify_status stays meaningful as the posting decision made when the signal is stored (pending =
-- queued for Discord, skipped = never posted); api.save_analysis writes next_attempt_at and
-- last_error at insert (the skip reason) and nothing updates any of them afterwards.
-- A card posted before without a usable message id is recorded as given up, never posted again.
insert into public.discord_outbox (signal_id, kind, status, attempts, next_attempt_at, last_error,
  message_id, sent_at)
select s.id, 'card', m.status, s.notify_attempts,
  case when s.notify_status = 'sent' then null else s.next_attempt_at end,
  case when m.unknown_id then 'posted before the outbox moved; message id unknown'
       when m.status <> 'sent' then left(s.last_error, 1000) end,
  case when m.status = 'sent' then s.discord_message_id end,
  case when m.status = 'sent' then s.notified_at end
from public.signals s
cross join lateral (select s.notify_status = 'sent'
  and coalesce(private.is_snowflake(s.discord_message_id), false) as known_id) k
cross join lateral (select s.notify_status = 'sent' and not k.known_id as unknown_id,
  case when k.known_id then 'sent' when s.notify_status = 'sent' then 'failed'
       else s.notify_status end as status) m
where s.notify_status in ('pending', 'sent', 'failed')
order by s.id
on conflict on constraint discord_outbox_one_per_message do nothing;
update public.signals set notify_status = 'pending', next_attempt_at = null, last_error = null
where notify_status in ('sent', 'failed');
update public.signals set notify_attempts = 0, discord_message_id = null, lease_until = null,
  notified_at = null
where notify_attempts <> 0 or discord_message_id is not null or lease_until is not null
  or notified_at is not null;
drop index if exists public.signals_outbox_due_idx;
alter table public.signals drop constraint if exists signals_notify_status_check;
alter table public.signals add constraint signals_notify_status_check
  check (notify_status in ('pending', 'skipped'));
comment on table public.signals is
  'Fused trading signals, one per (symbol, timeframe, bar). Alerts only, not advice. Their Discord messages are in public.discord_outbox.';
comment on column public.signals.notify_status is
  'Posting decision made when the signal is stored: pending = queued for Discord (delivery state in public.discord_outbox), skipped = analysed after the next bar had closed, stored but never posted (reason in last_error).';
comment on column public.signals.next_attempt_at is
  'Set when the signal is stored (null for a skipped one); delivery retries live in public.discord_outbox.';
comment on column public.signals.last_error is 'Why a skipped signal is not posted.';
comment on column public.signals.notify_attempts is 'Unused since the outbox moved to public.discord_outbox (always 0).';
comment on column public.signals.discord_message_id is 'Unused since the outbox moved to public.discord_outbox (message ids are there).';
comment on column public.signals.lease_until is 'Unused since the outbox moved to public.discord_outbox.';
comment on column public.signals.notified_at is 'Unused since the outbox moved to public.discord_outbox (sent_at is there).';

-- Realtime subscribers of signals get the signal and its trade status, not the posting bookkeeping
-- (where the replication consumer honours publication column lists, Postgres 15+). Dropped and
-- added again so that re-running this file changes nothing.
do $$
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    if exists (select 1 from pg_publication_tables
               where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'signals') then
      alter publication supabase_realtime drop table public.signals;
    end if;
    alter publication supabase_realtime add table public.signals (id, symbol, timeframe, open_time,
      direction, entry, stop_loss, tp1, tp2, tp3, risk_reward, confidence, atr, contributions, patterns,
      rationale, status, created_at, evidence);
  end if;
end
$$;

-- Splits subscriber ids into messages: at most 100 mentions each (Discord's allowed_mentions limit)
-- and at most 1,900 characters of "<@id> " (content holds 2,000). Always at least one (maybe empty) part.
create or replace function private.mention_chunks(user_ids text[])
returns table (part integer, mentions text[])
language plpgsql
immutable
set search_path = ''
as $$
declare
  cur text[] := '{}';
  len integer := 0;
  n integer := 0;
  u text;
begin
  foreach u in array coalesce(user_ids, '{}') loop
    if cardinality(cur) >= 100 or len + length(u) + 4 > 1900 then
      part := n;
      mentions := cur;
      return next;
      n := n + 1;
      cur := '{}';
      len := 0;
    end if;
    cur := cur || u;
    len := len + length(u) + 4;
  end loop;
  part := n;
  mentions := cur;
  return next;
end
$$;
comment on function private.mention_chunks(text[]) is
  'Subscriber ids split into messages of at most 100 mentions and 1,900 characters; always one part at least.';

-- Discord users whose subscriptions match a signal (symbol, timeframe or any, confidence threshold).
create or replace function api.subscribers_for_signal(signal_id bigint)
returns setof text
language sql
stable
set search_path = ''
as $$
  select distinct u.discord_user_id
  from public.signals s
  join public.user_subscriptions u on u.symbol = s.symbol
    and (u.timeframe is null or u.timeframe = s.timeframe)
    and u.min_confidence <= s.confidence
  where s.id = signal_id
  order by 1
$$;
comment on function api.subscribers_for_signal(bigint) is 'Discord user ids subscribed to a signal''s symbol/timeframe at or below its confidence.';

-- After an insert statement on signals: one card row per signal to post (notify_status 'pending'),
-- mentioning its subscribers, plus a mentions row for each further 100 (or 1,900 characters).
create or replace function private.on_signals_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.discord_outbox (signal_id, kind, part, mentions)
  select s.id, case when c.part = 0 then 'card' else 'mentions' end, c.part, c.mentions
  from new_signals s
  cross join lateral private.mention_chunks(array(
    select distinct u.discord_user_id from public.user_subscriptions u
    where u.symbol = s.symbol and (u.timeframe is null or u.timeframe = s.timeframe)
      and u.min_confidence <= s.confidence
    order by 1)) c
  where s.notify_status = 'pending'
  order by s.id, c.part
  on conflict on constraint discord_outbox_one_per_message do nothing;
  return null;
end
$$;
comment on function private.on_signals_inserted() is
  'Statement trigger: queues a Discord card (and extra mention messages) for each new signal to post; skipped signals get none.';

-- After an insert statement on the outbox: one wake-up of discord-notify listing the new rows.
create or replace function private.on_outbox_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  ids jsonb;
begin
  select jsonb_agg(o.id order by o.id) into ids from new_rows o where o.next_attempt_at is not null;
  if ids is not null then
    perform private.wake('discord-notify', jsonb_build_object('reason', 'outbox', 'outbox_ids', ids));
  end if;
  return null;
end
$$;
comment on function private.on_outbox_inserted() is
  'Statement trigger: one discord-notify wake-up per outbox insert statement, listing the new rows.';

create or replace trigger discord_outbox_wake_notify
  after insert on public.discord_outbox
  referencing new table as new_rows
  for each statement execute function private.on_outbox_inserted();

-- After outcome tracking records an event (TP1, TP2, TP3, stop, expiry): one follow-up row per event
-- for signals that have a card. details: {event, bar_ms, r, price}; r is the result in R at that
-- point of the model in api.track_outcomes (one third exits at each target, the rest at the stop or
-- the expiry close). A card that was given up makes its follow-ups given up at once.
create or replace function private.on_outcome_recorded()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  sig public.signals;
  card public.discord_outbox;
  risk double precision;
  r_tp double precision[];
  ev record;
begin
  select * into card from public.discord_outbox o where o.signal_id = new.signal_id and o.kind = 'card';
  if not found then
    return null;
  end if;
  select * into sig from public.signals s where s.id = new.signal_id;
  risk := abs(sig.entry - sig.stop_loss);
  if risk = 0 then
    return null;
  end if;
  r_tp := array[abs(sig.tp1 - sig.entry) / risk, abs(sig.tp2 - sig.entry) / risk, abs(sig.tp3 - sig.entry) / risk];
  for ev in
    select * from (values
      (1, 'tp1', new.tp1_hit_at, (tg_op = 'INSERT' or old.tp1_hit_at is null), r_tp[1] / 3, sig.tp1),
      (2, 'tp2', new.tp2_hit_at, (tg_op = 'INSERT' or old.tp2_hit_at is null), (r_tp[1] + r_tp[2]) / 3, sig.tp2),
      (3, 'tp3', new.tp3_hit_at, (tg_op = 'INSERT' or old.tp3_hit_at is null), new.r_achieved, sig.tp3),
      (4, 'stop', new.sl_hit_at, (tg_op = 'INSERT' or old.sl_hit_at is null), new.r_achieved, sig.stop_loss),
      (5, 'expired', case when new.outcome = 'expired' then new.closed_at end,
        (tg_op = 'INSERT' or old.outcome is distinct from 'expired'), new.r_achieved, null::float8)
    ) e(n, kind, at, fresh, r, price)
    where e.at is not null and e.fresh
    order by e.n
  loop
    insert into public.discord_outbox (signal_id, kind, details, status, next_attempt_at, last_error)
    values (new.signal_id, ev.kind,
      jsonb_strip_nulls(jsonb_build_object('event', ev.kind, 'bar_ms', public.epoch_ms(ev.at), 'r', ev.r,
        'price', ev.price)),
      case when card.status = 'failed' and card.next_attempt_at is null then 'failed' else 'pending' end,
      case when card.status = 'failed' and card.next_attempt_at is null then null else now() end,
      case when card.status = 'failed' and card.next_attempt_at is null
        then 'not posted: the signal''s card was never posted' end)
    on conflict on constraint discord_outbox_one_per_message do nothing;
  end loop;
  return null;
end
$$;
comment on function private.on_outcome_recorded() is
  'Row trigger on signal_performance: queues one Discord follow-up per newly recorded TP1/TP2/TP3/stop/expiry of a signal that has a card.';

create or replace trigger signal_performance_follow_up
  after insert or update on public.signal_performance
  for each row execute function private.on_outcome_recorded();

-- What a card needs about a signal: its levels and details, and its outcome so far.
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
      'tp3_ms', public.epoch_ms(p.tp3_hit_at), 'stop_ms', public.epoch_ms(p.sl_hit_at)) end)
  from public.signals s
  left join public.signal_performance p on p.signal_id = s.id
  where s.id = p_signal_id
$$;
comment on function private.card_data(bigint) is
  'A signal as the Discord card shows it: levels, details, status and outcome so far (times in ms).';

-- The newest signal (optionally of one symbol and/or timeframe) as card data, for /lastsignal; null when none.
create or replace function api.signal_card(p_symbol text default null, p_timeframe text default null)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select private.card_data(s.id) from public.signals s
  where (p_symbol is null or s.symbol = upper(trim(p_symbol)))
    and (p_timeframe is null or s.timeframe = p_timeframe)
  order by s.open_time desc, s.id desc
  limit 1
$$;
comment on function api.signal_card(text, text) is
  'The latest signal (by bar time), optionally of one symbol and timeframe, as the card shows it; null when none.';

-- Whether an outbox row is due now: not sent, its next attempt has come, no live lease, and every
-- earlier row of its signal is sent or given up (cards before follow-ups, follow-ups in order).
create or replace function private.outbox_is_due(o public.discord_outbox)
returns boolean
language sql
stable
set search_path = ''
as $$
  select o.status <> 'sent'
    and o.next_attempt_at <= now()
    and (o.lease_until is null or o.lease_until <= now())
    and not exists (select 1 from public.discord_outbox e
                    where e.signal_id = o.signal_id and e.id < o.id
                      and e.status <> 'sent' and e.next_attempt_at is not null)
$$;
comment on function private.outbox_is_due(public.discord_outbox) is
  'True when an outbox row may be sent now (not sent, due, unleased, every earlier row of its signal sent or given up).';

-- The outbox API that worked on public.signals is gone (api.claim_outbox, mark_outbox_sent,
-- mark_outbox_failed and release_outbox replace it); dropped rather than redefined, as their
-- signatures and results changed.
drop function if exists api.claim_notifications(integer, integer, bigint[]);
drop function if exists api.mark_notification_sent(bigint, text);
drop function if exists api.mark_notification_failed(bigint, text, double precision);

-- Claims up to max_count due outbox rows (see the file comment), leasing them for lease_seconds and
-- counting the attempt; concurrent claimers never get the same row (for update skip locked + lease).
-- only_ids restricts the claim to those rows. Each row comes with its signal's card data and, for
-- replies, the card's message.
create or replace function api.claim_outbox(
  max_count integer default 10,
  lease_seconds integer default 60,
  only_ids bigint[] default null
)
returns table (
  id bigint,
  signal_id bigint,
  kind text,
  part integer,
  attempts integer,
  lease_until timestamptz,
  created_ms bigint,
  mentions text[],
  details jsonb,
  card_message_id text,
  card_channel_id text,
  card_posted_via text,
  card_status text,
  signal jsonb
)
language sql
volatile
set search_path = ''
as $$
  with due as (
    select o.id from public.discord_outbox o
    where o.status <> 'sent' and o.next_attempt_at <= now() -- the due index; outbox_is_due has the rest
      and private.outbox_is_due(o) and (only_ids is null or o.id = any (only_ids))
    order by o.id
    limit least(greatest(coalesce(max_count, 10), 0), 100)
    for update skip locked
  ), claimed as (
    update public.discord_outbox o
    set lease_until = now() + make_interval(secs => least(greatest(coalesce(lease_seconds, 60), 1), 3600)),
        attempts = o.attempts + 1
    from due
    where o.id = due.id
    returning o.*
  )
  select c.id, c.signal_id, c.kind, c.part, c.attempts, c.lease_until, public.epoch_ms(c.created_at),
    c.mentions, c.details, card.message_id, card.channel_id, card.posted_via, card.status,
    private.card_data(c.signal_id)
  from claimed c
  left join public.discord_outbox card on card.signal_id = c.signal_id and card.kind = 'card'
  order by c.id
$$;
comment on function api.claim_outbox(integer, integer, bigint[]) is
  'Leases up to max_count (at most 100) due outbox rows (for update skip locked), counts the attempt, and returns each with its signal''s card data and the card''s message.';

-- Clamps a retry delay given by a caller (e.g. Discord's retry_after): NaN and null mean "none",
-- negative is 0, anything above an hour (Infinity included) is an hour.
create or replace function private.clamp_retry_seconds(s double precision)
returns double precision
language sql
immutable
set search_path = ''
as $$
  select case when s is null or s = 'NaN'::float8 then null
              when s < 0 then 0::float8
              when s > 3600 then 3600::float8
              else s end
$$;
comment on function private.clamp_retry_seconds(double precision) is
  'A retry delay in seconds clamped to 0..3600 (null or NaN: null).';

-- Marks a claimed message as posted (never claimed again): its Discord message id and channel
-- (snowflakes) and transport (bot or webhook). Never fails on a bad value: an id that is not a
-- snowflake is not stored, the row is still marked sent (it was posted: claiming it again would post
-- it twice) and the refusal is noted in last_error and raised as a WARNING. A successful post also
-- ends a stop (the probe worked). True when the row changed.
create or replace function api.mark_outbox_sent(
  outbox_id bigint,
  message_id text,
  channel_id text default null,
  via text default 'bot'
)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  msg text := mark_outbox_sent.message_id;
  chan text := mark_outbox_sent.channel_id;
  note text;
  changed boolean;
begin
  if msg is null or not private.is_snowflake(msg) then
    note := format('sent; message id not stored: not a Discord snowflake (got "%s")',
      coalesce(private.clip(msg, 24), 'null'));
    msg := null;
  end if;
  if chan is not null and not private.is_snowflake(chan) then
    note := concat_ws('; ', note, format('channel id not stored: not a Discord snowflake (got "%s")',
      private.clip(chan, 24)));
    chan := null;
  end if;
  if note is not null then
    raise warning 'mark_outbox_sent(%): %', outbox_id, note;
  end if;
  update public.discord_outbox o
  set status = 'sent', message_id = msg, channel_id = chan,
      posted_via = case when via in ('bot', 'webhook') then via end, lease_until = null,
      last_error = note, sent_at = now(), next_attempt_at = null
  where o.id = outbox_id and o.status <> 'sent';
  changed := found;
  if changed then
    update private.discord_state set last_sent_at = now(), stopped_at = null, stopped_reason = null,
      stopped_config = null, probed_at = null;
  end if;
  return changed;
end
$$;
comment on function api.mark_outbox_sent(bigint, text, text, text) is
  'Marks an outbox row posted with its Discord message id and channel (snowflakes; anything else is not stored, noted in last_error) and transport; true when the row changed.';

-- Marks a claimed message as failed and schedules the retry: retry_after_seconds when given (e.g.
-- Discord's retry_after; clamped to 0..3600, NaN ignored), else 30 s x 2^(attempts-1) capped at 1 h;
-- permanent (a refusal such as 400) or notify_max_attempts (setting, default 8) attempts give up
-- (next_attempt_at null). Returns the next attempt time, or null when given up.
create or replace function api.mark_outbox_failed(
  outbox_id bigint,
  error text,
  retry_after_seconds double precision default null,
  permanent boolean default false
)
returns timestamptz
language plpgsql
volatile
set search_path = ''
as $$
declare
  max_attempts integer := coalesce(private.setting('notify_max_attempts')::integer, 8);
  wait double precision := private.clamp_retry_seconds(retry_after_seconds);
  next_at timestamptz;
begin
  update public.discord_outbox o
  set status = 'failed',
      last_error = left(coalesce(error, 'unknown error'), 1000),
      lease_until = null,
      next_attempt_at = case
        when coalesce(permanent, false) or o.attempts >= max_attempts then null
        when wait is not null then now() + make_interval(secs => wait)
        else now() + make_interval(secs => least(30 * power(2, least(greatest(o.attempts - 1, 0), 20)), 3600))
      end
  where o.id = outbox_id and o.status <> 'sent'
  returning o.next_attempt_at into next_at;
  return next_at;
end
$$;
comment on function api.mark_outbox_failed(bigint, text, double precision, boolean) is
  'Records a failed send and schedules the retry (retry_after clamped to 0..3600 s, or 30 s..1 h backoff); null when given up (permanent refusal or too many attempts).';

-- Gives a claimed row back without counting the attempt (it was not sent: rate limited, sending
-- stopped, the run's time was up): due again after retry_after_seconds (clamped, default 0).
create or replace function api.release_outbox(
  outbox_id bigint,
  retry_after_seconds double precision default null,
  reason text default null
)
returns timestamptz
language sql
volatile
set search_path = ''
as $$
  update public.discord_outbox o
  set attempts = greatest(o.attempts - 1, 0), lease_until = null,
      next_attempt_at = now() + make_interval(secs => coalesce(private.clamp_retry_seconds(retry_after_seconds), 0)),
      last_error = coalesce(left(reason, 1000), o.last_error)
  where o.id = outbox_id and o.status <> 'sent'
  returning o.next_attempt_at
$$;
comment on function api.release_outbox(bigint, double precision, text) is
  'Returns a claimed outbox row unsent without counting the attempt; due again after retry_after_seconds (0..3600).';

-- Takes (or renews) the single sender lease for `holder` and records the sending mode. Returns
-- acquired = false when another run holds it (that run is asked to claim again before it releases)
-- or while sending is stopped by a 401/403 for these same settings (`config`, a fingerprint) and
-- the last probe was less than 15 minutes ago; probe = true when this run may send one message to
-- test whether the stop still holds. New settings end the stop at once.
create or replace function api.discord_sender_acquire(
  holder text,
  lease_seconds integer default 120,
  config text default null,
  p_mode text default 'unconfigured'
)
returns table (acquired boolean, probe boolean, stopped_reason text, rate_limits jsonb)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  st private.discord_state;
begin
  if holder is null or length(holder) not between 1 and 100 then
    raise exception 'discord_sender_acquire: holder must be 1-100 characters' using errcode = '22023';
  end if;
  insert into private.discord_state (id) values (true) on conflict (id) do nothing;
  select * into st from private.discord_state where id for update;
  update private.discord_state set last_run_at = now(),
    mode = case when p_mode in ('bot', 'webhook', 'unconfigured') then p_mode else mode end
  where id;
  if st.stopped_at is not null and st.stopped_config is distinct from config then
    update private.discord_state set stopped_at = null, stopped_reason = null, stopped_config = null,
      probed_at = null where id;
    st.stopped_at := null;
    st.stopped_reason := null;
  end if;
  if st.sender is not null and st.sender <> holder and st.sender_until > now() then
    update private.discord_state set rerun = true where id;
    return query select false, false, st.stopped_reason, st.rate_limits;
    return;
  end if;
  probe := false;
  if st.stopped_at is not null then
    if greatest(st.stopped_at, coalesce(st.probed_at, st.stopped_at)) > now() - interval '15 minutes' then
      update private.discord_state set sender = null, sender_until = null
      where id and sender = holder;
      return query select false, false, st.stopped_reason, st.rate_limits;
      return;
    else
      update private.discord_state set probed_at = now() where id;
      probe := true;
    end if;
  end if;
  update private.discord_state
  set sender = holder,
      sender_until = now() + make_interval(secs => least(greatest(coalesce(lease_seconds, 120), 1), 900)),
      rerun = case when st.sender = holder then rerun else false end
  where id;
  return query select true, probe, st.stopped_reason, st.rate_limits;
end
$$;
comment on function api.discord_sender_acquire(text, integer, text, text) is
  'Takes or renews the single Discord sender lease; refuses while another run holds it (asking it to rerun) or while sending is stopped (a probe every 15 minutes).';

-- Ends `holder`'s run and keeps the rate-limit state it learnt (when given): false = lease
-- released; true = a wake-up arrived meanwhile, so the holder keeps the lease and should claim again.
create or replace function api.discord_sender_release(holder text, p_rate_limits jsonb default null)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  again boolean;
begin
  select rerun into again from private.discord_state where id and sender = holder for update;
  if not found then
    return false;
  end if;
  if p_rate_limits is not null and jsonb_typeof(p_rate_limits) = 'object' then
    update private.discord_state set rate_limits = p_rate_limits where id;
  end if;
  if again then
    update private.discord_state set rerun = false where id;
    return true;
  end if;
  update private.discord_state set sender = null, sender_until = null where id;
  return false;
end
$$;
comment on function api.discord_sender_release(text, jsonb) is
  'Releases the Discord sender lease (saving the learnt rate limits); true (lease kept) when a wake-up asked for another round meanwhile.';

-- Stops all sending after Discord refused the credentials or the channel (401/403): records the
-- reason and the settings' fingerprint. Sending resumes when the settings change, or when a probe
-- (every 15 minutes) posts successfully.
create or replace function api.discord_sending_stop(reason text, config text default null)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  update private.discord_state
  set stopped_at = now(), stopped_reason = left(coalesce(reason, 'refused'), 1000), stopped_config = config,
      probed_at = null
  where id
$$;
comment on function api.discord_sending_stop(text, text) is
  'Stops all Discord sending after a 401/403, with the reason shown by /status.';

-- Retry sweep (cron, every minute): one wake-up to the notify function when outbox rows are due.
create or replace function private.sweep_notifications()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  due_ids bigint[];
begin
  select array_agg(d.id order by d.id) into due_ids from (
    select o.id from public.discord_outbox o
    where o.status <> 'sent' and o.next_attempt_at <= now() and private.outbox_is_due(o)
    order by o.id limit 100) d;
  if due_ids is null then
    return null;
  end if;
  return private.wake('discord-notify', jsonb_build_object('reason', 'sweep', 'outbox_ids', to_jsonb(due_ids)));
end
$$;
comment on function private.sweep_notifications() is
  'Cron job body: one wake-up to discord-notify when outbox rows are due (lost hints and retries).';

-- Figures for /status as one JSON object: per series last candle, signal and analysis; signals in
-- 24 h and since 00:00 UTC; the outbox (pending, retrying, given up, sent in 24 h); Discord sending
-- state; open gaps; relays with heartbeat age and streams; database size.
create or replace function api.status()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'now', now(),
    'series', coalesce((
      select jsonb_agg(jsonb_build_object(
        'symbol', t.symbol, 'timeframe', t.timeframe,
        'last_candle', (select max(c.open_time) from public.candles c
                        where c.symbol = t.symbol and c.timeframe = t.timeframe),
        'last_signal', (select max(s.open_time) from public.signals s
                        where s.symbol = t.symbol and s.timeframe = t.timeframe),
        'analyzed_until', (select a.last_open_time from public.analyzer_state a
                           where a.symbol = t.symbol and a.timeframe = t.timeframe))
        order by t.symbol, public.timeframe_ms(t.timeframe))
      from api.tracked_series() t), '[]'),
    'signals_24h', (select count(*) from public.signals s where s.created_at > now() - interval '24 hours'),
    'signals_today', (select count(*) from public.signals s
                      where s.created_at >= date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'),
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
    'relays', coalesce((select jsonb_agg(jsonb_build_object(
        'relay_id', r.relay_id, 'heartbeat_age_s', round(extract(epoch from now() - r.heartbeat_at)),
        'streams', cardinality(r.streams), 'last_message_at', r.last_message_at) order by r.relay_id)
      from public.relay_status r), '[]'),
    'database_bytes', pg_catalog.pg_database_size(pg_catalog.current_database()))
$$;
comment on function api.status() is
  'Figures for /status (series freshness, signals, Discord outbox and sending state, gaps, relays, database size) as JSON.';

revoke all on function private.mention_chunks(text[]) from public, anon, authenticated;
revoke all on function api.subscribers_for_signal(bigint) from public, anon, authenticated;
revoke all on function private.on_signals_inserted() from public, anon, authenticated;
revoke all on function private.on_outbox_inserted() from public, anon, authenticated;
revoke all on function private.on_outcome_recorded() from public, anon, authenticated;
revoke all on function private.card_data(bigint) from public, anon, authenticated;
revoke all on function private.outbox_is_due(public.discord_outbox) from public, anon, authenticated;
revoke all on function api.signal_card(text, text) from public, anon, authenticated;
revoke all on function api.claim_outbox(integer, integer, bigint[]) from public, anon, authenticated;
revoke all on function private.clamp_retry_seconds(double precision) from public, anon, authenticated;
revoke all on function api.mark_outbox_sent(bigint, text, text, text) from public, anon, authenticated;
revoke all on function api.mark_outbox_failed(bigint, text, double precision, boolean) from public, anon, authenticated;
revoke all on function api.release_outbox(bigint, double precision, text) from public, anon, authenticated;
revoke all on function api.discord_sender_acquire(text, integer, text, text) from public, anon, authenticated;
revoke all on function api.discord_sender_release(text, jsonb) from public, anon, authenticated;
revoke all on function api.discord_sending_stop(text, text) from public, anon, authenticated;
revoke all on function private.sweep_notifications() from public, anon, authenticated;
revoke all on function api.status() from public, anon, authenticated;
grant execute on function private.mention_chunks(text[]) to service_role;
grant execute on function api.subscribers_for_signal(bigint) to service_role;
grant execute on function private.card_data(bigint) to service_role;
grant execute on function private.outbox_is_due(public.discord_outbox) to service_role;
grant execute on function api.signal_card(text, text) to service_role;
grant execute on function api.claim_outbox(integer, integer, bigint[]) to service_role;
grant execute on function private.clamp_retry_seconds(double precision) to service_role;
grant execute on function api.mark_outbox_sent(bigint, text, text, text) to service_role;
grant execute on function api.mark_outbox_failed(bigint, text, double precision, boolean) to service_role;
grant execute on function api.release_outbox(bigint, double precision, text) to service_role;
grant execute on function api.discord_sender_acquire(text, integer, text, text) to service_role;
grant execute on function api.discord_sender_release(text, jsonb) to service_role;
grant execute on function api.discord_sending_stop(text, text) to service_role;
grant execute on function private.sweep_notifications() to service_role;
grant execute on function api.status() to service_role;
