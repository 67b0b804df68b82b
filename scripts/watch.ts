/**
 * `deno task watch`: prints each newly stored signal as it arrives over Supabase Realtime, as the
 * local stack previews it, against a hosted project or the local stack; no signal is lost across
 * reconnects (scripts/lib/watch/signal_subscriber.ts).
 */

import { createClient } from "@supabase/supabase-js";
import { INTERVALS, isInterval } from "../shared/candles/mod.ts";
import { positiveInt } from "./lib/cli/numbers.ts";
import { note, parseCli, repoRoot, runCli, UsageError } from "./lib/cli/run_cli.ts";
import { formatPreview, formatWithdrawal, previewJson } from "./lib/report/signal_preview.ts";
import { subscribeSignals } from "./lib/watch/signal_subscriber.ts";
import { type LocalApiInfo, readLocalApiInfo } from "./stack/local_api.ts";
import { processEnv } from "../supabase/functions/_shared/env.ts";

const HELP =
  `usage: deno task watch [--symbol S] [--timeframe T] [--last N] [--count N] [--json] [--url URL --key KEY] [--token JWT]
Prints each new signal as it is stored, as \`deno task start\` previews it, from a Supabase project's
Realtime (postgres_changes on public.signals). After every (re)subscribe it first reads the signals it
missed through the Data API, so nothing is lost across reconnects; each signal is printed once. A
withdrawn signal (superseded when a late or repaired candle changed its history) is never printed as
new; one printed before gets a "✖ WITHDRAWN" line (on stderr with --json).
  --symbol S      only this Binance symbol (e.g. BTCUSDT)
  --timeframe T   only this interval (${INTERVALS.join(" ")})
  --last N        first print the N most recent signals (at most 1000; default: none)
  --count N       exit after printing N signals (default: run until Ctrl-C)
  --json          one JSON record per line (deno task signals --json fields, without bar)
  --url URL       project URL (default: env SUPABASE_URL, else the running local stack's)
  --key KEY       the project's anon (publishable) key (default: env SUPABASE_ANON_KEY, else the
                  local stack's anon key, with its test user's token)
  --token JWT     a signed-in user's access token (default: env SUPABASE_USER_TOKEN); without one the
                  key's role reads, and anon reads nothing until db:configure --anon-signals on
Notes (subscribed, reconnecting) go to stderr.`;

/** Most rows one Data API request returns (PostgREST's `max_rows` on Supabase, the local REST's). */
const MAX_LAST = 1000;

/** Where and as whom to watch. */
export interface Project {
  url: string;
  key: string;
  token: string | undefined;
}

/**
 * The project to watch: `--url`/`--key`/`--token`, else env SUPABASE_URL / SUPABASE_ANON_KEY /
 * SUPABASE_USER_TOKEN, else the running local stack's published file (`local`): its URL, its anon
 * key and, when the key is the stack's own, its signed-in test user's token (so signals are readable
 * there as they are for a signed-in user on Supabase). Throws {@link UsageError} when there is no
 * URL or key, or the URL is not http(s).
 */
export function resolveProject(
  values: { url?: string; key?: string; token?: string },
  environment: Record<string, string | undefined>,
  local: LocalApiInfo | null,
): Project {
  const env = (name: string) => environment[name] || undefined;
  const url = values.url ?? env("SUPABASE_URL") ?? local?.url;
  if (url === undefined) {
    throw new UsageError(
      "no project: pass --url URL --key KEY, set SUPABASE_URL and SUPABASE_ANON_KEY, or start the local stack (deno task start)",
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url: not a URL: ${url}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(
      `--url: expected an http:// or https:// project URL, got ${parsed.protocol}//…`,
    );
  }
  const localHere = local !== null && local.url === url;
  const key = values.key ?? env("SUPABASE_ANON_KEY") ?? (localHere ? local.anonKey : undefined);
  if (key === undefined || key.trim() === "") {
    throw new UsageError(`no key for ${url}: pass --key KEY or set SUPABASE_ANON_KEY`);
  }
  const token = values.token ?? env("SUPABASE_USER_TOKEN") ??
    (localHere && key === local.anonKey && values.key === undefined ? local.userToken : undefined);
  return { url: url.replace(/\/+$/, ""), key, token };
}

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(args, HELP, {
    symbol: { type: "string" },
    timeframe: { type: "string" },
    last: { type: "string" },
    count: { type: "string" },
    json: { type: "boolean" },
    url: { type: "string" },
    key: { type: "string" },
    token: { type: "string" },
  });
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument ${positionals[0]} (see --help)`);
  }
  let symbol: string | undefined;
  if (values.symbol !== undefined) {
    if (!/^[A-Za-z0-9]{2,30}$/.test(values.symbol)) {
      throw new UsageError(
        `--symbol: expected a Binance symbol such as BTCUSDT, got ${values.symbol}`,
      );
    }
    symbol = values.symbol.toUpperCase();
  }
  if (values.timeframe !== undefined && !isInterval(values.timeframe)) {
    throw new UsageError(
      `--timeframe: expected one of ${INTERVALS.join(" ")}, got ${values.timeframe}`,
    );
  }
  const last = values.last === undefined ? 0 : positiveInt("last", values.last);
  if (last > MAX_LAST) {
    throw new UsageError(
      `--last: at most ${MAX_LAST} (the rows one Data API request returns), got ${last}`,
    );
  }
  const count = values.count === undefined ? Infinity : positiveInt("count", values.count);
  if (values.token !== undefined && values.token.trim() === "") {
    throw new UsageError("--token: empty (leave it out to read as the key's role)");
  }
  const environment = processEnv();
  const local = await readLocalApiInfo(repoRoot());
  const { url, key, token } = resolveProject(values, environment, local);
  // The project came from the file a local stack wrote: say so if nothing answers there.
  const fromLocalStack = values.url === undefined && !environment.SUPABASE_URL && local !== null;

  const client = createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(token ? { accessToken: () => Promise.resolve(token) } : {}),
  });
  // The channel joins with the token set now (supabase-js would otherwise race its own setAuth).
  await client.realtime.setAuth(token ?? key);

  let printed = 0;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((res) => (finish = res));
  let fatal: Error | null = null;
  const sub = subscribeSignals({
    client,
    credential: token ? "token" : "key",
    symbol,
    timeframe: values.timeframe,
    last,
    onSignal: (s) => {
      if (printed >= count) return;
      console.log(values.json ? previewJson(s) : `${formatPreview(s)}\n`);
      if (++printed >= count) finish(0);
    },
    // A printed signal withdrawn later (superseded after a late or changed candle): one line, on
    // stderr with --json so that stdout keeps exactly the signal records.
    onWithdrawn: (w) =>
      values.json ? note(formatWithdrawal(w)) : console.log(`${formatWithdrawal(w)}\n`),
    onNote: (line) => note(line),
    onFatal: (e) => {
      fatal = e;
      finish(1);
    },
  });
  sub.ready.then(() => {
    const what = [symbol, values.timeframe].filter(Boolean).join(" ") || "all signals";
    note(`watching ${what} at ${url} (Ctrl-C to stop)`);
  }, () => {});
  const onSigint = () => finish(0);
  Deno.addSignalListener("SIGINT", onSigint);
  const code = await done;
  Deno.removeSignalListener("SIGINT", onSigint);
  await sub.stop();
  if (fatal) {
    const e = fatal as Error;
    if (fromLocalStack && e.message.startsWith("cannot reach the project's Data API")) {
      throw new Error(
        `the local stack at ${url} does not answer (${
          e.message.replace(/^[^:]*: /, "")
        }): is deno task start still running? (.cache/local-api.json names it)`,
      );
    }
    throw e;
  }
  return code;
}

if (import.meta.main) await runCli(main);
