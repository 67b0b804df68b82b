-- Discord outbox (public.discord_outbox): one card per posted signal, none for a skipped one; leases,
-- retry backoff and clamped retry_after; sent rows never claimed again; follow-ups after their card;
-- subscriber mentions split at 100; the single sender lease and the stop after a 401/403.
begin;
create extension if not exists pgtap with schema extensions;
select plan(50);

insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
select 'BTCUSDT', '1h', timestamptz '2024-01-01 00:00+00' + i * interval '1 hour', 'long', 100, 96, 108, 112, 116, 0.8
from generate_series(0, 4) i;
-- Other tests' rows must not interfere: only these five are due.
create temp table mine as select o.id from public.discord_outbox o join public.signals s on s.id = o.signal_id
  where s.symbol = 'BTCUSDT';
select is((select count(*)::integer from mine), 5, 'each new signal to post gets one card row');
update public.discord_outbox set next_attempt_at = now() - interval '1 second' where id in (select id from mine);

create temp table first_claim as select id, attempts, lease_until, kind, signal from api.claim_outbox(3, 60, array(select id from mine));
select is((select count(*)::integer from first_claim), 3, 'a claim returns at most max_count due rows');
select ok((select bool_and(attempts = 1 and lease_until > now()) from first_claim),
  'claimed rows are leased and their attempt counted');
select ok((select bool_and(kind = 'card' and signal ->> 'symbol' = 'BTCUSDT' and (signal -> 'take_profits' ->> 2)::float8 = 116)
  from first_claim), 'a claimed card carries its signal''s data');
create temp table second_claim as select id from api.claim_outbox(10, 60, array(select id from mine));
select is((select count(*)::integer from second_claim), 2, 'a second claimer gets only the unleased rest');
select is_empty($$select id from first_claim intersect select id from second_claim$$,
  'the two claimers never share a row');
select is((select count(*)::integer from api.claim_outbox(10, 60, array(select id from mine))), 0,
  'leased rows are not claimed again');

select ok(api.mark_outbox_sent((select min(id) from first_claim), '1175928847299117063', '1175928847299117000', 'bot'), 'mark sent succeeds');
select is((select status || ':' || message_id || ':' || channel_id from public.discord_outbox where id = (select min(id) from first_claim)),
  'sent:1175928847299117063:1175928847299117000', 'status, message id and channel are stored');
select ok(not api.mark_outbox_sent((select min(id) from first_claim), '1175928847299117064'), 'marking it sent again changes nothing');
update public.discord_outbox set lease_until = now() - interval '1 second' where id in (select id from first_claim);
select is((select count(*)::integer from api.claim_outbox(10, 60, array[(select min(id) from first_claim)])), 0,
  'a sent message is never claimed again, even after its lease');
select throws_ok(format('update public.discord_outbox set message_id = %L where id = %s', repeat('1', 30), (select min(id) from first_claim)),
  '23514', null, 'the table refuses a message id that is not a snowflake from any writer');

create temp table failing as select max(id) as id from second_claim;
select is(api.mark_outbox_failed((select id from failing), 'Discord 500'), now() + interval '30 seconds',
  'the first failure is retried after 30 s');
select is((select status || ':' || last_error from public.discord_outbox where id = (select id from failing)),
  'failed:Discord 500', 'status and last error are recorded');
select is((select count(*)::integer from api.claim_outbox(10, 60, array[(select id from failing)])), 0,
  'a failed row is not claimed before its backoff');
update public.discord_outbox set next_attempt_at = now() - interval '1 second' where id = (select id from failing);
select is((select attempts from api.claim_outbox(10, 60, array[(select id from failing)])), 2,
  'after its backoff it is claimed again (attempt 2)');
select is(api.mark_outbox_failed((select id from failing), 'again'), now() + interval '60 seconds',
  'the second failure backs off 60 s');
select is(api.mark_outbox_failed((select id from failing), 'rate limited', 2.5), now() + interval '2.5 seconds',
  'an explicit retry_after (Discord 429) wins over the backoff');
select is(api.mark_outbox_failed((select id from failing), 'x', 'NaN'), now() + interval '60 seconds',
  'a NaN retry_after is ignored (backoff)');
select is(api.mark_outbox_failed((select id from failing), 'x', 'Infinity'), now() + interval '1 hour',
  'an infinite retry_after is clamped to an hour');
select is(api.mark_outbox_failed((select id from failing), 'x', 1e300), now() + interval '1 hour',
  'a huge retry_after is clamped to an hour');
select is(api.mark_outbox_failed((select id from failing), 'x', -5), now(),
  'a negative retry_after is 0');
select isnt(api.mark_outbox_failed((select id from failing), repeat('e', 5000)), null, 'a long error is accepted');
select is((select length(last_error) from public.discord_outbox where id = (select id from failing)), 1000,
  'and stored cut to 1,000 characters');
select ok((select lease_until is null from public.discord_outbox where id = (select id from failing)), 'a failure releases the lease');
update public.discord_outbox set attempts = 8 where id = (select id from failing);
select is(api.mark_outbox_failed((select id from failing), 'gave up'), null,
  'after notify_max_attempts attempts next_attempt_at is null (given up)');
select is((select count(*)::integer from api.claim_outbox(10, 60, array[(select id from failing)])), 0,
  'a given-up row is not claimed');

-- Permanent refusals and releases.
create temp table other as select min(id) as id from second_claim;
select is(api.mark_outbox_failed((select id from other), '400 Invalid Form Body', null, true), null,
  'a permanent refusal gives up at once');
update public.discord_outbox set status = 'pending', next_attempt_at = now() - interval '1 second', attempts = 0
  where id = (select id from other);
select is((select attempts from api.claim_outbox(1, 60, array[(select id from other)])), 1, 'claimed again');
select is(api.release_outbox((select id from other), 3, 'rate limited'), now() + interval '3 seconds',
  'a release puts the row back after retry_after');
select is((select attempts || ':' || (lease_until is null) from public.discord_outbox where id = (select id from other)),
  '0:true', 'a release does not count the attempt and drops the lease');

-- Skipped signals get no card; subscribers are mentioned, at most 100 a message.
insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence, notify_status, next_attempt_at)
values ('ETHUSDT', '4h', '2024-02-01 00:00+00', 'long', 100, 96, 108, 112, 116, 0.8, 'skipped', null);
select is((select count(*)::integer from public.discord_outbox o join public.signals s on s.id = o.signal_id
  where s.symbol = 'ETHUSDT' and s.timeframe = '4h'), 0, 'a skipped signal gets no card');
insert into public.user_subscriptions (discord_user_id, symbol, timeframe, min_confidence)
select (100000000000000000 + i)::text, 'SOLUSDT', case when i % 2 = 0 then null else '1h' end, 0.5 from generate_series(1, 150) i;
insert into public.user_subscriptions (discord_user_id, symbol, timeframe, min_confidence)
values ('80351110224678900', 'SOLUSDT', '1h', 0.95), ('80351110224678901', 'SOLUSDT', '4h', 0.5);
insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
values ('SOLUSDT', '1h', '2024-02-01 00:00+00', 'short', 100, 104, 92, 88, 84, 0.9);
create temp table sol as select o.* from public.discord_outbox o join public.signals s on s.id = o.signal_id
  where s.symbol = 'SOLUSDT';
select is((select array_agg(kind || part order by id) from sol), array['card0', 'mentions1'],
  '150 matching subscribers: the card and one more mentions message');
select is((select sum(cardinality(mentions))::integer from sol), 150,
  'exactly the subscribers whose timeframe and minimum confidence match are mentioned');
select ok((select bool_and(cardinality(mentions) <= 100 and length(array_to_string(mentions, '> <@')) + 4 <= 1900) from sol),
  'each message mentions at most 100 users in at most 1,900 characters');

-- Follow-ups: one per recorded outcome, after the card, in order.
create temp table sol_card as select id, signal_id from sol where kind = 'card';
update public.discord_outbox set next_attempt_at = now() - interval '1 second' where id in (select id from sol);
insert into public.signal_performance (signal_id) select signal_id from sol_card;
update public.signal_performance set tp1_hit_at = '2024-02-01 03:00+00', outcome = 'tp1' where signal_id = (select signal_id from sol_card);
update public.signal_performance set sl_hit_at = '2024-02-01 05:00+00', outcome = 'sl', closed_at = '2024-02-01 05:00+00',
  r_achieved = 2.0 / 3 - 2.0 / 3 where signal_id = (select signal_id from sol_card);
create temp table follow as select * from public.discord_outbox where signal_id = (select signal_id from sol_card)
  and kind not in ('card', 'mentions') order by id;
select is((select array_agg(kind order by id) from follow), array['tp1', 'stop'], 'TP1 then the stop: two follow-ups, in order');
select is((select round((details ->> 'r')::numeric, 4) || '@' || (details ->> 'bar_ms') from follow where kind = 'tp1'),
  round((8.0 / 4 / 3)::numeric, 4) || '@' || public.epoch_ms('2024-02-01 03:00+00'),
  'the TP1 follow-up carries R locked in at TP1 (a third of the position at 2 R) and the bar');
update public.signal_performance set r_achieved = 0 where signal_id = (select signal_id from sol_card);
select is((select count(*)::integer from public.discord_outbox where signal_id = (select signal_id from sol_card)
  and kind not in ('card', 'mentions')), 2, 'an update that records no new event queues nothing');
select is((select array_agg(kind order by id) from api.claim_outbox(10, 60, array(select id from sol union select id from follow))),
  array['card'], 'follow-ups and mentions wait for their card');
select ok(api.mark_outbox_sent((select id from sol_card), '1175928847299111000'), 'the card is posted');
select is((select array_agg(kind || ':' || coalesce(card_message_id, '-') order by id)
  from api.claim_outbox(10, 60, array(select id from sol union select id from follow))),
  array['mentions:1175928847299111000'], 'then its mentions message, replying to the card');
update public.discord_outbox set status = 'sent', message_id = '1175928847299111001', next_attempt_at = null, lease_until = null
  where id in (select id from sol where kind = 'mentions');
select is((select array_agg(kind order by id) from api.claim_outbox(10, 60, array(select id from follow))),
  array['tp1'], 'then one follow-up at a time, in order');

-- Sender lease and stop.
update private.discord_state set sender = null, sender_until = null, rerun = false, stopped_at = null,
  stopped_reason = null, stopped_config = null;
select is((select acquired from api.discord_sender_acquire('run-a', 60, 'cfg1', 'bot')), true, 'a run takes the sender lease');
select is((select acquired from api.discord_sender_acquire('run-b', 60, 'cfg1', 'bot')), false,
  'a second run does not while the first holds it');
select is(api.discord_sender_release('run-a'), true, 'the holder is asked to claim again because a wake-up came meanwhile');
select is(api.discord_sender_release('run-a'), false, 'then it releases the lease');
select api.discord_sending_stop('401: Unauthorized', 'cfg1');
select is((select acquired::text || probe::text from api.discord_sender_acquire('run-c', 60, 'cfg1', 'bot')), 'falsefalse',
  'while stopped for these settings no run sends');
select is((select (s -> 'discord' ->> 'sending') || ':' || (s -> 'discord' ->> 'stopped_reason') from api.status() s),
  'false:401: Unauthorized', '/status shows that sending stopped and why');
update private.discord_state set stopped_at = now() - interval '16 minutes';
select is((select acquired::text || probe::text from api.discord_sender_acquire('run-c', 60, 'cfg1', 'bot')), 'truetrue',
  'after 15 minutes one run may probe');
select is((select acquired::text || probe::text || coalesce(stopped_reason, '-') from api.discord_sender_acquire('run-d', 60, 'cfg2', 'bot')),
  'falsefalse-', 'new settings end the stop (the probe still holds the lease)');

select * from finish();
rollback;
