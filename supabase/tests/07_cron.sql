-- pg_cron jobs are registered with the documented schedules (skipped where pg_cron is absent).
begin;
create extension if not exists pgtap with schema extensions;
select plan(7);

select case when to_regnamespace('cron') is null then
  skip('pg_cron is not installed here', 7)
else
  collect_tap(
    results_eq($$select (jobname || ' ' || schedule)::text collate "C" from cron.job where jobname like 'wyckoff-%' order by 1$$,
      $$values ('wyckoff-analyze-sweep * * * * *'::text collate "C"), ('wyckoff-detect-gaps */5 * * * *'),
               ('wyckoff-notify-sweep * * * * *'), ('wyckoff-retention 17 3 * * *'),
               ('wyckoff-track-outcomes */5 * * * *')$$,
      'the five jobs run on their documented schedules'),
    is((select command from cron.job where jobname = 'wyckoff-analyze-sweep'), 'select private.sweep_analysis()',
      'the analyze sweep calls private.sweep_analysis()'),
    is_empty($$select j.name from private.jobs j left join cron.job c on c.jobname = j.name
               where c.schedule is distinct from j.schedule or c.command is distinct from j.command$$,
      'pg_cron runs exactly the private.jobs list (one list for pg_cron and the local stack)'),
    is((select command from cron.job where jobname = 'wyckoff-notify-sweep'), 'select private.sweep_notifications()',
      'the sweep job calls private.sweep_notifications()'),
    is((select command from cron.job where jobname = 'wyckoff-track-outcomes'), 'select api.track_outcomes()',
      'the outcome job calls api.track_outcomes()'),
    is((select command from cron.job where jobname = 'wyckoff-detect-gaps'), 'select private.detect_gaps()',
      'the gap job calls private.detect_gaps()'),
    is((select command from cron.job where jobname = 'wyckoff-retention'), 'select private.apply_retention()',
      'the retention job calls private.apply_retention()'))
end;

select * from finish();
rollback;
