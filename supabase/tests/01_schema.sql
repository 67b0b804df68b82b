-- Schema objects, constraints, comments, RLS, views and function security exist as designed.
begin;
create extension if not exists pgtap with schema extensions;
select plan(35);

select tables_are('public', array['symbols', 'candles', 'retention_policy', 'analyzer_state', 'signals',
  'signal_performance', 'user_subscriptions', 'backtests', 'relay_status', 'ingest_gaps', 'discord_outbox'],
  'public has exactly the product tables');
select views_are('public', array['v_recent_signals', 'v_signal_stats'], 'public has the two views');
select has_pk('public', 'candles', 'candles has a primary key');
select col_is_pk('public', 'candles', array['symbol', 'timeframe', 'open_time'], 'candles is keyed by symbol, timeframe, open_time');
select col_type_is('public', 'candles', 'open_time', 'timestamp with time zone', 'candle open_time is timestamptz');
select is((select pg_get_indexdef(i.indexrelid) from pg_index i where i.indexrelid = 'public.signals_one_live_per_bar'::regclass),
  'CREATE UNIQUE INDEX signals_one_live_per_bar ON public.signals USING btree (symbol, timeframe, open_time) WHERE (superseded_at IS NULL)',
  'one live signal per symbol, timeframe and bar (superseded ones kept beside it)');
select hasnt_index('public', 'signals', 'signals_one_per_bar', 'the unique constraint over every row is gone');
select has_check('public', 'candles', 'candles has check constraints');
select bag_has(
  $$select conname::text from pg_constraint where conrelid = 'public.candles'::regclass and contype = 'c'$$,
  $$values ('candles_timeframe_known'), ('candles_open_time_aligned'), ('candles_prices_positive'),
    ('candles_high_ge_low'), ('candles_high_ge_open_close'), ('candles_low_le_open_close'),
    ('candles_volume_nonnegative')$$,
  'candles carries a check constraint per candle rule');
select columns_are('public', 'signals', array['id', 'symbol', 'timeframe', 'open_time', 'direction', 'entry',
  'stop_loss', 'tp1', 'tp2', 'tp3', 'risk_reward', 'confidence', 'atr', 'contributions', 'patterns',
  'rationale', 'status', 'created_at', 'notify_status', 'notify_attempts', 'next_attempt_at', 'last_error',
  'discord_message_id', 'lease_until', 'notified_at', 'evidence', 'superseded_at', 'superseded_reason'],
  'signals has levels, details and the posting decision (the old outbox columns stay unused)');
select is((select array_agg(a.attname::text order by a.attnum) from pg_publication_rel r
  join pg_publication p on p.oid = r.prpubid
  join pg_attribute a on a.attrelid = r.prrelid and a.attnum = any (r.prattrs)
  where p.pubname = 'supabase_realtime' and r.prrelid = 'public.signals'::regclass),
  array['id', 'symbol', 'timeframe', 'open_time', 'direction', 'entry', 'stop_loss', 'tp1', 'tp2', 'tp3',
    'risk_reward', 'confidence', 'atr', 'contributions', 'patterns', 'rationale', 'status', 'created_at', 'evidence',
    'superseded_at', 'superseded_reason'],
  'Realtime publishes the signal, its status and its withdrawal, not the posting bookkeeping');
select has_fk('public', 'signal_performance', 'signal_performance references signals');
select has_column('public', 'user_subscriptions', 'min_confidence', 'subscriptions carry a minimum confidence');

select is_empty($$
  select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'v') and obj_description(c.oid, 'pg_class') is null$$,
  'every public table and view has a comment');
select is_empty($$
  select c.relname || '.' || a.attname from pg_attribute a
  join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'v') and a.attnum > 0 and not a.attisdropped
    and col_description(c.oid, a.attnum) is null$$,
  'every public column has a comment');
select is_empty($$
  select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity$$,
  'every public table has row level security enabled');
select is_empty($$
  select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'v'
    and not coalesce(c.reloptions @> array['security_invoker=true'], false)$$,
  'every view is security_invoker');
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('public', 'api', 'private') and p.prosecdef
    and not coalesce(p.proconfig @> array['search_path=""'], false)$$,
  'every security definer function pins search_path to empty');
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'public' and p.prosecdef$$,
  'no security definer function lives in the exposed public schema');
select is_empty($$
  select e.extname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace
  where n.nspname = 'public'$$,
  'no extension is installed in public');

select has_function('api', 'ingest_candles', array['json'], 'api.ingest_candles(json) exists');
select has_function('api', 'load_series', array['jsonb', 'integer'], 'api.load_series exists');
select has_function('api', 'save_analysis', array['jsonb', 'jsonb'], 'api.save_analysis exists');
select has_function('api', 'claim_outbox', array['integer', 'integer', 'bigint[]'], 'api.claim_outbox exists');
select hasnt_function('api', 'claim_notifications', 'the outbox API on signals is gone');
select trigger_is('public', 'discord_outbox', 'discord_outbox_wake_notify', 'private', 'on_outbox_inserted', 'the outbox wakes discord-notify');
select trigger_is('public', 'signal_performance', 'signal_performance_follow_up', 'private', 'on_outcome_recorded', 'recorded outcomes queue follow-ups');
select has_function('api', 'subscribe', array['text', 'text', 'text', 'double precision'], 'api.subscribe exists');
select has_function('api', 'status', 'api.status exists');
select has_function('private', 'configure_functions', array['text', 'text'], 'private.configure_functions exists');
select trigger_is('public', 'candles', 'candles_wake_analyze', 'private', 'on_candles_inserted', 'candles has the analyze wake trigger');
select trigger_is('public', 'signals', 'signals_wake_notify', 'private', 'on_signals_inserted', 'signals has the notify wake trigger');
select is((select tgtype & 1 from pg_trigger where tgname = 'candles_wake_analyze')::integer, 0,
  'the candle trigger is statement-level (not FOR EACH ROW)');
select bag_eq(
  $$select tablename::text from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public'$$,
  $$values ('signals'), ('relay_status')$$,
  'signals and relay_status are published to Realtime');
select results_eq($$select symbol || ' ' || array_to_string(timeframes, ',') from public.symbols
    where symbol in ('BTCUSDT', 'ETHUSDT', 'SOLUSDT') order by symbol$$,
  $$values ('BTCUSDT 15m,1h,4h'::text), ('ETHUSDT 15m,1h,4h'), ('SOLUSDT 15m,1h,4h')$$,
  'seed holds BTCUSDT, ETHUSDT and SOLUSDT x 15m, 1h, 4h');

select * from finish();
rollback;
