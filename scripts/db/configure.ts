/**
 * Sets the database's wake-up configuration (the one documented command): the Edge Functions base
 * URL and the key that signs every wake-up (HMAC-SHA256, headers x-wake-timestamp/x-wake-signature;
 * the key itself never leaves the database). Stored in Vault when the database has it (Supabase),
 * else in private.config. Optionally opens/closes signals to anon.
 *
 * Usage: `deno task db:configure [--db-url URL] --functions-url URL --secret S [--anon-signals on|off]
 * [--functions-region R] [--ingest-mode relay|poll|both] [--poll-delay MS] [--json]`; URL defaults to
 * env SUPABASE_DB_URL (alias DATABASE_URL), the secret to env WAKE_SECRET.
 */

import {
  type AnalyzerConfig,
  ConfigError,
  parseAnalyzerConfig,
} from "../../shared/signals/config.ts";
import { signalReach } from "../../shared/signals/can_signal.ts";
import { DB_URL_HELP, DB_URL_OPTIONS, dbUrlFrom, withSql } from "../lib/cli/database.ts";
import { note, parseCli, runCli, UsageError } from "../lib/cli/run_cli.ts";
import { processEnv } from "../../supabase/functions/_shared/env.ts";

const HELP =
  `usage: deno task db:configure [--db-url URL] [--functions-url URL --secret S] [--anon-signals on|off]
                              [--analyzer-config FILE|default] [--functions-region R|none]
                              [--ingest-mode relay|poll|both] [--poll-delay MS] [--json]
Sets where the database's wake-ups go (Vault on Supabase, else private.config), opens or closes read
access to signals for anon, and/or sets the analyzer settings the analyze function uses, the region
the functions run in, and where candles come from (relay, or the zero-server ingest poll).
${DB_URL_HELP}
  --functions-url URL   Edge Functions base URL, e.g. https://<ref>.supabase.co/functions/v1
  --secret S            shared wake-up secret, at least 16 characters (default: env WAKE_SECRET)
  --anon-signals on|off let anon read signals (on) or not (off)
  --functions-region R  run the functions woken by the database in Supabase region R (e.g.
                        eu-central-1; header x-region), or \`none\`: Binance refuses US addresses (451)
  --analyzer-config F   analyzer settings (a JSON file, as for \`deno task signals --config\`), checked
                        before storing; every series is then re-analysed with them; \`default\` = defaults
  --ingest-mode M       where candles come from: relay (the relay process), poll (zero-server: the
                        ingest function polls Binance REST at each close, woken by pg_cron) or both
  --poll-delay MS       how long after a close (Binance's clock) the ingest function asks for it
                        (0-30000, default 2000)
  --json                print one JSON object instead of text`;

/** Calls private.configure_functions; returns where the settings were stored ("vault" or "private.config"). */
export function configureFunctions(
  dbUrl: string,
  functionsUrl: string,
  secret: string,
): Promise<string> {
  return withSql(dbUrl, async (sql) => {
    const [r] = await sql`select private.configure_functions(${functionsUrl}, ${secret}) as stored`;
    return r.stored as string;
  });
}

/** Opens (true) or closes (false) read access to signals for anon; returns the new state. */
export function setAnonSignals(dbUrl: string, open: boolean): Promise<boolean> {
  return withSql(dbUrl, async (sql) => {
    const [r] = await sql`select private.set_anon_signals(${open}) as open`;
    return r.open as boolean;
  });
}

/** Runs `deno task db:configure`: checks every option first, then changes the database. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseCli(args, HELP, {
    ...DB_URL_OPTIONS,
    "functions-url": { type: "string" },
    secret: { type: "string" },
    "anon-signals": { type: "string" },
    "analyzer-config": { type: "string" },
    "functions-region": { type: "string" },
    "ingest-mode": { type: "string" },
    "poll-delay": { type: "string" },
    json: { type: "boolean" },
  });
  const ingestMode = values["ingest-mode"];
  if (ingestMode !== undefined && !["relay", "poll", "both"].includes(ingestMode)) {
    throw new UsageError(`--ingest-mode: expected relay, poll or both, got ${ingestMode}`);
  }
  const pollDelay = values["poll-delay"];
  if (pollDelay !== undefined && (!/^\d{1,5}$/.test(pollDelay) || Number(pollDelay) > 30_000)) {
    throw new UsageError(`--poll-delay: expected 0 to 30000 (ms), got ${pollDelay}`);
  }
  const functionsUrl = values["functions-url"];
  const anon = values["anon-signals"];
  const analyzerFile = values["analyzer-config"];
  const region = values["functions-region"];
  if (region !== undefined && region !== "none" && !FUNCTION_REGIONS.includes(region)) {
    throw new UsageError(
      `--functions-region: expected a Supabase region Edge Functions run in (${
        FUNCTION_REGIONS.join(", ")
      }) or none; got ${region}`,
    );
  }
  if (region?.startsWith("us-")) {
    note(
      `warning: --functions-region ${region}: Binance refuses US addresses (HTTP 451), so backfill will fail there; pick a region outside the US`,
    );
  }
  if (
    functionsUrl === undefined && anon === undefined && analyzerFile === undefined &&
    region === undefined && ingestMode === undefined && pollDelay === undefined
  ) {
    throw new UsageError(
      "nothing to do: pass --functions-url URL --secret S, --anon-signals on|off, --analyzer-config FILE, --functions-region R, --ingest-mode M and/or --poll-delay MS (see --help)",
    );
  }
  const analyzerSettings = analyzerFile === undefined
    ? undefined
    : await readAnalyzerSettings(analyzerFile);
  if (anon !== undefined && anon !== "on" && anon !== "off") {
    throw new UsageError(`--anon-signals: expected on or off, got ${anon}`);
  }
  let secret: string | undefined;
  if (functionsUrl !== undefined) {
    if (!/^https?:\/\/\S+$/.test(functionsUrl)) {
      throw new UsageError(`--functions-url: expected an http(s) URL, got ${functionsUrl}`);
    }
    secret = values.secret ?? envSecret();
    if (secret === undefined) throw new UsageError("--secret: pass --secret S or set WAKE_SECRET");
  }
  const url = dbUrlFrom(values);
  const result: {
    stored?: string;
    anonSignals?: boolean;
    analyzerConfig?: unknown;
    functionsRegion?: string | null;
    ingestMode?: string;
    pollDelayMs?: number;
  } = {};
  if (functionsUrl !== undefined && secret !== undefined) {
    result.stored = await configureFunctions(url, functionsUrl, secret);
  }
  if (anon !== undefined) result.anonSignals = await setAnonSignals(url, anon === "on");
  if (analyzerSettings !== undefined) {
    result.analyzerConfig = await setAnalyzerSettings(url, analyzerSettings);
  }
  if (region !== undefined) {
    result.functionsRegion = await setFunctionsRegion(url, region === "none" ? null : region);
  }
  if (ingestMode !== undefined) {
    await setSetting(url, "ingest_mode", ingestMode);
    result.ingestMode = ingestMode;
  }
  if (pollDelay !== undefined) {
    await setSetting(url, "poll_delay_ms", String(Number(pollDelay)));
    result.pollDelayMs = Number(pollDelay);
  }
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  if (result.stored !== undefined) {
    console.log(`wake-ups go to ${functionsUrl} (URL and secret stored in ${result.stored})`);
  }
  if (result.anonSignals !== undefined) {
    console.log(`anon ${result.anonSignals ? "can" : "cannot"} read signals`);
  }
  if (result.functionsRegion !== undefined) {
    console.log(
      result.functionsRegion === null
        ? "wake-ups run the functions in Supabase's default region (near the database)"
        : `wake-ups run the functions in ${result.functionsRegion} (header x-region)`,
    );
  }
  if (result.ingestMode !== undefined) {
    console.log(
      result.ingestMode === "relay"
        ? "ingest mode relay: the relay stores candles (no ingest job)"
        : `ingest mode ${result.ingestMode}: the wyckoff-ingest job wakes the ingest function every minute${
          result.ingestMode === "both" ? " (the relay streams as well)" : " (no relay needed)"
        }`,
    );
  }
  if (result.pollDelayMs !== undefined) {
    console.log(`the ingest function asks for a candle ${result.pollDelayMs} ms after its close`);
  }
  if (result.analyzerConfig !== undefined) {
    console.log(
      result.analyzerConfig === null
        ? "the analyze function uses the default analyzer settings"
        : `the analyze function uses ${analyzerFile} (every series is re-analysed at its next wake-up)`,
    );
  }
}

/**
 * Regions an Edge Function can be invoked in with the `x-region` header (Supabase docs, "Regional
 * Invocations": https://supabase.com/docs/guides/functions/regional-invocation).
 */
export const FUNCTION_REGIONS: readonly string[] = [
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-south-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ca-central-1",
  "us-east-1",
  "us-west-1",
  "us-west-2",
  "eu-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "sa-east-1",
];

/**
 * The analyzer settings of `file` (JSON, checked like the CLIs' --config), or null for `default`.
 * Throws UsageError naming the file and every bad field.
 */
async function readAnalyzerSettings(file: string): Promise<Record<string, unknown> | null> {
  if (file === "default") return null;
  const where = `--analyzer-config ${file}`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new UsageError(`${where}: no such file`);
    if (e instanceof Deno.errors.IsADirectory) throw new UsageError(`${where}: is a folder`);
    throw new UsageError(`${where}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${where}: not JSON`);
  }
  let config: AnalyzerConfig;
  try {
    config = parseAnalyzerConfig(value);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`${where}: ${e.message}`);
    throw e;
  }
  // As the CLIs' --config: settings under which the analyzer can never emit a signal are refused.
  const reach = signalReach(config);
  if (reach.never !== null) {
    throw new UsageError(`${where}: these settings can never produce a signal: ${reach.never}`);
  }
  for (const w of reach.warnings) note(`warning: ${w}`);
  return value as Record<string, unknown>;
}

/** Stores (or, for null, removes) the functions_region setting; returns what is stored. */
export function setFunctionsRegion(dbUrl: string, region: string | null): Promise<string | null> {
  return withSql(dbUrl, async (sql) => {
    if (region === null) await sql`delete from private.config where key = 'functions_region'`;
    else {
      await sql`insert into private.config (key, value) values ('functions_region', ${region})
        on conflict (key) do update set value = excluded.value, updated_at = now()`;
    }
    return region;
  });
}

/**
 * Stores setting `key` = `value` in private.config (checked on write: an invalid value raises the
 * database's one-line error). Writing ingest_mode adds or removes the wyckoff-ingest job.
 */
export function setSetting(dbUrl: string, key: string, value: string): Promise<void> {
  return withSql(dbUrl, async (sql) => {
    await sql`insert into private.config (key, value) values (${key}, ${value})
      on conflict (key) do update set value = excluded.value, updated_at = now()`;
  });
}

/** Stores (or, for null, removes) the analyzer_config setting; returns what is stored. */
export function setAnalyzerSettings(
  dbUrl: string,
  settings: Record<string, unknown> | null,
): Promise<Record<string, unknown> | null> {
  return withSql(dbUrl, async (sql) => {
    if (settings === null) {
      await sql`delete from private.config where key = 'analyzer_config'`;
    } else {
      await sql`insert into private.config (key, value) values ('analyzer_config', ${
        JSON.stringify(settings)
      })
        on conflict (key) do update set value = excluded.value, updated_at = now()`;
    }
    return settings;
  });
}

function envSecret(): string | undefined {
  return processEnv().WAKE_SECRET || undefined;
}

if (import.meta.main) await runCli(main);
