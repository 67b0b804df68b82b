-- Superseded signals (issue 7): when a late or changed candle makes the analyze function rebuild a
-- series, the stored signals from the incomplete history that the rebuilt analysis no longer gives
-- identically are marked superseded, the rebuilt ones are stored, and their Discord messages follow.
--
-- * Keying. public.signals keeps every row it ever stored; ONE LIVE signal per (symbol, timeframe,
--   bar): the unique constraint signals_one_per_bar becomes the partial unique index
--   signals_one_live_per_bar (where superseded_at is null). A changed signal at the same bar is a new
--   row, not an update of the stale one: the stale row keeps its id, its posted card and its outcome
--   (so the withdrawal can reply to that card, and Realtime subscribers see an UPDATE that sets
--   superseded_at on the row they already have, then an INSERT of the new signal with a new id); the
--   new row gets its own card through the usual insert trigger.
-- * Where to look. private.series_epochs.changed_from records the earliest open time stored out of
--   order or changed since the last rebuild (set by the candles triggers with the epoch). A rebuild
--   save (api.save_analysis with expected_last_open_time null, in a new epoch) reconciles the stored
--   live signals from that time up to the state's last_open_time: each one the rebuilt analysis does
--   not give identically (every field the analyzer emits: direction, entry, stop, targets, R:R,
--   confidence, ATR, contributions, patterns, rationale, evidence) is superseded. Signals before that
--   time are left alone (the analyzer never looks ahead, so they cannot have changed; after retention
--   removed old candles a rebuild would differ there only because it starts later). A rebuild that
--   runs out of budget before the newest candle keeps the time on its state
--   (analyzer_state.reconcile_from) and its continuations reconcile their stretch the same way, until
--   a save reaches the newest stored candle.
-- * Messages. A superseded signal's Discord messages not yet sent are cancelled (status 'cancelled':
--   never posted); a card already posted gets ONE follow-up of kind 'withdrawn', a reply saying why
--   (discord-notify). A card in a sender's hands at that moment (leased) is left to it: posted, it gets
--   the withdrawal then (trigger discord_outbox_card_sent); failed or handed back, it is cancelled
--   (api.mark_outbox_failed, api.release_outbox).
-- Race safety: save_analysis locks the series' epoch row and its state row before deciding (a
-- concurrent out-of-order insert, or another save, waits or makes this one not applied), supersedes
-- under the signal rows' locks (outcome tracking holds them while it records an event), and locks a
-- signal's outbox rows before deciding what to cancel (a sender marking one sent meanwhile is waited
-- for). Lock order everywhere: series (symbol, timeframe) ascending, then state, signals, outbox.

-- Signals: when and why a signal stopped standing.
alter table public.signals add column if not exists superseded_at timestamptz;
alter table public.signals add column if not exists superseded_reason text;
comment on column public.signals.superseded_at is
  'When the signal was withdrawn: a rebuild after a late or changed candle no longer gives it identically (null = live). Superseded rows are kept, hidden from the views, /lastsignal, /status and outcome tracking.';
comment on column public.signals.superseded_reason is
  'Why the signal was withdrawn, e.g. "candle history changed from 2025-01-22 10:00 UTC" (null while live).';
alter table public.signals drop constraint if exists signals_superseded_reason;
alter table public.signals add constraint signals_superseded_reason check (
  (superseded_at is null) = (superseded_reason is null) and length(superseded_reason) <= 500);

create unique index if not exists signals_one_live_per_bar on public.signals (symbol, timeframe, open_time)
  where superseded_at is null;
comment on index public.signals_one_live_per_bar is
  'One live signal per (symbol, timeframe, bar); superseded rows are kept beside it.';
alter table public.signals drop constraint if exists signals_one_per_bar;
comment on table public.signals is
  'Fused trading signals: one live signal per (symbol, timeframe, bar), plus the superseded ones kept with superseded_at. Alerts only, not advice. Their Discord messages are in public.discord_outbox.';

alter table private.series_epochs add column if not exists changed_from timestamptz;
comment on column private.series_epochs.changed_from is
  'Earliest open time stored out of order or changed since the last rebuild (null = none): where the rebuild starts comparing stored signals.';
-- api.save_analysis (run as service_role) locks the epoch row (select ... for update needs an
-- update right) and clears changed_from once a rebuild is saved.
grant update (changed_from) on private.series_epochs to service_role;
alter table public.analyzer_state add column if not exists reconcile_from timestamptz;
comment on column public.analyzer_state.reconcile_from is
  'Set while a rebuild after changed candles has not yet reached the newest stored candle: stored signals from this open time on are compared with what the continuing analysis gives.';

-- The candles' statement triggers (20261129100200) also record the earliest changed open time. The
-- series are taken in (symbol, timeframe) order, the order api.save_analysis locks them in.
create or replace function private.on_candles_stored()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.series_epochs as e (symbol, timeframe, epoch, changed_from)
  select n.symbol, n.timeframe, 1, n.first_t
  from (select c.symbol, c.timeframe, min(c.open_time) as first_t, count(*) as cnt
        from changed_candles c group by c.symbol, c.timeframe) n
  where tg_op = 'UPDATE'
     or (select count(*) from public.candles c
         where c.symbol = n.symbol and c.timeframe = n.timeframe and c.open_time > n.first_t) > n.cnt - 1
  order by n.symbol, n.timeframe
  on conflict (symbol, timeframe) do update
    set epoch = e.epoch + 1, changed_at = now(), changed_from = least(e.changed_from, excluded.changed_from);
  return null;
end
$$;
comment on function private.on_candles_stored() is
  'Statement trigger: bumps private.series_epochs (and records the earliest changed open time) for series that got an out-of-order or changed candle.';
revoke all on function private.on_candles_stored() from public, anon, authenticated;

-- Discord outbox: cancelled rows, and the withdrawal follow-up.
alter table public.discord_outbox drop constraint if exists discord_outbox_status_check;
alter table public.discord_outbox add constraint discord_outbox_status_check
  check (status in ('pending', 'sent', 'failed', 'cancelled'));
alter table public.discord_outbox drop constraint if exists discord_outbox_kind_check;
alter table public.discord_outbox add constraint discord_outbox_kind_check
  check (kind in ('card', 'mentions', 'tp1', 'tp2', 'tp3', 'stop', 'expired', 'withdrawn'));
comment on column public.discord_outbox.status is
  'pending (not yet attempted), sent, failed (last attempt failed; retried at next_attempt_at unless null), cancelled (never to be posted: its signal was withdrawn).';
comment on column public.discord_outbox.kind is
  'card (the signal), mentions (more subscribers than one message may mention), tp1/tp2/tp3/stop/expired (follow-ups, posted as replies to the card), withdrawn (the reply to a posted card whose signal was superseded).';

-- The Discord side of withdrawing signals: waits for any sender holding one of their outbox rows,
-- cancels what is not yet sent (and not in a sender's hands), and queues one 'withdrawn' follow-up
-- for each posted card. Idempotent.
create or replace function private.withdraw_messages(signal_ids bigint[])
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  perform 1 from public.discord_outbox o where o.signal_id = any (signal_ids) order by o.id for update;
  update public.discord_outbox o
  set status = 'cancelled', next_attempt_at = null, lease_until = null,
      last_error = 'not posted: the signal was withdrawn (its candle history changed)'
  where o.signal_id = any (signal_ids) and o.kind <> 'withdrawn'
    and (o.status = 'pending' or (o.status = 'failed' and o.next_attempt_at is not null))
    and (o.lease_until is null or o.lease_until <= now());
  insert into public.discord_outbox (signal_id, kind, details)
  select c.signal_id, 'withdrawn', jsonb_build_object('event', 'withdrawn')
  from public.discord_outbox c
  where c.signal_id = any (signal_ids) and c.kind = 'card' and c.status = 'sent'
  order by c.signal_id
  on conflict on constraint discord_outbox_one_per_message do nothing;
end
$$;
comment on function private.withdraw_messages(bigint[]) is
  'For withdrawn signals: cancels their unsent Discord messages (not those a sender holds) and queues one withdrawal follow-up per posted card.';

-- A card posted after its signal was withdrawn (it was in a sender's hands then) gets the withdrawal.
create or replace function private.on_outbox_card_sent()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from public.signals s where s.id = new.signal_id and s.superseded_at is not null) then
    insert into public.discord_outbox (signal_id, kind, details)
    values (new.signal_id, 'withdrawn', jsonb_build_object('event', 'withdrawn'))
    on conflict on constraint discord_outbox_one_per_message do nothing;
  end if;
  return null;
end
$$;
comment on function private.on_outbox_card_sent() is
  'Row trigger: a card marked sent whose signal is already superseded gets its withdrawal follow-up.';

create or replace trigger discord_outbox_card_sent
  after update of status on public.discord_outbox
  for each row when (new.kind = 'card' and new.status = 'sent' and old.status is distinct from 'sent')
  execute function private.on_outbox_card_sent();

-- api.mark_outbox_failed (20261130100100) and api.release_outbox: a row of a withdrawn signal (other
-- than its withdrawal) is cancelled instead of retried; a cancelled or sent row is left as it is.
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
  withdrawn boolean;
  next_at timestamptz;
begin
  -- The row first, then (a fresh snapshot) its signal: a withdrawal deciding about this row either
  -- waited for this call or is seen here.
  perform 1 from public.discord_outbox o where o.id = outbox_id for update;
  select o.kind <> 'withdrawn' and s.superseded_at is not null into withdrawn
  from public.discord_outbox o join public.signals s on s.id = o.signal_id
  where o.id = outbox_id;
  update public.discord_outbox o
  set status = case when withdrawn then 'cancelled' else 'failed' end,
      last_error = left(coalesce(error, 'unknown error')
        || case when withdrawn then '; not retried: the signal was withdrawn' else '' end, 1000),
      lease_until = null,
      next_attempt_at = case
        when withdrawn or coalesce(permanent, false) or o.attempts >= max_attempts then null
        when wait is not null then now() + make_interval(secs => wait)
        else now() + make_interval(secs => least(30 * power(2, least(greatest(o.attempts - 1, 0), 20)), 3600))
      end
  where o.id = outbox_id and o.status not in ('sent', 'cancelled')
  returning o.next_attempt_at into next_at;
  return next_at;
end
$$;
comment on function api.mark_outbox_failed(bigint, text, double precision, boolean) is
  'Records a failed send and schedules the retry (retry_after clamped to 0..3600 s, or 30 s..1 h backoff); null when given up (permanent refusal or too many attempts) or cancelled (its signal was withdrawn).';

create or replace function api.release_outbox(
  outbox_id bigint,
  retry_after_seconds double precision default null,
  reason text default null
)
returns timestamptz
language plpgsql
volatile
set search_path = ''
as $$
declare
  withdrawn boolean;
  next_at timestamptz;
begin
  -- The row first, then (a fresh snapshot) its signal: a withdrawal deciding about this row either
  -- waited for this call or is seen here.
  perform 1 from public.discord_outbox o where o.id = outbox_id for update;
  select o.kind <> 'withdrawn' and s.superseded_at is not null into withdrawn
  from public.discord_outbox o join public.signals s on s.id = o.signal_id
  where o.id = outbox_id;
  update public.discord_outbox o
  set attempts = greatest(o.attempts - 1, 0), lease_until = null,
      status = case when withdrawn then 'cancelled' else o.status end,
      next_attempt_at = case when withdrawn then null else
        now() + make_interval(secs => coalesce(private.clamp_retry_seconds(retry_after_seconds), 0)) end,
      last_error = case when withdrawn then 'not posted: the signal was withdrawn (its candle history changed)'
        else coalesce(left(reason, 1000), o.last_error) end
  where o.id = outbox_id and o.status not in ('sent', 'cancelled')
  returning o.next_attempt_at into next_at;
  return next_at;
end
$$;
comment on function api.release_outbox(bigint, double precision, text) is
  'Returns a claimed outbox row unsent without counting the attempt; due again after retry_after_seconds (0..3600), or cancelled (null) when its signal was withdrawn.';

-- A save's signals for one series as rows, converted exactly as they are stored (so a stored signal
-- and the same signal given again compare equal field by field).
create or replace function private.signal_rows(signals jsonb, p_symbol text, p_timeframe text)
returns table (
  open_time timestamptz,
  direction text,
  entry double precision,
  stop_loss double precision,
  tp1 double precision,
  tp2 double precision,
  tp3 double precision,
  risk_reward double precision,
  confidence double precision,
  atr double precision,
  contributions jsonb,
  patterns jsonb,
  rationale text,
  evidence jsonb
)
language sql
immutable
set search_path = ''
as $$
  select 'epoch'::timestamptz + (j ->> 'time')::bigint * interval '1 millisecond', j ->> 'direction',
    (j ->> 'entry')::float8, (j ->> 'stopLoss')::float8, (j -> 'takeProfits' ->> 0)::float8,
    (j -> 'takeProfits' ->> 1)::float8, (j -> 'takeProfits' ->> 2)::float8, (j ->> 'riskReward')::float8,
    (j ->> 'confidence')::float8, (j ->> 'atr')::float8, coalesce(j -> 'contributions', '[]'),
    coalesce(j -> 'patterns', '{}'), coalesce(j ->> 'rationale', ''), j -> 'evidence'
  from jsonb_array_elements(coalesce(signals, '[]')) as e(j)
  where j ->> 'symbol' = p_symbol and j ->> 'timeframe' = p_timeframe
$$;
comment on function private.signal_rows(jsonb, text, text) is
  'The signals of one series in an api.save_analysis call as typed rows, converted as they are stored.';

-- api.save_analysis: the definition of 20261129210000_save_analysis_ranges.sql plus the
-- reconciliation described at the top of this file. Unchanged contract otherwise: a state advances
-- only while the series epoch is still the one it was loaded in and its stored last_open_time still
-- equals expected_last_open_time (null = no usable state: inserts, or replaces a state of an older
-- epoch, i.e. a rebuild); otherwise that series is skipped (applied = false) and nothing of it is
-- stored or superseded.
-- states: [{symbol, timeframe, snapshot, epoch, expected_last_open_time (ms|null), last_open_time (ms)}]
-- signals: [{symbol, timeframe, time (ms, the bar's open time), direction, entry, stopLoss,
--   takeProfits [tp1, tp2, tp3], riskReward, confidence, atr, contributions, rationale, patterns,
--   evidence?}], each belonging to a series in states: every signal the analysis gave from the
--   loaded state (a rebuild: from the series' first candle) up to last_open_time. A signal whose next
--   bar had already closed (60 s grace) when it is saved is stored with notify_status 'skipped',
--   unless the setting notify_late_signals is 'on' (local replays). Returns per series: applied and
--   the ids of the signals newly stored (a signal identical to the live one at its bar is not).
create or replace function api.save_analysis(states jsonb, signals jsonb default '[]')
returns table (symbol text, timeframe text, applied boolean, signal_ids bigint[])
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  st record;
  bad record;
  ok boolean;
  ids bigint[];
  stale bigint[];
  v_epoch bigint;
  v_changed_from timestamptz;
  v_state_epoch bigint;
  v_state_from timestamptz;
  v_from timestamptz;
  v_caught_up boolean;
  post_late boolean := coalesce(private.setting('notify_late_signals'), 'off') = 'on';
begin
  if states is null or jsonb_typeof(states) <> 'array' then
    raise exception 'save_analysis: states must be a JSON array' using errcode = '22023';
  end if;
  if signals is not null and jsonb_typeof(signals) <> 'array' then
    raise exception 'save_analysis: signals must be a JSON array' using errcode = '22023';
  end if;
  -- Every signal must belong to a series in states and carry finite levels on its series' grid.
  select e.n - 1 as idx, e.j ->> 'symbol' as sym, e.j ->> 'timeframe' as tf, v.rule into bad
  from jsonb_array_elements(coalesce(signals, '[]')) with ordinality as e(j, n)
  cross join lateral (select case
    when not exists (select 1 from jsonb_array_elements(states) as s(x)
                     where x ->> 'symbol' = e.j ->> 'symbol' and x ->> 'timeframe' = e.j ->> 'timeframe')
      then 'has no entry in states'
    when jsonb_typeof(e.j -> 'time') is distinct from 'number' or abs((e.j -> 'time')::numeric) > 1e15
      or public.timeframe_ms(e.j ->> 'timeframe') is null
      or not public.is_aligned('epoch'::timestamptz + (e.j ->> 'time')::bigint * interval '1 millisecond',
                               e.j ->> 'timeframe')
      then 'time must be an open time (ms) on the timeframe''s grid'
    when jsonb_typeof(e.j -> 'takeProfits') <> 'array' or jsonb_array_length(e.j -> 'takeProfits') <> 3
      then 'takeProfits must hold three levels'
    when exists (select 1 from (values (e.j -> 'entry'), (e.j -> 'stopLoss'), (e.j -> 'confidence'),
                   (e.j -> 'takeProfits' -> 0), (e.j -> 'takeProfits' -> 1), (e.j -> 'takeProfits' -> 2)) f(v)
                 where jsonb_typeof(f.v) is distinct from 'number' or abs(f.v::numeric) > 1e300)
      then 'entry, stopLoss, takeProfits and confidence must be finite numbers'
    when exists (select 1 from (values (e.j -> 'riskReward'), (e.j -> 'atr')) f(v)
                 where f.v is not null and jsonb_typeof(f.v) <> 'null'
                   and (jsonb_typeof(f.v) <> 'number' or abs(f.v::numeric) > 1e300))
      then 'riskReward and atr must be finite numbers when given'
    end as rule) v
  where v.rule is not null
  order by e.n limit 1;
  if bad.rule is not null then
    raise exception 'save_analysis: signal % (% %) rejected: %', bad.idx, private.clip(coalesce(bad.sym, '?')),
      private.clip(coalesce(bad.tf, '?')), bad.rule using errcode = '22023', hint = 'Nothing was saved.';
  end if;

  for st in
    select x ->> 'symbol' as sym, x ->> 'timeframe' as tf, x -> 'snapshot' as snap,
      coalesce((x ->> 'epoch')::bigint, 0) as ep,
      'epoch'::timestamptz + (x ->> 'expected_last_open_time')::bigint * interval '1 millisecond' as expected,
      'epoch'::timestamptz + (x ->> 'last_open_time')::bigint * interval '1 millisecond' as last_t
    from jsonb_array_elements(states) as s(x)
    order by 1, 2 -- fixed lock order: concurrent callers cannot deadlock
  loop
    if st.snap is null or jsonb_typeof(st.snap) <> 'object' or st.last_t is null then
      raise exception 'save_analysis: state for % % needs a snapshot object and last_open_time',
        private.clip(st.sym), private.clip(st.tf) using errcode = '22023';
    end if;
    -- The epoch and where it changed are read under the epoch row's lock: an out-of-order insert
    -- either waits for this save or has already ended the epoch (then nothing here applies). A state
    -- saved in an epoch that a concurrent first out-of-order insert (no row yet) is about to end is
    -- harmless: the next load sees the new epoch and rebuilds.
    v_epoch := null;
    v_changed_from := null;
    select e.epoch, e.changed_from into v_epoch, v_changed_from
    from private.series_epochs e where e.symbol = st.sym and e.timeframe = st.tf for update;
    ok := coalesce(v_epoch, 0) = st.ep;
    v_from := null;
    if ok then
      v_state_epoch := null;
      v_state_from := null;
      select a.epoch, a.reconcile_from into v_state_epoch, v_state_from
      from public.analyzer_state a where a.symbol = st.sym and a.timeframe = st.tf for update;
      v_caught_up := not exists (select 1 from public.candles c
        where c.symbol = st.sym and c.timeframe = st.tf and c.open_time > st.last_t);
      if st.expected is null then
        -- A rebuild: compare from the earliest changed candle, or from where an unfinished rebuild
        -- of the replaced state had to compare (it never got there).
        v_from := least(v_changed_from, case when v_state_epoch < st.ep then v_state_from end);
        insert into public.analyzer_state as a (symbol, timeframe, snapshot, last_open_time, epoch, reconcile_from)
        values (st.sym, st.tf, st.snap, st.last_t, st.ep, case when v_caught_up then null else v_from end)
        on conflict on constraint analyzer_state_pkey do update
          set snapshot = excluded.snapshot, last_open_time = excluded.last_open_time,
            epoch = excluded.epoch, reconcile_from = excluded.reconcile_from, updated_at = now()
          where a.epoch < excluded.epoch;
        ok := found;
        if ok then
          update private.series_epochs e set changed_from = null
          where e.symbol = st.sym and e.timeframe = st.tf and e.changed_from is not null;
        end if;
      else
        v_from := v_state_from;
        update public.analyzer_state as a
        set snapshot = st.snap, last_open_time = st.last_t, updated_at = now(),
          reconcile_from = case when v_caught_up then null else a.reconcile_from end
        where a.symbol = st.sym and a.timeframe = st.tf and a.last_open_time = st.expected
          and a.epoch = st.ep and st.last_t >= st.expected;
        ok := found;
      end if;
    end if;
    ids := '{}';
    if ok then
      if v_from is not null then
        -- Live signals in this save's stretch (from v_from, after the loaded state, up to last_t)
        -- that the analysis does not give identically stop standing.
        with given as materialized (
          select * from private.signal_rows(signals, st.sym, st.tf)
        ), gone as (
          update public.signals s
          set superseded_at = now(),
            superseded_reason = 'candle history changed from '
              || to_char(v_from at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'
          where s.symbol = st.sym and s.timeframe = st.tf and s.superseded_at is null
            and s.open_time >= v_from and s.open_time <= st.last_t
            and (st.expected is null or s.open_time > st.expected)
            and not exists (
              select 1 from given g
              where g.open_time = s.open_time
                and (g.direction, g.entry, g.stop_loss, g.tp1, g.tp2, g.tp3, g.risk_reward, g.confidence,
                     g.atr, g.contributions, g.patterns, g.rationale, g.evidence)
                    is not distinct from
                    (s.direction, s.entry, s.stop_loss, s.tp1, s.tp2, s.tp3, s.risk_reward, s.confidence,
                     s.atr, s.contributions, s.patterns, s.rationale, s.evidence))
          returning s.id
        )
        select coalesce(array_agg(g.id order by g.id), '{}') into stale from gone g;
        if cardinality(stale) > 0 then
          perform private.withdraw_messages(stale);
        end if;
      end if;
      with timed as (
        select g.*, not post_late and now() > case when st.tf = '1M'
            then g.open_time + interval '2 months' + interval '60 seconds'
            else g.open_time + 2 * public.timeframe_ms(st.tf) * interval '1 millisecond'
              + interval '60 seconds' end as late
        from private.signal_rows(signals, st.sym, st.tf) g
      ), ins as (
        insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2,
          tp3, risk_reward, confidence, atr, contributions, patterns, rationale, evidence,
          notify_status, next_attempt_at, last_error)
        select st.sym, st.tf, t.open_time, t.direction, t.entry, t.stop_loss, t.tp1, t.tp2, t.tp3,
          t.risk_reward, t.confidence, t.atr, t.contributions, t.patterns, t.rationale, t.evidence,
          case when t.late then 'skipped' else 'pending' end,
          case when t.late then null else now() end,
          case when t.late then 'not posted: analysed after the next bar had closed' end
        from timed t
        order by t.open_time
        on conflict (symbol, timeframe, open_time) where superseded_at is null do nothing
        returning id
      )
      select coalesce(array_agg(i.id order by i.id), '{}') into ids from ins i;
    end if;
    symbol := st.sym;
    timeframe := st.tf;
    applied := ok;
    signal_ids := ids;
    return next;
  end loop;
end
$$;
comment on function api.save_analysis(jsonb, jsonb) is
  'Atomically advances analyzer snapshots (only in the epoch and from the last_open_time they were loaded at), supersedes the stored signals a rebuild after changed candles no longer gives identically, and stores the signals; per series returns applied and the new signal ids.';

-- api.store_signals (20261129200200): the same, inserting against the live signal of each bar.
create or replace function api.store_signals(signals jsonb)
returns setof bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  bad record;
begin
  if signals is not null and jsonb_typeof(signals) <> 'array' then
    raise exception 'store_signals: signals must be a JSON array of signal objects' using errcode = '22023';
  end if;
  select v.idx, v.sym, v.tf, v.t, v.rule into bad
  from (
    select e.n - 1 as idx, x.j ->> 'symbol' as sym, x.j ->> 'timeframe' as tf, x.t,
      case
        when jsonb_typeof(e.j) is distinct from 'object' then 'signal must be a JSON object'
        when not exists (select 1 from public.symbols s where s.symbol = x.j ->> 'symbol')
          then 'symbol must exist in public.symbols'
        when public.timeframe_ms(x.j ->> 'timeframe') is null then 'timeframe must be a Binance interval'
        when not private.is_finite_number(x.t::json) or (x.t #>> '{}')::numeric <> trunc((x.t #>> '{}')::numeric)
          or not ((x.t #>> '{}')::numeric between 0 and 32503680000000)
          then 'time must be an integer number of ms since the epoch'
        when not public.is_aligned('epoch'::timestamptz + (x.t #>> '{}')::numeric::bigint * interval '1 millisecond',
                                   x.j ->> 'timeframe')
          then 'time must be an open time on the timeframe''s grid'
        when x.j ->> 'direction' is distinct from 'long' and x.j ->> 'direction' is distinct from 'short'
          then 'direction must be long or short'
        when exists (select 1 from unnest(array[x.entry, x.stop, x.tp1, x.tp2, x.tp3]) l(v)
                     where not private.is_finite_number(l.v::json) or (l.v #>> '{}')::float8 <= 0)
          then 'entry, stopLoss and the three takeProfits must be finite numbers > 0'
        when not (case x.j ->> 'direction'
            when 'long' then (x.stop #>> '{}')::float8 < (x.entry #>> '{}')::float8
              and (x.entry #>> '{}')::float8 < (x.tp1 #>> '{}')::float8
              and (x.tp1 #>> '{}')::float8 <= (x.tp2 #>> '{}')::float8
              and (x.tp2 #>> '{}')::float8 <= (x.tp3 #>> '{}')::float8
            else (x.stop #>> '{}')::float8 > (x.entry #>> '{}')::float8
              and (x.entry #>> '{}')::float8 > (x.tp1 #>> '{}')::float8
              and (x.tp1 #>> '{}')::float8 >= (x.tp2 #>> '{}')::float8
              and (x.tp2 #>> '{}')::float8 >= (x.tp3 #>> '{}')::float8 end)
          then 'levels must be ordered: long stopLoss < entry < tp1 <= tp2 <= tp3, short the mirror'
        when not private.is_finite_number((x.j -> 'confidence')::json)
          or not ((x.j ->> 'confidence')::float8 between 0 and 1)
          then 'confidence must be a number from 0 to 1'
        when exists (select 1 from unnest(array[x.rr, x.j -> 'atr']) l(v)
                     where l.v is not null and jsonb_typeof(l.v) <> 'null'
                       and (not private.is_finite_number(l.v::json) or (l.v #>> '{}')::float8 < 0))
          then 'riskReward and atr must be finite numbers >= 0 when given'
      end as rule
    from jsonb_array_elements(coalesce(signals, '[]')) with ordinality as e(j, n)
    cross join lateral (select e.j as j,
      coalesce(e.j -> 'time', e.j -> 'open_time') as t,
      e.j -> 'entry' as entry, coalesce(e.j -> 'stopLoss', e.j -> 'stop_loss') as stop,
      coalesce(e.j -> 'takeProfits' -> 0, e.j -> 'tp1') as tp1,
      coalesce(e.j -> 'takeProfits' -> 1, e.j -> 'tp2') as tp2,
      coalesce(e.j -> 'takeProfits' -> 2, e.j -> 'tp3') as tp3,
      coalesce(e.j -> 'riskReward', e.j -> 'risk_reward') as rr
      where jsonb_typeof(e.j) = 'object'
      union all
      select e.j, null, null, null, null, null, null, null where jsonb_typeof(e.j) is distinct from 'object') x
  ) v
  where v.rule is not null
  order by v.idx
  limit 1;
  if bad.rule is not null then
    raise exception 'store_signals: signal % (% % time %) rejected: %', bad.idx,
      coalesce(private.clip(bad.sym, 32), '?'), coalesce(private.clip(bad.tf, 8), '?'),
      coalesce(private.clip(bad.t #>> '{}', 24), '?'), bad.rule
      using errcode = '23514', hint = 'No signal from this call was stored.';
  end if;

  return query
  insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2,
    tp3, risk_reward, confidence, atr, contributions, patterns, rationale)
  select j ->> 'symbol', j ->> 'timeframe',
    'epoch'::timestamptz + (coalesce(j ->> 'time', j ->> 'open_time'))::numeric::bigint * interval '1 millisecond',
    j ->> 'direction', (j ->> 'entry')::float8,
    coalesce(j ->> 'stopLoss', j ->> 'stop_loss')::float8,
    coalesce(j -> 'takeProfits' ->> 0, j ->> 'tp1')::float8,
    coalesce(j -> 'takeProfits' ->> 1, j ->> 'tp2')::float8,
    coalesce(j -> 'takeProfits' ->> 2, j ->> 'tp3')::float8,
    coalesce(j ->> 'riskReward', j ->> 'risk_reward')::float8,
    (j ->> 'confidence')::float8, (j ->> 'atr')::float8,
    coalesce(j -> 'contributions', '[]'), coalesce(j -> 'patterns', '{}'),
    coalesce(j ->> 'rationale', '')
  from jsonb_array_elements(coalesce(signals, '[]')) as e(j)
  order by 1, 2, 3
  on conflict (symbol, timeframe, open_time) where superseded_at is null do nothing
  returning id;
end
$$;
comment on function api.store_signals(jsonb) is
  'Idempotent insert of signals (library Signal objects plus symbol and timeframe; a bar that has a live signal keeps it); returns the new ids only. An invalid element rejects the call naming the element and the rule.';

revoke all on function private.withdraw_messages(bigint[]) from public, anon, authenticated;
revoke all on function private.on_outbox_card_sent() from public, anon, authenticated;
revoke all on function private.signal_rows(jsonb, text, text) from public, anon, authenticated;
revoke all on function api.mark_outbox_failed(bigint, text, double precision, boolean) from public, anon, authenticated;
revoke all on function api.release_outbox(bigint, double precision, text) from public, anon, authenticated;
revoke all on function api.save_analysis(jsonb, jsonb) from public, anon, authenticated;
revoke all on function api.store_signals(jsonb) from public, anon, authenticated;
grant execute on function private.withdraw_messages(bigint[]) to service_role;
grant execute on function private.signal_rows(jsonb, text, text) to service_role;
grant execute on function api.mark_outbox_failed(bigint, text, double precision, boolean) to service_role;
grant execute on function api.release_outbox(bigint, double precision, text) to service_role;
grant execute on function api.save_analysis(jsonb, jsonb) to service_role;
grant execute on function api.store_signals(jsonb) to service_role;
