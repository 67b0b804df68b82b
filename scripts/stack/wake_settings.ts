/**
 * The database settings the local stack takes over while it runs: where wake-ups go
 * (`functions_url`, `functions_secret`: Vault where the database has it, else private.config) and
 * whether late signals are posted (`notify_late_signals`). On a throwaway database they simply die
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
}

/** The settings as they were before the stack took them over (null = not set). */
export interface SavedWakeSettings {
  functionsUrl: string | null;
  secret: string | null;
  notifyLateSignals: string | null;
}

/** Reads the current settings (Vault first, then private.config, as the database reads them). */
export async function readWakeSettings(sql: postgres.Sql): Promise<SavedWakeSettings> {
  const [r] = await sql<
    { url: string | null; secret: string | null; late: string | null }[]
  >`select private.setting('functions_url') as url, private.setting('functions_secret') as secret,
      (select value from private.config where key = 'notify_late_signals') as late`;
  return { functionsUrl: r.url, secret: r.secret, notifyLateSignals: r.late };
}

/** Points the database's wake-ups at the stack and sets notify_late_signals for the run. */
export async function applyWakeSettings(sql: postgres.Sql, s: StackWakeSettings): Promise<void> {
  await sql`select private.configure_functions(${s.functionsUrl}, ${s.secret})`;
  await setLateSignals(sql, s.postLateSignals ? "on" : "off");
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
  await setLateSignals(sql, saved.notifyLateSignals);
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

async function setLateSignals(sql: postgres.Sql, value: string | null): Promise<void> {
  if (value === null) {
    await sql`delete from private.config where key = 'notify_late_signals'`;
    return;
  }
  await sql`insert into private.config (key, value) values ('notify_late_signals', ${value})
    on conflict (key) do update set value = excluded.value, updated_at = now()`;
}
