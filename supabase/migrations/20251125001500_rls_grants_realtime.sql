-- Row-level security on every public table, privileges, and the Realtime publication.
--   Readable by authenticated: symbols, signals, signal_performance, relay_status, both views.
--   Server-only (service_role / owner): candles, analyzer_state, user_subscriptions, backtests,
--   ingest_gaps, retention_policy.
--   anon: nothing, unless private.set_anon_signals(true) opens signals (see README).

alter table public.symbols enable row level security;
alter table public.candles enable row level security;
alter table public.retention_policy enable row level security;
alter table public.analyzer_state enable row level security;
alter table public.signals enable row level security;
alter table public.signal_performance enable row level security;
alter table public.user_subscriptions enable row level security;
alter table public.backtests enable row level security;
alter table public.relay_status enable row level security;
alter table public.ingest_gaps enable row level security;

revoke all on all tables in schema public from anon, authenticated;
grant select on public.symbols, public.signals, public.signal_performance, public.relay_status,
  public.v_recent_signals, public.v_signal_stats to authenticated;
grant all on all tables in schema public to service_role;
grant usage, select on all sequences in schema public to service_role;

drop policy if exists authenticated_read on public.symbols;
create policy authenticated_read on public.symbols for select to authenticated using (true);
drop policy if exists authenticated_read on public.signals;
create policy authenticated_read on public.signals for select to authenticated using (true);
drop policy if exists authenticated_read on public.signal_performance;
create policy authenticated_read on public.signal_performance for select to authenticated using (true);
drop policy if exists authenticated_read on public.relay_status;
create policy authenticated_read on public.relay_status for select to authenticated using (true);

-- The documented switch: opens (true) or closes (false) read access to signals, symbols,
-- signal_performance and v_recent_signals/v_signal_stats for anon. Returns the new state.
create or replace function private.set_anon_signals(open boolean)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  t text;
begin
  foreach t in array array['symbols', 'signals', 'signal_performance'] loop
    execute format('drop policy if exists anon_read on public.%I', t);
    if open then
      execute format('grant select on public.%I to anon', t);
      execute format('create policy anon_read on public.%I for select to anon using (true)', t);
    else
      execute format('revoke select on public.%I from anon', t);
    end if;
  end loop;
  if open then
    grant select on public.v_recent_signals, public.v_signal_stats to anon;
  else
    revoke select on public.v_recent_signals, public.v_signal_stats from anon;
  end if;
  return open;
end
$$;
comment on function private.set_anon_signals(boolean) is
  'Switch: true lets anon read signals (and symbols, performance, the views); false (default) closes it.';
revoke all on function private.set_anon_signals(boolean) from public, anon, authenticated;

do $$
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    if not exists (select 1 from pg_publication_tables
                   where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'signals') then
      alter publication supabase_realtime add table public.signals;
    end if;
    if not exists (select 1 from pg_publication_tables
                   where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'relay_status') then
      alter publication supabase_realtime add table public.relay_status;
    end if;
  else
    raise notice 'publication supabase_realtime missing: signals are not published to Realtime';
  end if;
end
$$;
