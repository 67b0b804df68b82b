-- Outbox bookkeeping that cannot fail on a bad value and leave a row leased (issue 11, item 8).
--   * mark_notification_failed: retry_after_seconds is clamped to 0..3600 s (NaN counts as absent:
--     the exponential backoff applies); Infinity or 1e300 raised a range error before, leaving the
--     row leased until its lease ran out. The error text is kept to 1,000 characters.
--   * mark_notification_sent: a message id that is not a Discord snowflake is not stored; the
--     notification is still marked sent (it was posted: claiming it again would post it twice), with
--     the refusal recorded in last_error and raised as a WARNING.
--   * the table holds the same bounds for every writer.

alter table public.signals drop constraint if exists signals_outbox_bounded;
alter table public.signals add constraint signals_outbox_bounded check (
  (last_error is null or length(last_error) <= 1000)
  and (discord_message_id is null
    or case when discord_message_id ~ '^[1-9][0-9]{16,19}$'
         then discord_message_id::numeric <= 18446744073709551615 else false end)) not valid;
do $$
begin
  alter table public.signals validate constraint signals_outbox_bounded;
exception when check_violation then
  raise warning 'signals_outbox_bounded: stored rows break it (checked for new rows only)';
end
$$;

-- Marks a claimed notification as sent (never claimed again). discord_message_id: the posted
-- message's id (a snowflake) or null; any other value is not stored (see the file comment). True
-- when the row changed.
create or replace function api.mark_notification_sent(signal_id bigint, discord_message_id text default null)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  msg_id text := mark_notification_sent.discord_message_id;
  note text;
begin
  if msg_id is not null and not (case when msg_id ~ '^[1-9][0-9]{16,19}$'
      then msg_id::numeric <= 18446744073709551615 else false end) then
    note := format('sent; message id not stored: not a Discord snowflake (got "%s")', private.clip(msg_id, 24));
    raise warning 'mark_notification_sent(%): %', signal_id, note;
    msg_id := null;
  end if;
  update public.signals s
  set notify_status = 'sent', discord_message_id = msg_id,
      lease_until = null, last_error = note, notified_at = now(), next_attempt_at = null
  where s.id = signal_id and s.notify_status <> 'sent';
  return found;
end
$$;
comment on function api.mark_notification_sent(bigint, text) is
  'Marks a notification sent with its Discord message id (a snowflake; anything else is not stored, noted in last_error); true when the row changed.';

-- Marks a claimed notification as failed and schedules the retry: retry_after_seconds when given
-- (e.g. Discord's 429 retry_after; clamped to 0..3600 s, NaN = not given), else 30 s x 2^(attempts-1)
-- capped at 1 h; after notify_max_attempts (setting, default 8) attempts next_attempt_at becomes null
-- (given up). Returns next_attempt_at (null when given up or when no unsent row has that id).
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
  wait_s double precision := case when retry_after_seconds is null or retry_after_seconds = 'NaN' then null
                                  else least(greatest(retry_after_seconds, 0), 3600) end;
  next_at timestamptz;
begin
  update public.signals s
  set notify_status = 'failed',
      last_error = left(coalesce(error, 'unknown error'), 1000),
      lease_until = null,
      next_attempt_at = case
        when s.notify_attempts >= max_attempts then null
        when wait_s is not null then now() + make_interval(secs => wait_s)
        else now() + make_interval(secs => least(30 * power(2, greatest(s.notify_attempts - 1, 0)), 3600))
      end
  where s.id = signal_id and s.notify_status <> 'sent'
  returning s.next_attempt_at into next_at;
  return next_at;
end
$$;
comment on function api.mark_notification_failed(bigint, text, double precision) is
  'Records a failed send and schedules the retry (retry_after clamped to 0..3600 s, or exponential backoff 30 s..1 h); null when given up.';

revoke all on function api.mark_notification_sent(bigint, text) from public, anon, authenticated;
revoke all on function api.mark_notification_failed(bigint, text, double precision) from public, anon, authenticated;
grant execute on function api.mark_notification_sent(bigint, text) to service_role;
grant execute on function api.mark_notification_failed(bigint, text, double precision) to service_role;
