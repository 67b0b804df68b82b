-- Notification outbox: leases, retry backoff, sent rows never claimed again.
begin;
create extension if not exists pgtap with schema extensions;
select plan(16);

insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
select 'BTCUSDT', '1h', timestamptz '2024-01-01 00:00+00' + i * interval '1 hour', 'long', 100, 96, 108, 112, 116, 0.8
from generate_series(0, 4) i;
-- Other tests' rows must not interfere: only these five are due.
update public.signals set next_attempt_at = now() - interval '1 second' where symbol = 'BTCUSDT';

create temp table first_claim as select id, notify_attempts, lease_until from api.claim_notifications(3, 60);
select is((select count(*)::integer from first_claim), 3, 'a claim returns at most max_count due signals');
select ok((select bool_and(notify_attempts = 1 and lease_until > now()) from first_claim),
  'claimed rows are leased and their attempt counted');
create temp table second_claim as select id from api.claim_notifications(10, 60);
select is((select count(*)::integer from second_claim), 2, 'a second claimer gets only the unleased rest');
select is_empty($$select id from first_claim intersect select id from second_claim$$,
  'the two claimers never share a signal');
select is((select count(*)::integer from api.claim_notifications(10, 60)), 0, 'leased rows are not claimed again');

select ok(api.mark_notification_sent((select min(id) from first_claim), '1175928847299117063'), 'mark sent succeeds');
select is((select notify_status from public.signals where id = (select min(id) from first_claim)), 'sent', 'status is sent');
update public.signals set lease_until = now() - interval '1 second' where id in (select id from first_claim);
select is((select count(*)::integer from api.claim_notifications(10, 60) where id = (select min(id) from first_claim)), 0,
  'a sent notification is never claimed again, even after its lease');

create temp table failing as select max(id) as id from second_claim;
select is(api.mark_notification_failed((select id from failing), 'Discord 500'), now() + interval '30 seconds',
  'the first failure is retried after 30 s');
select is((select notify_status || ':' || last_error from public.signals where id = (select id from failing)),
  'failed:Discord 500', 'status and last error are recorded');
select is((select count(*)::integer from api.claim_notifications(10, 60, array[(select id from failing)])), 0,
  'a failed notification is not claimed before its backoff');
update public.signals set next_attempt_at = now() - interval '1 second' where id = (select id from failing);
select is((select notify_attempts from api.claim_notifications(10, 60, array[(select id from failing)])), 2,
  'after its backoff it is claimed again (attempt 2)');
select is(api.mark_notification_failed((select id from failing), 'again'), now() + interval '60 seconds',
  'the second failure backs off 60 s');
select is(api.mark_notification_failed((select id from failing), 'rate limited', 2.5), now() + interval '2.5 seconds',
  'an explicit retry_after (Discord 429) wins over the backoff');
update public.signals set notify_attempts = 8 where id = (select id from failing);
select is(api.mark_notification_failed((select id from failing), 'gave up'), null,
  'after notify_max_attempts attempts next_attempt_at is null (given up)');
select is((select count(*)::integer from api.claim_notifications(10, 60, array[(select id from failing)])), 0,
  'a given-up notification is not claimed');

select * from finish();
rollback;
