/**
 * The relay's command-line settings: flags first, then environment variables, then defaults.
 *
 * | flag                  | environment        | default                                  |
 * | --------------------- | ------------------ | ---------------------------------------- |
 * | `--db-url URL`        | `SUPABASE_DB_URL`  | (required; `DATABASE_URL` also accepted) |
 * | `--series LIST`       | `RELAY_SERIES`     | `api.tracked_series`                     |
 * | `--ws-url URL`        | `BINANCE_WS_URL`   | wss://data-stream.binance.vision         |
 * | `--rest-url URL`      | `BINANCE_REST_URL` | https://data-api.binance.vision          |
 * | `--relay-id ID`       | `RELAY_ID`         | relay                                    |
 * | `--microseconds`      | —                  | off                                      |
 * | `--initial-candles N` | —                  | 1000                                     |
 * | `--max-streams N`     | —                  | 1024                                     |
 * | `--text`              | —                  | JSON log lines                           |
 */

import { BINANCE_REST_URLS } from "../../supabase/functions/_shared/binance_rest.ts";
import type { SeriesKey } from "../../supabase/functions/_shared/db_api.ts";
import { processEnv } from "../../supabase/functions/_shared/env.ts";
import { DB_URL_HELP, DB_URL_OPTIONS, dbUrlFrom } from "../lib/cli/database.ts";
import { positiveInt } from "../lib/cli/numbers.ts";
import { UsageError } from "../lib/cli/run_cli.ts";
import { BINANCE_WS_URL } from "./relay.ts";
import { parseSeriesList } from "./series.ts";

/** parseArgs options of `deno task relay`. */
export const RELAY_OPTIONS = {
  ...DB_URL_OPTIONS,
  series: { type: "string" },
  "ws-url": { type: "string" },
  "rest-url": { type: "string" },
  "relay-id": { type: "string" },
  microseconds: { type: "boolean" },
  "initial-candles": { type: "string" },
  "max-streams": { type: "string" },
  text: { type: "boolean" },
} as const;

/** `deno task relay --help`. */
export const RELAY_HELP = `usage: deno task relay [options]
Streams closed Binance candles of the tracked series into Postgres (api.ingest_candles), with REST
backfill on start and after every reconnect. Runs until SIGINT/SIGTERM, then flushes and exits 0.
${DB_URL_HELP}
  --series LIST         series to stream, e.g. BTCUSDT:1h,ETHUSDT:15m (env RELAY_SERIES;
                        default: api.tracked_series, re-read every minute)
  --ws-url URL          Binance streams base URL (env BINANCE_WS_URL; default ${BINANCE_WS_URL};
                        also wss://stream.binance.com:9443 or a local fake)
  --rest-url URL        Binance REST base URL (env BINANCE_REST_URL; default ${BINANCE_REST_URLS.dataApi};
                        also https://api.binance.com or a local fake)
  --relay-id ID         name in public.relay_status (env RELAY_ID; default relay)
  --microseconds        ask Binance for µs times (stored in ms either way)
  --initial-candles N   candles fetched for a series with none stored (default 1000)
  --max-streams N       streams per connection (default 1024, Binance's maximum)
  --text                log text lines instead of one JSON object per line`;

/** Settings read from flags and environment. */
export interface RelayCliConfig {
  dbUrl: string;
  series?: SeriesKey[];
  wsUrl: string;
  restUrl: string;
  relayId: string;
  microseconds: boolean;
  initialCandles: number;
  maxStreams: number;
  text: boolean;
}

/** Flag values as parseArgs returns them for {@link RELAY_OPTIONS}. */
export interface RelayFlagValues {
  "db-url"?: string;
  series?: string;
  "ws-url"?: string;
  "rest-url"?: string;
  "relay-id"?: string;
  microseconds?: boolean;
  "initial-candles"?: string;
  "max-streams"?: string;
  text?: boolean;
}

/** Reads the settings; throws UsageError naming the flag or variable on a bad value. */
export function relayConfig(
  values: RelayFlagValues,
  env: Record<string, string> = processEnv(),
): RelayCliConfig {
  const pick = (flag: keyof RelayFlagValues, name: string) => {
    const v = values[flag];
    if (typeof v === "string") return { value: v, source: `--${flag}` };
    const e = env[name];
    return e ? { value: e, source: name } : null;
  };
  const series = pick("series", "RELAY_SERIES");
  let keys: SeriesKey[] | undefined;
  if (series) {
    try {
      keys = parseSeriesList(series.value);
    } catch (e) {
      throw new UsageError(`${series.source}: ${(e as Error).message}`);
    }
  }
  const ws = pick("ws-url", "BINANCE_WS_URL");
  const rest = pick("rest-url", "BINANCE_REST_URL");
  const id = pick("relay-id", "RELAY_ID");
  const maxStreams = values["max-streams"] === undefined
    ? 1024
    : positiveInt("max-streams", values["max-streams"]);
  if (maxStreams > 1024) {
    throw new UsageError("--max-streams: Binance allows at most 1024 streams per connection");
  }
  const wsUrl = url(ws, /^wss?:$/, BINANCE_WS_URL, "a ws:// or wss:// URL");
  const restUrl = url(rest, /^https?:$/, BINANCE_REST_URLS.dataApi, "an http:// or https:// URL");
  const initialCandles = values["initial-candles"] === undefined
    ? 1000
    : positiveInt("initial-candles", values["initial-candles"]);
  return {
    dbUrl: dbUrlFrom(values),
    series: keys,
    wsUrl,
    restUrl,
    relayId: id?.value ?? "relay",
    microseconds: values.microseconds ?? false,
    initialCandles,
    maxStreams,
    text: values.text ?? false,
  };
}

function url(
  v: { value: string; source: string } | null,
  protocol: RegExp,
  fallback: string,
  what: string,
): string {
  if (v === null) return fallback;
  let u: URL;
  try {
    u = new URL(v.value);
  } catch {
    throw new UsageError(`${v.source}: not a URL: ${v.value} (expected ${what})`);
  }
  if (!protocol.test(u.protocol)) {
    throw new UsageError(`${v.source}: expected ${what}, got ${v.value}`);
  }
  return v.value.replace(/\/+$/, "");
}
