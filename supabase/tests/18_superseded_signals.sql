-- Superseded signals: a rebuild after a late or changed candle supersedes the stored signals (from the
-- earliest changed open time on) that it no longer gives identically, stores what it gives (a changed
-- signal beside the stale one), cancels their unsent Discord messages and queues one withdrawal per
-- posted card; a card in a sender's hands is left to it (sent: withdrawn then; failed: cancelled).
-- Repeats change nothing; unfinished rebuilds carry on comparing; readers see live signals only.
begin;
create extension if not exists pgtap with schema extensions;
select plan(54);

insert into private.config (key, value) values ('notify_late_signals', 'on')
  on conflict (key) do update set value = excluded.value;
select set_config('test.t0', '1704067200000', true);
create function pg_temp.t(i integer) returns bigint language sql as
  $$ select current_setting('test.t0')::bigint + i * 14400000::bigint $$;
create function pg_temp.ts(i integer) returns timestamptz language sql as
  $$ select 'epoch'::timestamptz + pg_temp.t(i) * interval '1 ms' $$;
-- A candle of ETHUSDT 4h at bar i (high h).
create function pg_temp.candle(i integer, h float8 default 102) returns json language sql as
  $$ select json_build_object('symbol', 'ETHUSDT', 'timeframe', '4h', 'open_time', pg_temp.t(i),
       'open', 100, 'high', h, 'low', 99, 'close', 101, 'volume', 5) $$;
-- A signal of ETHUSDT 4h at bar i with entry e, as the analyze function sends it.
create function pg_temp.sig(i integer, e float8 default 100) returns jsonb language sql as
  $$ select jsonb_build_object('symbol', 'ETHUSDT', 'timeframe', '4h', 'time', pg_temp.t(i),
       'direction', 'long', 'entry', e, 'stopLoss', e - 4, 'takeProfits', jsonb_build_array(e + 8, e + 12, e + 16),
       'riskReward', 2, 'confidence', 0.7, 'atr', 2, 'contributions', '[]'::jsonb,
       'rationale', 'bar ' || i, 'patterns', jsonb_build_object('bar', i), 'evidence', null) $$;
create function pg_temp.state(ep integer, expected integer, last integer) returns jsonb language sql as
  $$ select jsonb_build_array(jsonb_build_object('symbol', 'ETHUSDT', 'timeframe', '4h', 'snapshot', '{}'::jsonb,
       'epoch', ep, 'expected_last_open_time', pg_temp.t(expected), 'last_open_time', pg_temp.t(last))) $$;
create function pg_temp.sid(i integer) returns bigint language sql as
  $$ select id from public.signals where symbol = 'ETHUSDT' and timeframe = '4h' and open_time = pg_temp.ts(i)
     order by id limit 1 $$;
create function pg_temp.live(i integer) returns bigint language sql as
  $$ select id from public.signals where symbol = 'ETHUSDT' and timeframe = '4h' and open_time = pg_temp.ts(i)
     and superseded_at is null $$;
create function pg_temp.card(i integer) returns bigint language sql as
  $$ select o.id from public.discord_outbox o where o.signal_id = pg_temp.sid(i) and o.kind = 'card' $$;
create function pg_temp.outbox(i integer) returns text language sql as
  $$ select string_agg(o.kind || ':' || o.status, ',' order by o.id) from public.discord_outbox o
     where o.signal_id = pg_temp.sid(i) $$;

-- Candles 0..19 with bar 10 missing (a relay that went live without it), appended in order.
select api.ingest_candles((select json_agg(pg_temp.candle(i)) from generate_series(0, 19) i where i <> 10));
-- The analysis of the gapped history: signals at bars 5 (before the gap), 12, 13, 14, 15, 16, 17.
select is((select cardinality(signal_ids) from api.save_analysis(pg_temp.state(0, null, 19),
  (select jsonb_agg(pg_temp.sig(i)) from unnest(array[5, 12, 13, 14, 15, 16, 17]) i))), 7,
  'the analysis of the gapped history stores its seven signals');

-- Discord: the card of 12 is posted, 13's is queued, 14's and 16's are in a sender's hands (leased),
-- 17's card failed once and waits for its retry; 12 also has a TP1 follow-up queued.
select api.mark_outbox_sent(c.id, '1175928847299117063', '1175928847299117000', 'bot')
  from api.claim_outbox(1, 60, array[pg_temp.card(12)]) c;
select count(*) from api.claim_outbox(5, 60, array[pg_temp.card(14), pg_temp.card(16), pg_temp.card(17)]);
select api.mark_outbox_failed(pg_temp.card(17), 'Discord 502');
insert into public.discord_outbox (signal_id, kind, details) values (pg_temp.sid(12), 'tp1', '{"event":"tp1"}');

-- The gap is repaired: bar 10 arrives late.
select api.ingest_candles(json_build_array(pg_temp.candle(10)));
select is((select epoch || ':' || public.epoch_ms(changed_from) from private.series_epochs
  where symbol = 'ETHUSDT' and timeframe = '4h'), '1:' || pg_temp.t(10),
  'the late candle ends the epoch and records where the history changed');

select is((select applied from api.save_analysis(pg_temp.state(0, 19, 19), '[]')), false,
  'a save from the old epoch is refused');
select is((select count(*)::integer from public.signals where symbol = 'ETHUSDT' and superseded_at is not null), 0,
  'and supersedes nothing');

-- The rebuild gives: 5 and 13 and 15 unchanged, 12 with other levels, 14, 16 and 17 no more, 18 new.
create temp table rebuilt as select * from api.save_analysis(pg_temp.state(1, null, 19),
  (select jsonb_agg(s) from (values (pg_temp.sig(5)), (pg_temp.sig(12, 101)), (pg_temp.sig(13)),
     (pg_temp.sig(15)), (pg_temp.sig(18))) v(s)));
select is((select applied from rebuilt), true, 'the rebuild applies');
select is((select cardinality(signal_ids) from rebuilt), 2, 'it stores the changed signal of 12 and the new one of 18');
select is((select array_agg(i order by i) from generate_series(0, 19) i
           where exists (select 1 from public.signals s where s.symbol = 'ETHUSDT' and s.timeframe = '4h'
                         and s.open_time = pg_temp.ts(i) and s.superseded_at is not null)),
  array[12, 14, 16, 17], 'the signals it no longer gives identically are superseded, nothing before the late candle');
select is((select superseded_reason from public.signals where id = pg_temp.sid(12)),
  'candle history changed from 2024-01-02 16:00 UTC', 'with the reason');
select is((select entry from public.signals where id = pg_temp.live(12)), 101::float8,
  'the bar''s live signal has the rebuilt levels');
select is((select array_agg(i order by i) from generate_series(0, 19) i where pg_temp.live(i) is not null),
  array[5, 12, 13, 15, 18], 'the live signals are exactly the rebuilt ones');
select ok(pg_temp.live(13) = pg_temp.sid(13) and pg_temp.live(5) = pg_temp.sid(5),
  'identical signals keep their rows (no new card)');
select is((select public.epoch_ms(changed_from) from private.series_epochs where symbol = 'ETHUSDT' and timeframe = '4h'),
  null, 'the rebuild clears the change it handled');
select is((select reconcile_from from public.analyzer_state where symbol = 'ETHUSDT' and timeframe = '4h'), null,
  'a rebuild that reached the newest candle keeps nothing to compare later');

-- Their messages.
select is(pg_temp.outbox(12), 'card:sent,tp1:cancelled,withdrawn:pending',
  'a posted card keeps its message, its queued follow-up is cancelled, one withdrawal is queued');
select is((select count(*)::integer from public.discord_outbox o where o.signal_id = pg_temp.live(12) and o.kind = 'card'),
  1, 'the changed signal gets its own card');
select is(pg_temp.outbox(17), 'card:cancelled', 'a card waiting for its retry is cancelled, never posted');
select is(pg_temp.outbox(14), 'card:pending', 'a card in a sender''s hands is left to it');
select is((select count(*)::integer from public.discord_outbox o where o.signal_id in (pg_temp.sid(14), pg_temp.sid(16), pg_temp.sid(17))
  and o.kind = 'withdrawn'), 0, 'no withdrawal for cards not posted');
select is((select count(*)::integer from api.claim_outbox(100, 60, array(select o.id from public.discord_outbox o
  where o.signal_id in (pg_temp.sid(17), pg_temp.sid(12)) and o.status = 'cancelled'))), 0,
  'cancelled rows are never claimed');

-- The cards in flight: 14's is posted after all (it gets the withdrawal), 16's fails (cancelled).
select ok(api.mark_outbox_sent(pg_temp.card(14), '1175928847299117064', '1175928847299117000', 'bot'),
  'the sender records the card it posted');
select is(pg_temp.outbox(14), 'card:sent,withdrawn:pending', 'a card posted after its signal was withdrawn gets the withdrawal');
select is(api.mark_outbox_failed(pg_temp.card(16), 'Discord 503'), null, 'a failed card of a withdrawn signal is not retried');
select is(pg_temp.outbox(16), 'card:cancelled', 'it is cancelled');
select is((select last_error from public.discord_outbox where id = pg_temp.card(16)),
  'Discord 503; not retried: the signal was withdrawn', 'saying why');
select is(api.mark_outbox_failed(pg_temp.card(16), 'again'), null, 'a cancelled row stays cancelled');
select is((select status from public.discord_outbox where id = pg_temp.card(16)), 'cancelled', 'whatever a sender reports later');

-- The withdrawal: due after its card, carries the card data with what the bar gives now.
create temp table due as select * from api.claim_outbox(100, 60, array(select o.id from public.discord_outbox o
  where o.kind = 'withdrawn' and o.signal_id in (pg_temp.sid(12), pg_temp.sid(14))));
select is((select count(*)::integer from due), 2, 'both withdrawals are due');
select is((select card_message_id from due where signal_id = pg_temp.sid(12)), '1175928847299117063',
  'the withdrawal replies to the posted card');
select is((select signal -> 'withdrawn' -> 'replacement' ->> 'id' from due where signal_id = pg_temp.sid(12)),
  pg_temp.live(12)::text, 'the card data names the signal the bar gives now');
select is((select (signal -> 'withdrawn' -> 'replacement' -> 'take_profits' ->> 0)::float8 from due where signal_id = pg_temp.sid(12)),
  109::float8, 'with its levels');
select is((select jsonb_typeof(signal -> 'withdrawn' -> 'replacement') from due where signal_id = pg_temp.sid(14)), 'null',
  'and says when the bar gives none');
select isnt(api.mark_outbox_failed((select id from due where signal_id = pg_temp.sid(12)), 'Discord 502'), null,
  'a failed withdrawal is retried like any follow-up');

-- The same rebuild again changes nothing.
select is((select applied from api.save_analysis(pg_temp.state(1, null, 19),
  (select jsonb_agg(s) from (values (pg_temp.sig(5)), (pg_temp.sig(12, 101)), (pg_temp.sig(13)), (pg_temp.sig(15)),
    (pg_temp.sig(18))) v(s)))), false, 'a repeated rebuild is refused');
select is((select count(*)::integer from public.signals where symbol = 'ETHUSDT' and timeframe = '4h'), 9,
  'and stores or supersedes nothing');

-- Readers see live signals only.
select is((select count(*)::integer from public.v_recent_signals where symbol = 'ETHUSDT'), 5, 'v_recent_signals shows live signals');
select is((select signals::integer from public.v_signal_stats where symbol = 'ETHUSDT' and timeframe = '4h'), 5,
  'v_signal_stats counts live signals');
select is((select (api.signal_card('ETHUSDT', '4h') ->> 'id')::bigint), pg_temp.live(18), '/lastsignal shows the latest live signal');
update public.signals set superseded_at = now(), superseded_reason = 'test' where id = pg_temp.live(18);
select is((select (api.signal_card('ETHUSDT', '4h') ->> 'id')::bigint), pg_temp.live(15), 'never a superseded one');
select is((select id from api.last_signal('ETHUSDT', '4h')), pg_temp.live(15), 'api.last_signal too');
select is((select s -> 'signals_withdrawn_24h' from api.status() s), '5'::jsonb, '/status counts the withdrawn signals');
select ok((select (select s2 ->> 'last_signal' from jsonb_array_elements(s -> 'series') s2
                   where s2 ->> 'symbol' = 'ETHUSDT' and s2 ->> 'timeframe' = '4h')::timestamptz = pg_temp.ts(15)
           from api.status() s), '/status shows the latest live signal''s bar');
select api.track_outcomes();
select is((select count(*)::integer from public.signal_performance p where p.signal_id in (pg_temp.sid(12), pg_temp.sid(14))),
  0, 'outcome tracking skips superseded signals');
select isnt((select count(*)::integer from public.signal_performance p where p.signal_id = pg_temp.live(12)), 0,
  'and tracks the live ones');

-- One live signal per bar, any number of superseded ones beside it.
select throws_ok(format($$insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
  values ('ETHUSDT', '4h', %L, 'long', 100, 96, 108, 112, 116, 0.8)$$, pg_temp.ts(13)), '23505', null,
  'a second live signal at a bar is refused');
select is((select count(*)::integer from api.store_signals(jsonb_build_array(pg_temp.sig(13)))), 0,
  'store_signals keeps the live signal of a bar');

-- A rebuild that stops before the newest candle keeps comparing in its continuations.
select api.ingest_candles(json_build_array(pg_temp.candle(3, 103)));
select is((select public.epoch_ms(changed_from) from private.series_epochs where symbol = 'ETHUSDT' and timeframe = '4h'),
  pg_temp.t(3), 'a changed candle records where');
select is((select applied from api.save_analysis(pg_temp.state(2, null, 11),
  (select jsonb_agg(s) from (values (pg_temp.sig(5, 99))) v(s)))), true, 'a rebuild up to bar 11 applies');
select is((select public.epoch_ms(reconcile_from) from public.analyzer_state where symbol = 'ETHUSDT' and timeframe = '4h'),
  pg_temp.t(3), 'the unfinished rebuild keeps where to compare from');
select is((select applied from api.save_analysis(pg_temp.state(2, 11, 19),
  (select jsonb_agg(s) from (values (pg_temp.sig(12, 101)), (pg_temp.sig(13, 98))) v(s)))), true,
  'its continuation applies');
select is((select array_agg(i order by i) from generate_series(0, 19) i where pg_temp.live(i) is not null),
  array[5, 12, 13], 'the continuation superseded what it does not give (15) and replaced what changed (13)');
select is((select reconcile_from from public.analyzer_state where symbol = 'ETHUSDT' and timeframe = '4h'), null,
  'once at the newest candle there is nothing left to compare');

-- Normal saves never supersede.
select api.ingest_candles(json_build_array(pg_temp.candle(20)));
select api.store_signals(jsonb_build_array(pg_temp.sig(20)));
select is((select applied from api.save_analysis(pg_temp.state(2, 19, 20), '[]')), true, 'an ordinary save applies');
select isnt(pg_temp.live(20), null, 'and leaves the stored signals alone');

select ok(not has_function_privilege('authenticated', 'private.withdraw_messages(bigint[])', 'execute')
  and not has_function_privilege('anon', 'private.signal_rows(jsonb, text, text)', 'execute')
  and has_function_privilege('service_role', 'private.withdraw_messages(bigint[])', 'execute'),
  'the new functions are the service role''s only');

select * from finish();
rollback;
