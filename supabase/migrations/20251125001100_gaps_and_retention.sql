-- Gap detection + backfill request (cron every 5 minutes) and retention (cron daily).

-- Finds missing candles of tracked series within lookback_days (setting gap_lookback_days, default 7),
-- records them in ingest_gaps, marks gaps whose candles all arrived as repaired, and sends ONE
-- wake-up to <functions_url>/backfill listing the gaps to fetch (open ones, and requested ones not
-- repaired after 30 minutes; after 5 requests a gap is marked unrepairable). Returns gaps requested.
create or replace function private.detect_gaps(lookback_days integer default null)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  days integer := coalesce(lookback_days, private.setting('gap_lookback_days')::integer, 7);
  wanted jsonb;
  request_id bigint;
begin
  with series as (
    select t.symbol, t.timeframe from api.tracked_series() t
  ), steps as (
    select c.symbol, c.timeframe, c.open_time,
      lead(c.open_time) over (partition by c.symbol, c.timeframe order by c.open_time) as next_open
    from public.candles c
    join series s on s.symbol = c.symbol and s.timeframe = c.timeframe
    where c.open_time >= now() - make_interval(days => days)
  ), holes as (
    select st.symbol, st.timeframe,
      case when st.timeframe = '1M' then st.open_time + interval '1 month'
           else st.open_time + public.timeframe_ms(st.timeframe) * interval '1 millisecond' end as gap_start,
      case when st.timeframe = '1M' then st.next_open - interval '1 month'
           else st.next_open - public.timeframe_ms(st.timeframe) * interval '1 millisecond' end as gap_end
    from steps st
    where st.next_open > case when st.timeframe = '1M' then st.open_time + interval '1 month'
           else st.open_time + public.timeframe_ms(st.timeframe) * interval '1 millisecond' end
  )
  insert into public.ingest_gaps (symbol, timeframe, gap_start, gap_end, missing)
  select h.symbol, h.timeframe, h.gap_start, h.gap_end,
    case when h.timeframe = '1M'
      then (extract(year from age(h.gap_end, h.gap_start)) * 12 + extract(month from age(h.gap_end, h.gap_start)))::integer + 1
      else ((public.epoch_ms(h.gap_end) - public.epoch_ms(h.gap_start)) / public.timeframe_ms(h.timeframe))::integer + 1
    end
  from holes h
  where not exists (
    select 1 from public.ingest_gaps g
    where g.symbol = h.symbol and g.timeframe = h.timeframe and g.status in ('open', 'requested')
      and h.gap_start between g.gap_start and g.gap_end)
  on conflict on constraint ingest_gaps_unique do nothing;

  update public.ingest_gaps g set status = 'repaired', repaired_at = now()
  where g.status in ('open', 'requested')
    and (select count(*) from public.candles c
         where c.symbol = g.symbol and c.timeframe = g.timeframe
           and c.open_time between g.gap_start and g.gap_end) >= g.missing;

  update public.ingest_gaps g set status = 'unrepairable'
  where g.status = 'requested' and g.request_count >= 5
    and g.requested_at < now() - interval '30 minutes';

  select jsonb_agg(jsonb_build_object('id', g.id, 'symbol', g.symbol, 'timeframe', g.timeframe,
      'start_ms', public.epoch_ms(g.gap_start), 'end_ms', public.epoch_ms(g.gap_end),
      'missing', g.missing) order by g.id)
  into wanted
  from (select * from public.ingest_gaps g
        where g.status = 'open'
           or (g.status = 'requested' and g.requested_at < now() - interval '30 minutes')
        order by g.id limit 200) g;
  if wanted is null then
    return 0;
  end if;
  request_id := private.wake('backfill', jsonb_build_object('reason', 'gaps', 'gaps', wanted));
  if request_id is null then
    return 0; -- not configured: leave the gaps open for the next run
  end if;
  update public.ingest_gaps g set status = 'requested', requested_at = now(),
    request_count = g.request_count + 1
  where g.id in (select (x ->> 'id')::bigint from jsonb_array_elements(wanted) x);
  return jsonb_array_length(wanted);
end
$$;
comment on function private.detect_gaps(integer) is
  'Cron job body: records missing candles of tracked series, marks repaired gaps, and requests a backfill with one wake-up.';

-- Deletes candles older than public.retention_policy allows, and repaired/unrepairable gaps older
-- than 30 days. Returns candles deleted.
create or replace function private.apply_retention()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  deleted bigint;
begin
  with gone as (
    delete from public.candles c
    using public.retention_policy p
    where p.timeframe = c.timeframe and p.keep_days is not null
      and c.open_time < now() - make_interval(days => p.keep_days)
    returning 1)
  select count(*) into deleted from gone;
  delete from public.ingest_gaps g
  where g.status in ('repaired', 'unrepairable') and g.detected_at < now() - interval '30 days';
  return deleted;
end
$$;
comment on function private.apply_retention() is
  'Cron job body: deletes candles past their timeframe''s retention (public.retention_policy) and old closed gaps.';

revoke all on function private.detect_gaps(integer) from public, anon, authenticated;
revoke all on function private.apply_retention() from public, anon, authenticated;
grant execute on function private.detect_gaps(integer) to service_role;
grant execute on function private.apply_retention() to service_role;
