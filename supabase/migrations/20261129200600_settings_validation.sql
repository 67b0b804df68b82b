-- Settings are validated when written (issue 11, item 10): the cron jobs and wake-ups read them on
-- every run, so a bad value used to fail silently there (wake_timeout_ms = 'abc' stopped every
-- wake-up; a bad gap_lookback_days, notify_max_attempts or keep_days failed those jobs each time).
-- A trigger on private.config checks every insert and update; retention_policy.keep_days is bounded
-- so that now() - keep_days stays a valid time.

-- Why value is not a valid value for setting key, or null when it is (or when this version does not
-- read key: settings added by later migrations are stored as given).
create or replace function private.setting_problem(key text, value text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  lo bigint;
  hi bigint;
begin
  if key !~ '^[a-z][a-z0-9_]{0,62}$' then
    return 'name must be lower-case letters, digits and _ (at most 63)';
  end if;
  if value is null then
    return 'value is required';
  end if;
  case key
    when 'functions_url' then
      if value !~ '^https?://[^\s]+$' or length(value) > 2048 then
        return 'must be an http:// or https:// URL without spaces (at most 2048 characters)';
      end if;
      return null;
    when 'functions_secret' then
      if length(value) < 16 or length(value) > 4096 then
        return 'must be 16 to 4096 characters';
      end if;
      return null;
    when 'notify_late_signals' then
      if value not in ('on', 'off') then
        return 'must be on or off';
      end if;
      return null;
    when 'analyzer_config' then
      begin
        if jsonb_typeof(value::jsonb) <> 'object' then
          return 'must be a JSON object';
        end if;
      exception when others then
        return 'must be a JSON object';
      end;
      return null;
    when 'wake_timeout_ms' then lo := 100; hi := 600000;
    when 'notify_max_attempts' then lo := 1; hi := 100;
    when 'outcome_expiry_bars' then lo := 1; hi := 100000;
    when 'gap_lookback_days' then lo := 1; hi := 365;
    else
      return null;
  end case;
  if value !~ '^[0-9]{1,9}$' or value::bigint not between lo and hi then
    return format('must be an integer from %s to %s', lo, hi);
  end if;
  return null;
end
$$;
comment on function private.setting_problem(text, text) is
  'Why a value is invalid for a setting (functions_url, functions_secret, wake_timeout_ms, notify_max_attempts, outcome_expiry_bars, gap_lookback_days, notify_late_signals, analyzer_config); null when valid or not a setting this version reads.';
revoke all on function private.setting_problem(text, text) from public, anon, authenticated;
grant execute on function private.setting_problem(text, text) to service_role;

-- Trigger: refuses an invalid setting with 22023, naming the setting and the rule; the row is unchanged.
create or replace function private.check_setting()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  problem text := private.setting_problem(new.key, new.value);
begin
  if problem is not null then
    raise exception 'private.config: % % (got "%")', private.clip(new.key, 40), problem,
      case when new.key = 'functions_secret' then '…' else private.clip(new.value, 40) end
      using errcode = '22023', hint = 'The setting was not changed.';
  end if;
  return new;
end
$$;
comment on function private.check_setting() is 'Trigger: validates each private.config row written (private.setting_problem).';
revoke all on function private.check_setting() from public, anon, authenticated;

create or replace trigger config_check_setting
  before insert or update on private.config
  for each row execute function private.check_setting();

-- Rows written before the check existed are reported, not changed.
do $$
declare
  r record;
begin
  for r in select c.key, private.setting_problem(c.key, c.value) as problem from private.config c
           where private.setting_problem(c.key, c.value) is not null loop
    raise warning 'private.config: stored setting % is invalid: % (fix it; jobs that read it fail)', r.key, r.problem;
  end loop;
end
$$;

-- keep_days: up to 100 years, so the retention job's now() - keep_days days stays a valid time.
alter table public.retention_policy drop constraint if exists retention_policy_keep_days_bounded;
alter table public.retention_policy add constraint retention_policy_keep_days_bounded
  check (keep_days is null or keep_days between 1 and 36500) not valid;
do $$
begin
  alter table public.retention_policy validate constraint retention_policy_keep_days_bounded;
exception when check_violation then
  raise warning 'retention_policy: stored keep_days beyond 36500 days (checked for new rows only)';
end
$$;
