/**
 * `deno task start`: the whole product on one machine (see scripts/stack/stack.ts and feed.ts).
 * Live Binance when it is reachable, otherwise (or with --replay) a replay of real candles through a
 * local server that speaks Binance's wire formats. Prints each stored signal as a preview (or, with
 * --json, one JSON object per signal with the fields of `deno task signals --json`), progress lines
 * on stderr, and a one-line summary on exit. Ctrl-C stops everything and removes the throwaway
 * database; exit 0.
 */

import { loadKlineInputs } from "./lib/cli/kline_inputs.ts";
import { formatLogText, type LogEntry, type Logger } from "./lib/cli/log.ts";
import { parseCli, repoRoot, runCli, UsageError } from "./lib/cli/run_cli.ts";
import { DB_URL_OPTIONS } from "./lib/cli/database.ts";
import { formatPreview, previewJson } from "./lib/report/signal_preview.ts";
import {
  binanceReachable,
  type Feed,
  replaySeries,
  startLiveFeed,
  startReplayFeed,
  trackReplayedSeries,
  waitCaughtUp,
} from "./stack/feed.ts";
import { type Stack, startStack } from "./stack/stack.ts";
import { discordFunctionEnv } from "./stack/discord_env.ts";
import { waitOutboxDrained } from "./stack/discord_outbox.ts";
import { seriesHeads } from "../supabase/functions/_shared/db_api.ts";
import type { ReplaySpeed } from "./fakes/binance.ts";

const HELP = `usage: deno task start [--replay FILE...] [--speed N|max] [--exit-when-done] [--json]
                       [--db-url URL] [--port N] [--live] [--verbose]
Runs the whole bot on this machine: Postgres with the migrations, every Edge Function bundle at
http://127.0.0.1:54321/functions/v1/<name>, the pg_net dispatcher, the scheduled jobs, and the relay.
The relay streams live Binance when it is reachable; otherwise it replays the bundled real candles
(BTC, ETH, SOL 15m and 1h, Jan-Feb 2025) through a local server speaking Binance's WebSocket and REST
formats. Each signal is printed as it is stored. Ctrl-C stops everything.
  --replay FILE...   replay these kline files (any format the CLIs read) instead of live data
  --speed N|max      replay speed: N × real time, or as fast as the pipeline goes (default max)
  --exit-when-done   stop once every replayed candle is stored and analysed
  --json             one JSON object per signal on stdout (the fields of deno task signals --json)
  --db-url URL       use this database (migrations and seed applied if missing) instead of a
                     throwaway one; env SUPABASE_DB_URL is NOT read implicitly
  --port N           port of the local API (default 54321, Supabase's)
  --live             stream live Binance (fail if unreachable) instead of deciding by a probe
  --verbose          every log line of every part (default: progress, warnings and errors)
Discord: with DISCORD_BOT_TOKEN + DISCORD_CHANNEL_ID (or DISCORD_WEBHOOK_URL) in the environment the
signal cards and their follow-ups are also posted (DISCORD_API_URL may point at deno task
fake:discord; a replay posts every replayed signal); without them only the previews are printed.`;

/** The bundled replay: real Binance candles of one period at two intervals. */
const DEFAULT_REPLAY = ["BTCUSDT", "ETHUSDT", "SOLUSDT"].flatMap((s) =>
  ["15m", "1h"].map((i) => `tests/fixtures/binance/${s}-${i}-2025W02-W07.json`)
);

function parseSpeed(v: string | undefined): ReplaySpeed {
  if (v === undefined || v === "max") return "max";
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--speed: expected a positive number or max, got ${v}`);
  }
  return n;
}

function parsePort(v: string | undefined): number {
  if (v === undefined) return 54321;
  if (!/^\d+$/.test(v) || Number(v) > 65535) {
    throw new UsageError(`--port: expected 0..65535, got ${v}`);
  }
  return Number(v);
}

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(args, HELP, {
    ...DB_URL_OPTIONS,
    replay: { type: "boolean" },
    speed: { type: "string" },
    "exit-when-done": { type: "boolean" },
    json: { type: "boolean" },
    port: { type: "string" },
    live: { type: "boolean" },
    verbose: { type: "boolean" },
  });
  const speed = parseSpeed(values.speed);
  const port = parsePort(values.port);
  if (positionals.length && !values.replay) {
    throw new UsageError(`unexpected argument ${positionals[0]} (replay files follow --replay)`);
  }
  if (values.live && values.replay) throw new UsageError("--live and --replay exclude each other");
  if (values["exit-when-done"] && values.live) {
    throw new UsageError("--exit-when-done needs a replay");
  }
  const root = repoRoot();
  const json = values.json ?? false;
  const discord = discordFunctionEnv(); // bad Discord settings stop here, in one line
  // Logs go to stderr so that stdout holds only the signals. Progress lines are plain sentences.
  const log: Logger = (e: LogEntry) => {
    if (!values.verbose && e.level === "info" && !e.progress) return;
    const { progress, ...rest } = e;
    if (json) console.error(JSON.stringify({ time: new Date().toISOString(), ...rest }));
    else console.error(progress && e.level === "info" ? e.msg : formatLogText(rest as LogEntry));
  };

  // Decide the feed before starting anything.
  let replayFiles: string[] | null = null;
  if (values.replay) {
    if (!positionals.length) throw new UsageError("--replay needs one or more kline files");
    replayFiles = positionals;
  } else if (!values.live) {
    log({ level: "info", msg: "probing Binance (data-api.binance.vision)…", progress: true });
    if (!(await binanceReachable())) {
      log({
        level: "info",
        msg: "Binance is not reachable from here: replaying the bundled real candles",
        progress: true,
      });
      replayFiles = DEFAULT_REPLAY.map((f) => root + f);
    }
  }
  const replayed = replayFiles
    ? (await loadKlineInputs(replayFiles, {}, { warnGaps: true })).map(replaySeries)
    : null;
  const exitWhenDone = values["exit-when-done"] ?? false;
  if (exitWhenDone && !replayed) throw new UsageError("--exit-when-done needs a replay");

  const started = performance.now();
  let stack: Stack | null = null;
  let feed: Feed | null = null;
  const stopRequested = Promise.withResolvers<string>();
  const onSignal = (name: string) => () => stopRequested.resolve(name);
  const handlers = [["SIGINT", onSignal("SIGINT")], ["SIGTERM", onSignal("SIGTERM")]] as const;
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  try {
    stack = await startStack({
      root,
      dbUrl: values["db-url"],
      port,
      postLateSignals: replayed !== null,
      functionEnv: discord.env,
      log,
      onSignal: (s) => console.log(json ? previewJson(s) : `${formatPreview(s)}\n`),
    });
    log({ level: "info", msg: `functions at ${stack.functionsUrl}`, progress: true });
    log({ level: "info", msg: discord.describe, progress: true });
    if (replayed) {
      await trackReplayedSeries(
        stack.sql,
        replayed.map((s) => ({ symbol: s.symbol, interval: s.interval as never })),
        !values["db-url"],
      );
      feed = await startReplayFeed(stack.sql, replayed, speed, log);
      log({
        level: "info",
        msg: `replaying ${replayed.length} series (${
          replayed.reduce((n, s) => n + s.rows.length, 0)
        } candles) at ${speed === "max" ? "max speed" : `${speed}×`}`,
        progress: true,
      });
    } else {
      feed = await startLiveFeed(stack.sql, log);
      log({
        level: "info",
        msg: `streaming live Binance: ${feed.relay.series.length} series`,
        progress: true,
      });
    }
    const ticker = setInterval(() => progress(stack!, feed!, log), 5000);
    try {
      const reason = await Promise.race([
        stopRequested.promise,
        exitWhenDone
          ? waitCaughtUp(stack.sql, feed)
            .then(() => discord.mode === "previews" ? undefined : waitOutboxDrained(stack!.sql))
            .then(() => "done")
          : new Promise<string>(() => {}),
      ]);
      log({
        level: "info",
        msg: reason === "done"
          ? `every replayed candle is stored and analysed${
            discord.mode === "previews" ? "" : ", every Discord message posted"
          }`
          : `stopping (${reason})`,
        progress: true,
      });
    } finally {
      clearInterval(ticker);
    }
    return 0;
  } finally {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
    const candles = feed?.relay.stats.candlesInserted ?? 0;
    await feed?.stop().catch((e) =>
      log({ level: "warn", msg: "relay stop failed", error: String(e) })
    );
    await stack?.stop();
    const signals = stack?.signals ?? 0;
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    console.error(
      `summary: ${candles} candles stored, ${signals} signals, ${
        feed?.replayed.length || feed?.relay.series.length || 0
      } series, ${secs} s`,
    );
  }
}

async function progress(stack: Stack, feed: Feed, log: Logger): Promise<void> {
  try {
    const heads = await seriesHeads(
      stack.sql,
      feed.replayed.length ? feed.replayed.map((r) => r.key) : undefined,
    );
    const newest = Math.max(...heads.map((h) => h.lastOpenTime ?? 0));
    const behind = heads.filter((h) =>
      h.lastOpenTime !== null && h.analyzedOpenTime !== h.lastOpenTime
    ).length;
    log({
      level: "info",
      msg: `${
        newest ? new Date(newest).toISOString().slice(0, 16).replace("T", " ") : "—"
      } UTC · ${feed.relay.stats.candlesInserted} candles · ${stack.signals} signals${
        behind ? ` · ${behind} series analysing` : ""
      }`,
      progress: true,
    });
  } catch { /* database busy or restarting */ }
}

if (import.meta.main) await runCli(main);
