-- Closed by default, for databases migrated before the earlier files enabled RLS and revoked at
-- creation (issue 11, items 1, 3 and 11). Re-running it changes nothing.
--   * Future tables, sequences and functions in public, api and private are not granted to anon or
--     authenticated (Supabase grants new objects in public to both), and new functions are not
--     executable by PUBLIC (except in schema extensions).
--   * Sequences in public: anon and authenticated could call nextval/setval on them.
--   * public.timeframe_ms, epoch_ms and is_aligned: helpers for checks and the SQL API, not public API
--     (PostgREST offered them to anon as /rpc endpoints).

alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated;
alter default privileges in schema api revoke all on tables from anon, authenticated;
alter default privileges in schema api revoke all on sequences from anon, authenticated;
alter default privileges in schema api revoke all on functions from anon, authenticated;
alter default privileges in schema private revoke all on tables from anon, authenticated;
alter default privileges in schema private revoke all on sequences from anon, authenticated;
alter default privileges in schema private revoke all on functions from anon, authenticated;
alter default privileges revoke execute on functions from public;
alter default privileges in schema extensions grant execute on functions to public;

revoke all on all sequences in schema public from anon, authenticated;
grant usage, select on all sequences in schema public to service_role;

revoke all on function public.timeframe_ms(text) from public, anon, authenticated;
revoke all on function public.epoch_ms(timestamptz) from public, anon, authenticated;
revoke all on function public.is_aligned(timestamptz, text) from public, anon, authenticated;
grant execute on function public.timeframe_ms(text) to service_role;
grant execute on function public.epoch_ms(timestamptz) to service_role;
grant execute on function public.is_aligned(timestamptz, text) to service_role;
