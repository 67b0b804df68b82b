/**
 * The database settings the local stack takes over while it runs: where wake-ups go
 * (`functions_url`, `functions_secret`: Vault where the database has it, else private.config),
 * whether late signals are posted (`notify_late_signals`), and where candles come from
 * (`ingest_mode`, `poll_delay_ms`, when the run names them). On a throwaway database they simply die
 * with it; on a database named with `--db-url` (e.g. `supabase start`'s) the values found before are
 * put back when the stack stops, so the database does not keep waking a stopped local gateway with
 * a secret nobody has, nor keep posting stale signals.
 */

import type postgres from "postgres";

/** What the stack sets for its run. */
export interface StackWakeSettings {
  /** `http://127.0.0.1:<port>/functions/v1` of this run's gateway. */
  functionsUrl: string;
  /** This run's signing key (≥ 16 characters). */
  secret: string;
  /** notify_late_signals on (replays of old candles) or off. */
  postLateSignals: boolean;
  /** ingest_mode for the run (relay, poll or both; writing it lists or removes the ingest job). */
  ingestMode?: "relay" | "poll" | "both";
  /** poll_delay_ms for the run (ms, 0-30000); unset = the database's. */
  pollDelayMs?: number;
}

/** The settings as they were before the stack took them over (null = not set). */
export interface SavedWakeSettings {
  functionsUrl: string | null;
  secret: string | null;
  notifyLateSignals: string | null;
  ingestMode: string | null;
  pollDelayMs: string | null;
}

/** Reads the current settings (Vault first, then private.config, as the database reads them). */
export async function readWakeSettings(sql: postgres.Sql): Promise<SavedWakeSettings> {
  const [r] = await sql<
    {
      url: string | null;
      secret: string | null;
      late: string | null;
      mode: string | null;
      delay: string | null;
    }[]
  >`select private.setting('functions_url') as url, private.setting('functions_secret') as secret,
      (select value from private.config where key = 'notify_late_signals') as late,
      (select value from private.config where key = 'ingest_mode') as mode,
      (select value from private.config where key = 'poll_delay_ms') as delay`;
  return {
    functionsUrl: r.url,
    secret: r.secret,
    notifyLateSignals: r.late,
    ingestMode: r.mode,
    pollDelayMs: r.delay,
  };
}

/** Points the database's wake-ups at the stack and sets notify_late_signals for the run. */
export async function applyWakeSettings(sql: postgres.Sql, s: StackWakeSettings): Promise<void> {
  await sql`select private.configure_functions(${s.functionsUrl}, ${s.secret})`;
  await setConfig(sql, "notify_late_signals", s.postLateSignals ? "on" : "off");
  if (s.ingestMode !== undefined) await setConfig(sql, "ingest_mode", s.ingestMode);
  if (s.pollDelayMs !== undefined) await setConfig(sql, "poll_delay_ms", String(s.pollDelayMs));
}

/**
 * Puts `saved` back. Settings that were not set before are removed again (from private.config and,
 * where the stack wrote them there, from Vault). Returns a sentence for each one that could not be
 * restored (empty when all were).
 */
export async function restoreWakeSettings(
  sql: postgres.Sql,
  saved: SavedWakeSettings,
): Promise<string[]> {
  const problems: string[] = [];
  await setConfig(sql, "notify_late_signals", saved.notifyLateSignals);
  await setConfig(sql, "ingest_mode", saved.ingestMode);
  await setConfig(sql, "poll_delay_ms", saved.pollDelayMs);
  if (saved.functionsUrl !== null && saved.secret !== null) {
    await sql`select private.configure_functions(${saved.functionsUrl}, ${saved.secret})`;
    return problems;
  }
  await sql`delete from private.config where key in ('functions_url', 'functions_secret')`;
  const [{ vault }] = await sql`select to_regclass('vault.secrets') is not null as vault`;
  if (vault) {
    try {
      await sql`delete from vault.secrets
        where name in ('wyckoff_functions_url', 'wyckoff_functions_secret')`;
    } catch (e) {
      problems.push(
        `wake-ups still go to this run's address (Vault: ${
          (e as Error).message.split("\n")[0]
        }); set them with deno task db:configure`,
      );
    }
  }
  return problems;
}

/** Stores private.config `key` = `value`, or removes the row for null (a write the row already has is skipped). */
async function setConfig(sql: postgres.Sql, key: string, value: string | null): Promise<void> {
  if (value === null) {
    await sql`delete from private.config where key = ${key}`;
    return;
  }
  await sql`insert into private.config (key, value) values (${key}, ${value})
    on conflict (key) do update set value = excluded.value, updated_at = now()
    where private.config.value is distinct from excluded.value`;
}
