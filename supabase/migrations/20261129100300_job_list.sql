-- One list of scheduled jobs. pg_cron runs them where it exists (Supabase); the local stack
-- (`deno task start`) reads the same rows and runs them itself where pg_cron is absent.

create table if not exists private.jobs (
  name text primary key,
  schedule text not null check (schedule ~ '^\S+ \S+ \S+ \S+ \S+$'),
  command text not null,
  description text not null default ''
);
comment on table private.jobs is
  'Scheduled jobs (cron expression, SQL command): registered with pg_cron by private.schedule_jobs() where pg_cron exists, else run by the local stack.';
comment on column private.jobs.name is 'Job name (also its pg_cron job name).';
comment on column private.jobs.schedule is 'Standard 5-field cron expression, UTC.';
comment on column private.jobs.command is 'SQL the job runs.';
comment on column private.jobs.description is 'What the job is for.';
alter table private.jobs enable row level security;
revoke all on private.jobs from public, anon, authenticated;
grant select on private.jobs to service_role;

insert into private.jobs (name, schedule, command, description) values
  ('wyckoff-analyze-sweep', '* * * * *', 'select private.sweep_analysis()',
   'wakes analyze for series whose analysis lags their candles (lost or failed wake-ups)'),
  ('wyckoff-notify-sweep', '* * * * *', 'select private.sweep_notifications()',
   'wakes discord-notify for due notifications (retries, lost wake-ups)'),
  ('wyckoff-track-outcomes', '*/5 * * * *', 'select api.track_outcomes()',
   'records TP/SL/expiry outcomes of open signals'),
  ('wyckoff-detect-gaps', '*/5 * * * *', 'select private.detect_gaps()',
   'finds missing candles and asks backfill for them'),
  ('wyckoff-retention', '17 3 * * *', 'select private.apply_retention()',
   'deletes candles past their retention')
on conflict (name) do update
  set schedule = excluded.schedule, command = excluded.command, description = excluded.description;

-- Makes pg_cron's wyckoff-* jobs equal private.jobs (schedules new and changed jobs, unschedules
-- jobs no longer listed). Returns the number of jobs scheduled, or null where pg_cron is absent.
create or replace function private.schedule_jobs()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  j record;
  n integer := 0;
begin
  if to_regnamespace('cron') is null then
    raise notice 'pg_cron is not installed: jobs are not scheduled (the local stack runs private.jobs itself)';
    return null;
  end if;
  for j in execute 'select jobname from cron.job where jobname like ''wyckoff-%''
                    and jobname not in (select name from private.jobs)' loop
    execute 'select cron.unschedule($1)' using j.jobname;
  end loop;
  for j in select * from private.jobs order by name loop
    execute 'select cron.schedule($1, $2, $3)' using j.name, j.schedule, j.command;
    n := n + 1;
  end loop;
  return n;
end
$$;
comment on function private.schedule_jobs() is
  'Registers private.jobs with pg_cron (by name; unlisted wyckoff-* jobs are removed); null where pg_cron is absent.';
revoke all on function private.schedule_jobs() from public, anon, authenticated;

select private.schedule_jobs();
