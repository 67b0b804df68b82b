-- Notification outbox on public.signals: claim with a lease, mark sent / failed with retry backoff.

-- Claims up to max_count due notifications (pending or failed, next_attempt_at reached, no live
-- lease), leasing them for lease_seconds and counting the attempt. Concurrent claimers never get the
-- same signal (for update skip locked + lease). only_ids restricts the claim to those signals.
create or replace function api.claim_notifications(
  max_count integer default 10,
  lease_seconds integer default 60,
  only_ids bigint[] default null
)
returns setof public.signals
language sql
volatile
set search_path = ''
as $$
  with due as (
    select s.id from public.signals s
    where s.notify_status <> 'sent'
      and s.next_attempt_at <= now()
      and (s.lease_until is null or s.lease_until <= now())
      and (only_ids is null or s.id = any (only_ids))
    order by s.next_attempt_at, s.id
    limit greatest(max_count, 0)
    for update skip locked
  )
  update public.signals s
  set lease_until = now() + make_interval(secs => greatest(lease_seconds, 1)),
      notify_attempts = s.notify_attempts + 1
  from due
  where s.id = due.id
  returning s.*
$$;
comment on function api.claim_notifications(integer, integer, bigint[]) is
  'Leases up to max_count due notifications (for update skip locked) and counts the attempt; returns the signal rows.';

-- Marks a claimed notification as sent (never claimed again).
create or replace function api.mark_notification_sent(signal_id bigint, discord_message_id text default null)
returns boolean
language sql
volatile
set search_path = ''
as $$
  update public.signals s
  set notify_status = 'sent', discord_message_id = mark_notification_sent.discord_message_id,
      lease_until = null, last_error = null, notified_at = now(), next_attempt_at = null
  where s.id = signal_id and s.notify_status <> 'sent'
  returning true
$$;
comment on function api.mark_notification_sent(bigint, text) is
  'Marks a notification sent with its Discord message id; true when the row changed.';

-- Marks a claimed notification as failed and schedules the retry: retry_after_seconds when given
-- (e.g. Discord's 429 retry_after), else 30 s x 2^(attempts-1) capped at 1 h; after
-- notify_max_attempts (setting, default 8) attempts next_attempt_at becomes null (given up).
create or replace function api.mark_notification_failed(
  signal_id bigint,
  error text,
  retry_after_seconds double precision default null
)
returns timestamptz
language plpgsql
volatile
set search_path = ''
as $$
declare
  max_attempts integer := coalesce(private.setting('notify_max_attempts')::integer, 8);
  next_at timestamptz;
begin
  update public.signals s
  set notify_status = 'failed',
      last_error = left(coalesce(error, 'unknown error'), 1000),
      lease_until = null,
      next_attempt_at = case
        when s.notify_attempts >= max_attempts then null
        when retry_after_seconds is not null then now() + make_interval(secs => greatest(retry_after_seconds, 0))
        else now() + make_interval(secs => least(30 * power(2, greatest(s.notify_attempts - 1, 0)), 3600))
      end
  where s.id = signal_id and s.notify_status <> 'sent'
  returning s.next_attempt_at into next_at;
  return next_at;
end
$$;
comment on function api.mark_notification_failed(bigint, text, double precision) is
  'Records a failed send and schedules the retry (retry_after or exponential backoff 30 s..1 h); null when given up.';

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

-- Retry sweep (cron, every minute): one wake-up to the notify function when notifications are due.
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
  select array_agg(id order by id) into due_ids from (
    select s.id from public.signals s
    where s.notify_status <> 'sent' and s.next_attempt_at <= now()
      and (s.lease_until is null or s.lease_until <= now())
    order by s.id limit 100) d;
  if due_ids is null then
    return null;
  end if;
  return private.wake('discord-notify', jsonb_build_object('reason', 'sweep', 'signal_ids', to_jsonb(due_ids)));
end
$$;
comment on function private.sweep_notifications() is
  'Cron job body: one wake-up to discord-notify when any notification is due (lost hints and retries).';

revoke all on function api.claim_notifications(integer, integer, bigint[]) from public, anon, authenticated;
revoke all on function api.mark_notification_sent(bigint, text) from public, anon, authenticated;
revoke all on function api.mark_notification_failed(bigint, text, double precision) from public, anon, authenticated;
revoke all on function api.subscribers_for_signal(bigint) from public, anon, authenticated;
revoke all on function private.sweep_notifications() from public, anon, authenticated;
grant execute on function api.claim_notifications(integer, integer, bigint[]) to service_role;
grant execute on function api.mark_notification_sent(bigint, text) to service_role;
grant execute on function api.mark_notification_failed(bigint, text, double precision) to service_role;
grant execute on function api.subscribers_for_signal(bigint) to service_role;
grant execute on function private.sweep_notifications() to service_role;
