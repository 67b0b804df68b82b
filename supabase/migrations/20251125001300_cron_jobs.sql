-- pg_cron schedules (registered only where pg_cron exists; re-running updates them by name).
--   wyckoff-notify-sweep    every minute     private.sweep_notifications()
--   wyckoff-track-outcomes  every 5 minutes  api.track_outcomes()
--   wyckoff-detect-gaps     every 5 minutes  private.detect_gaps()
--   wyckoff-retention       daily 03:17 UTC  private.apply_retention()
do $$
begin
  if to_regnamespace('cron') is null then
    raise notice 'pg_cron is not installed: cron jobs not registered';
    return;
  end if;
  perform cron.schedule('wyckoff-notify-sweep', '* * * * *', 'select private.sweep_notifications()');
  perform cron.schedule('wyckoff-track-outcomes', '*/5 * * * *', 'select api.track_outcomes()');
  perform cron.schedule('wyckoff-detect-gaps', '*/5 * * * *', 'select private.detect_gaps()');
  perform cron.schedule('wyckoff-retention', '17 3 * * *', 'select private.apply_retention()');
end
$$;
