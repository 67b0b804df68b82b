-- Roles: anon and authenticated are denied every private table and privileged function;
-- authenticated reads signals and the views; service_role can do what the pipeline needs.
begin;
create extension if not exists pgtap with schema extensions;
select plan(60);

insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
values ('BTCUSDT', '1h', '2024-05-01 00:00+00', 'long', 100, 96, 108, 112, 116, 0.8);

-- Catalog-wide: no privileged function or private table is reachable by the API roles.
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('api', 'private')
    and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))$$,
  'no api or private function is executable by anon or authenticated');
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'api' and not has_function_privilege('service_role', p.oid, 'execute')$$,
  'service_role can execute every api function');
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'public'
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))$$,
  'no function of ours in public (timeframe_ms, epoch_ms, is_aligned) is executable by anon or authenticated');
select is_empty($$
  select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname in ('public', 'api', 'private') and c.relkind = 'S'
    and (has_sequence_privilege('anon', c.oid, 'usage, select, update')
      or has_sequence_privilege('authenticated', c.oid, 'usage, select, update'))$$,
  'no sequence is usable by anon or authenticated');
select is_empty($$
  select d.defaclnamespace::regnamespace::text || ' ' || d.defaclobjtype::text from pg_default_acl d
  where d.defaclrole = current_user::regrole
    and (d.defaclnamespace = 0 or d.defaclnamespace::regnamespace::text in ('public', 'api', 'private'))
    and exists (select 1 from aclexplode(d.defaclacl) a
                where a.grantee in ('anon'::regrole, 'authenticated'::regrole)
                   or (a.grantee = 0 and d.defaclobjtype = 'f'))$$,
  'default privileges grant nothing new in public, api or private to anon, authenticated or PUBLIC');
select is_empty($$
  select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'v')
    and has_table_privilege('anon', c.oid, 'select, insert, update, delete')$$,
  'anon holds no privilege on any public table or view by default');
select bag_eq($$
  select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'v') and has_table_privilege('authenticated', c.oid, 'select')$$,
  $$values ('symbols'), ('signals'), ('signal_performance'), ('relay_status'), ('v_recent_signals'), ('v_signal_stats')$$,
  'authenticated reads exactly signals, symbols, performance, relay status and the views');
select is_empty($$
  select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'r'
    and (has_table_privilege('authenticated', c.oid, 'insert, update, delete, truncate'))$$,
  'authenticated can write no public table');

-- anon
set local role anon;
select throws_ok('select * from public.signals', '42501', null, 'anon cannot read signals by default');
select throws_ok('select * from public.v_recent_signals', '42501', null, 'anon cannot read v_recent_signals by default');
select throws_ok('select * from public.candles', '42501', null, 'anon cannot read candles');
select throws_ok('select * from public.analyzer_state', '42501', null, 'anon cannot read analyzer_state');
select throws_ok('select * from public.user_subscriptions', '42501', null, 'anon cannot read user_subscriptions');
select throws_ok('select * from public.backtests', '42501', null, 'anon cannot read backtests');
select throws_ok('select * from public.ingest_gaps', '42501', null, 'anon cannot read ingest_gaps');
select throws_ok('select * from public.retention_policy', '42501', null, 'anon cannot read retention_policy');
select throws_ok('select * from public.relay_status', '42501', null, 'anon cannot read relay_status');
select throws_ok('select * from public.discord_outbox', '42501', null, 'anon cannot read the Discord outbox');
select throws_ok('select * from private.discord_state', '42501', null, 'anon cannot read the Discord sender state');
select throws_ok('select * from private.config', '42501', null, 'anon cannot read private.config');
select throws_ok($$insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
  values ('BTCUSDT', '1h', '2024-05-01 01:00+00', 'long', 100, 96, 108, 112, 116, 0.8)$$, '42501', null, 'anon cannot write signals');
select throws_ok($$select * from api.ingest_candles('[]')$$, '42501', null, 'anon cannot call api.ingest_candles');
select throws_ok($$select * from api.claim_outbox()$$, '42501', null, 'anon cannot claim notifications');
select throws_ok($$select api.subscribe('1', 'BTCUSDT')$$, '42501', null, 'anon cannot call api.subscribe');
select throws_ok($$select private.configure_functions('http://x', '0123456789abcdefg')$$, '42501', null, 'anon cannot configure functions');
select throws_ok($$select private.wake('analyze', '{}')$$, '42501', null, 'anon cannot send wake-ups');
select throws_ok($$select private.set_anon_signals(true)$$, '42501', null, 'anon cannot open signals to itself');
select ok((select count(*) >= 0 from net.http_request_queue),
  'anon can read the pg_net queue, as with real pg_net (which grants it to PUBLIC): wake-ups are signed, never carry the secret');
select throws_ok($$select setval('public.signals_id_seq', 1)$$, '42501', null, 'anon cannot setval a sequence');
select throws_ok($$select public.timeframe_ms('1h')$$, '42501', null, 'anon cannot call public.timeframe_ms');
reset role;

-- authenticated
set local role authenticated;
select is((select count(*)::integer from public.signals), 1, 'authenticated reads signals');
select is((select count(*)::integer from public.v_recent_signals), 1, 'authenticated reads v_recent_signals');
select is((select count(*)::integer from public.v_signal_stats), 1, 'authenticated reads v_signal_stats');
select is((select count(*)::integer from public.symbols where symbol in ('BTCUSDT', 'ETHUSDT', 'SOLUSDT')), 3, 'authenticated reads symbols');
select throws_ok($$update public.signals set confidence = 1$$, '42501', null, 'authenticated cannot update signals');
select throws_ok($$delete from public.signals$$, '42501', null, 'authenticated cannot delete signals');
select throws_ok('select * from public.candles', '42501', null, 'authenticated cannot read candles');
select throws_ok('select * from public.analyzer_state', '42501', null, 'authenticated cannot read analyzer_state');
select throws_ok('select * from public.user_subscriptions', '42501', null, 'authenticated cannot read user_subscriptions');
select throws_ok('select * from public.backtests', '42501', null, 'authenticated cannot read backtests');
select throws_ok('select * from public.ingest_gaps', '42501', null, 'authenticated cannot read ingest_gaps');
select throws_ok('select * from public.discord_outbox', '42501', null, 'authenticated cannot read the Discord outbox');
select throws_ok($$select api.discord_sending_stop('x')$$, '42501', null, 'authenticated cannot stop Discord sending');
select throws_ok('select * from private.config', '42501', null, 'authenticated cannot read private.config');
select throws_ok($$select * from api.ingest_candles('[]')$$, '42501', null, 'authenticated cannot call api.ingest_candles');
select throws_ok($$select * from api.save_analysis('[]')$$, '42501', null, 'authenticated cannot call api.save_analysis');
select throws_ok($$select * from api.status()$$, '42501', null, 'authenticated cannot call api.status');
select throws_ok($$select private.configure_functions('http://x', '0123456789abcdefg')$$, '42501', null, 'authenticated cannot configure functions');
select throws_ok($$select private.detect_gaps()$$, '42501', null, 'authenticated cannot run cron job bodies');
select throws_ok($$select nextval('public.signals_id_seq')$$, '42501', null, 'authenticated cannot take a sequence value');
reset role;

-- service_role: the pipeline's calls
set local role service_role;
select row_eq($$select * from api.ingest_candles('[{"symbol":"BTCUSDT","timeframe":"1h","open_time":1714525200000,"open":1,"high":2,"low":1,"close":1.5,"volume":3}]')$$,
  row(1, 0, 0), 'service_role ingests candles');
select is((select count(*)::integer from api.load_series('[{"symbol":"BTCUSDT","timeframe":"1h"}]')), 1, 'service_role loads series');
select is((select count(*)::integer from api.save_analysis('[{"symbol":"BTCUSDT","timeframe":"1h","snapshot":{},"expected_last_open_time":null,"last_open_time":1714525200000}]') where applied), 1,
  'service_role saves analysis');
select is((select count(*)::integer from api.claim_outbox(10, 60)), 1, 'service_role claims notifications');
select is((select symbol from api.subscribe('80351110224678912', 'btcusdt', '1h', 0.7)), 'BTCUSDT', 'service_role subscribes a user');
select is((select jsonb_typeof(api.status())), 'object', 'service_role reads status');
select is(private.configure_functions('http://127.0.0.1:1/functions/v1', 'service-secret-0123456'), 'private.config',
  'service_role configures the functions');
reset role;

-- The documented anon switch
select is(private.set_anon_signals(true), true, 'the owner opens signals to anon');
set local role anon;
select is((select count(*)::integer from public.v_recent_signals), 1, 'anon then reads v_recent_signals');
reset role;
select private.set_anon_signals(false);
set local role anon;
select throws_ok('select * from public.signals', '42501', null, 'closing the switch denies anon again');
reset role;

select * from finish();
rollback;
