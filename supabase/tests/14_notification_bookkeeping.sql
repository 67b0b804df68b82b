-- Outbox bookkeeping pinned (kept through the move of the outbox into public.discord_outbox): a bad
-- retry_after never leaves a row leased, message ids are snowflakes, error texts are capped.
begin;
create extension if not exists pgtap with schema extensions;
select plan(14);

insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
select 'BTCUSDT', '1h', timestamptz '2024-03-01 00:00+00' + i * interval '1 hour', 'long', 100, 96, 108, 112, 116, 0.8
from generate_series(0, 5) i;
create temp table s as select row_number() over (order by o.id) as k, o.id from public.discord_outbox o
  join public.signals g on g.id = o.signal_id
  where g.symbol = 'BTCUSDT' and g.open_time >= '2024-03-01' and g.open_time < '2024-03-02';
update public.discord_outbox set next_attempt_at = now() - interval '1 second' where id in (select id from s);
select is((select count(*)::integer from api.claim_outbox(10, 60, (select array_agg(id) from s))), 6, 'six messages claimed');

select is(api.mark_outbox_failed((select id from s where k = 1), '429', 'NaN'), now() + interval '30 seconds',
  'retry_after NaN counts as absent: the backoff applies');
select is(api.mark_outbox_failed((select id from s where k = 2), '429', 'Infinity'), now() + interval '1 hour',
  'retry_after Infinity is capped at 1 h');
select is(api.mark_outbox_failed((select id from s where k = 3), '429', 1e300), now() + interval '1 hour',
  'retry_after 1e300 is capped at 1 h');
select is(api.mark_outbox_failed((select id from s where k = 4), '429', -5), now(),
  'a negative retry_after means now');
select is((select count(*)::integer from public.discord_outbox where id in (select id from s where k <= 4)
  and status = 'failed' and lease_until is null), 4, 'every failed row is released from its lease');
select is(api.mark_outbox_failed((select id from s where k = 4), repeat('e', 5000)), now() + interval '30 seconds',
  'a long error is accepted');
select is((select length(last_error) from public.discord_outbox where id = (select id from s where k = 4)), 1000,
  'and stored cut to 1,000 characters');

select ok(api.mark_outbox_sent((select id from s where k = 5), '1175928847299117063'), 'a snowflake message id is accepted');
select is((select message_id || ' ' || status from public.discord_outbox where id = (select id from s where k = 5)),
  '1175928847299117063 sent', 'and stored with the sent state');
select ok(api.mark_outbox_sent((select id from s where k = 6), repeat('9', 5000)), 'a bad message id still marks the message sent');
select is((select coalesce(message_id, '(none)') || ' ' || status || ' ' || (lease_until is null)::text from public.discord_outbox where id = (select id from s where k = 6)),
  '(none) sent true', 'the bad id is not stored and the row is released (never posted twice)');
select matches((select last_error from public.discord_outbox where id = (select id from s where k = 6)),
  '^sent; message id not stored: not a Discord snowflake \(got "9{24}… \(5000 chars\)"\)$', 'the refusal is recorded, clipped');
select throws_ok(format('update public.discord_outbox set message_id = %L where id = %s', repeat('1', 30), (select id from s where k = 5)),
  '23514', null, 'the table refuses an oversized message id from any writer');

select * from finish();
rollback;
