/**
 * `deno task start`: the whole product on one machine (see scripts/stack/stack.ts and feed.ts).
 * Live Binance when it is reachable, otherwise (or with --replay) a replay of real candles through a
 * local server that speaks Binance's wire formats. Prints each stored signal as a preview (or, with
 * --json, one JSON object per signal with the fields of `deno task signals --json`), a line for each
 * printed signal withdrawn later (stderr with --json), progress lines on stderr, and a one-line
 * summary on exit. Ctrl-C stops everything and removes the throwaway
 * database; exit 0.
 */

import { loadKlineInputs } from "./lib/cli/kline_inputs.ts";
import { formatLogText, type LogEntry, type Logger } from "./lib/cli/log.ts";
import { parseCli, repoRoot, runCli, UsageError } from "./lib/cli/run_cli.ts";
import { DB_URL_OPTIONS, dbUrlFrom } from "./lib/cli/database.ts";
import { formatPreview, formatWithdrawal, previewJson } from "./lib/report/signal_preview.ts";
import {
  BINANCE_PING_URL,
  binanceReachable,
  type Feed,
  type IngestMode,
  startLiveFeed,
  startPollReplayFeed,
  startReplayFake,
  startReplayFeed,
  trackReplayedSeries,
  waitCaughtUp,
} from "./stack/feed.ts";
import { joinReplayFiles } from "./stack/replay_files.ts";
import type { ReplayCron } from "./stack/replay_cron.ts";
import { type Stack, startStack } from "./stack/stack.ts";
import { discordFunctionEnv } from "./stack/discord_env.ts";
import { waitOutboxDrained } from "./stack/discord_outbox.ts";
import type { Relay } from "./relay/relay.ts";
import {
  seriesHeads,
  type SeriesKey,
  trackedSeries,
} from "../supabase/functions/_shared/db_api.ts";
import type postgres from "postgres";
import type { FakeBinance, ReplaySpeed } from "./fakes/binance.ts";

const HELP = `usage: deno task start [--replay FILE...] [--speed N|max] [--exit-when-done] [--json]
                       [--ingest relay|poll|both] [--poll-delay MS]
                       [--db-url URL] [--port N] [--live] [--verbose]
Runs the whole bot on this machine: Postgres with the migrations, every Edge Function bundle at
http://127.0.0.1:54321/functions/v1/<name>, the pg_net dispatcher, the scheduled jobs, and the relay.
The relay streams live Binance when it is reachable; otherwise it replays the bundled real candles
(BTC, ETH, SOL 15m and 1h, Jan-Feb 2025) through a local server speaking Binance's WebSocket and REST
formats. Each signal is printed as it is stored; one withdrawn later (superseded when a late or
repaired candle changed its history) gets a "✖ WITHDRAWN" line. Ctrl-C stops everything.
  --replay FILE...   replay these kline files or folders (any format the CLIs read; the files of
                     one symbol and interval are joined in time order) instead of live data
  --speed N|max      replay speed: N × real time, or as fast as the pipeline goes (default max)
  --exit-when-done   stop once every replayed candle is stored and analysed
  --json             one JSON object per signal on stdout (the fields of deno task signals --json);
                     withdrawal lines go to stderr
  --ingest MODE      where candles come from (setting ingest_mode): relay (default: the relay
                     streams them), poll (no relay: the ingest function polls Binance REST at each
                     close, woken by the ingest job; in a replay the job runs at each close instant of
                     the replay's clock), both (the relay, and the job as a safety net)
  --poll-delay MS    setting poll_delay_ms: how long after a close the ingest function asks for it
                     (default: 0 in a replay, whose fake Binance has a closed candle at once; live, the
                     database's setting, 2000 when unset)
  --db-url URL       use this database (migrations and seed applied if missing) instead of a
                     throwaway one; env SUPABASE_DB_URL is NOT read implicitly
  --port N           port of the local API (default 54321, Supabase's)
  --live             stream live Binance (an error if it is unreachable) instead of deciding by
                     a probe
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

function parseIngest(v: string | undefined): IngestMode {
  if (v === undefined) return "relay";
  if (v !== "relay" && v !== "poll" && v !== "both") {
    throw new UsageError(`--ingest: expected relay, poll or both, got ${v}`);
  }
  return v;
}

function parsePollDelay(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 30_000) {
    throw new UsageError(`--poll-delay: expected 0..30000 (ms), got ${v}`);
  }
  return Number(v);
}

/** What start runs as its data feed: a relay, a replay cron, both, or (live poll mode) neither. */
interface Running {
  relay: Relay | null;
  cron: ReplayCron | null;
  fake: FakeBinance | null;
  /** The replayed series (empty when live). */
  replayed: Feed["replayed"];
  /** The series whose candles the run counts (the replayed ones, or those tracked at start). */
  keys: SeriesKey[];
  stop(): Promise<void>;
}

function parsePort(v: string | undefined): number {
  if (v === undefined) return 54321;
  if (!/^\d+$/.test(v) || Number(v) > 65535) {
    throw new UsageError(`--port: expected 0..65535, got ${v}`);
  }
  return Number(v);
}

/**
 * Refuses a port another process listens on, before anything starts (a second `deno task start`,
 * or `supabase start`, which uses 54321 too).
 */
function checkPortFree(port: number): void {
  if (port === 0) return;
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new UsageError(
        `port ${port} is already in use (another deno task start, or supabase start?): stop it or choose another with --port N`,
      );
    }
    throw e;
  }
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
    ingest: { type: "string" },
    "poll-delay": { type: "string" },
  });
  const speed = parseSpeed(values.speed);
  const port = parsePort(values.port);
  const mode = parseIngest(values.ingest);
  const pollDelay = parsePollDelay(values["poll-delay"]);
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

  // Decide the feed and check the inputs before starting anything.
  // --db-url only (SUPABASE_DB_URL is deliberately not read: a stray variable must not aim a replay at
  // a production database).
  const dbUrl = values["db-url"] === undefined ? undefined : dbUrlFrom(values, {});
  checkPortFree(port);
  let replayFiles: string[] | null = null;
  if (values.replay) {
    if (!positionals.length) throw new UsageError("--replay needs one or more kline files");
    replayFiles = positionals;
  } else {
    log({ level: "info", msg: "probing Binance (data-api.binance.vision)…", progress: true });
    const reachable = await binanceReachable();
    if (!reachable && values.live) {
      throw new UsageError(
        `--live: Binance is not reachable from here (${BINANCE_PING_URL} did not answer within 3 s)`,
      );
    }
    if (!reachable) {
      log({
        level: "info",
        msg: "Binance is not reachable from here: replaying the bundled real candles",
        progress: true,
      });
      replayFiles = DEFAULT_REPLAY.map((f) => root + f);
    }
  }
  const joined = replayFiles
    ? joinReplayFiles(await loadKlineInputs(replayFiles, {}, { warnGaps: true, joinSeries: false }))
    : null;
  for (const j of joined ?? []) {
    if (j.missingBetweenFiles > 0) {
      log({
        level: "warn",
        msg:
          `${j.series.symbol} ${j.series.interval}: ${j.missingBetweenFiles} candles missing between its ${j.paths.length} files; replayed as a gap`,
      });
    }
  }
  const replayed = joined?.map((j) => j.series) ?? null;
  const exitWhenDone = values["exit-when-done"] ?? false;
  if (exitWhenDone && !replayed) throw new UsageError("--exit-when-done needs a replay");

  const started = performance.now();
  let stack: Stack | null = null;
  let feed: Running | null = null;
  let fake: FakeBinance | null = null;
  let candlesBefore = 0;
  // Signals stay handled until everything is stopped: `deno task` forwards the terminal's Ctrl-C
  // (or a SIGTERM to the process group) a second time, and a repeated Ctrl-C must not kill the
  // process halfway through removing its database either.
  const stopRequested = Promise.withResolvers<string>();
  let requested: string | null = null;
  let repeated = false;
  const onSignal = (name: string) => () => {
    if (requested === null) {
      requested = name;
      stopRequested.resolve(name);
    } else if (!repeated) {
      repeated = true; // said once: deno task delivers each Ctrl-C twice
      log({ level: "info", msg: `${name}: still stopping…`, progress: true });
    }
  };
  const handlers = [["SIGINT", onSignal("SIGINT")], ["SIGTERM", onSignal("SIGTERM")]] as const;
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  // A kill -9 on `deno task start` ends deno task alone: this process, orphaned (its parent
  // changes), stops as on SIGTERM instead of running on unseen. (Its own children watch it in turn:
  // scripts/stack/functions.ts, scripts/db/harness.ts.)
  const parent = Deno.ppid;
  const parentWatch = setInterval(() => {
    if (Deno.ppid === parent) return;
    clearInterval(parentWatch);
    onSignal("parent process gone")();
  }, 500);
  try {
    // A replay's fake Binance starts first: the functions (backfill, ingest) are pointed at it.
    if (replayed) fake = await startReplayFake(replayed, mode, speed);
    const startup = startStack({
      root,
      dbUrl,
      port,
      postLateSignals: replayed !== null,
      functionEnv: { ...discord.env, ...(fake ? { BINANCE_REST_URL: fake.restUrl } : {}) },
      ingestMode: mode,
      pollDelayMs: pollDelay ?? (replayed ? 0 : undefined),
      ingestOnVirtualClock: replayed !== null && mode !== "relay",
      verbose: values.verbose,
      log,
      onSignal: (s) => console.log(json ? previewJson(s) : `${formatPreview(s)}\n`),
      // A printed signal withdrawn later (a late or changed candle): a line beside the previews;
      // with --json on stderr, so stdout keeps exactly the signal records.
      onWithdrawn: (w) =>
        json ? console.error(formatWithdrawal(w)) : console.log(`${formatWithdrawal(w)}\n`),
    });
    // Ctrl-C while starting: stop as soon as the stack is up (it cleans up what it started).
    stack = await startup;
    if (requested !== null) {
      log({ level: "info", msg: `stopping (${requested})`, progress: true });
      return 0;
    }
    log({ level: "info", msg: `functions at ${stack.functionsUrl}`, progress: true });
    log({
      level: "info",
      msg: `API at ${stack.url} (REST /rest/v1, Realtime /realtime/v1): its anon key and a test ` +
        `user's token are in .cache/local-api.json (deno task watch reads them)`,
      progress: true,
    });
    // A URL the user gave may hold a password: only the throwaway database's is printed.
    if (!values["db-url"]) {
      log({ level: "info", msg: `database (throwaway) at ${stack.dbUrl}`, progress: true });
    }
    log({ level: "info", msg: discord.describe, progress: true });
    if (replayed && fake) {
      const keys = replayed.map((s) => ({ symbol: s.symbol, interval: s.interval as never }));
      await trackReplayedSeries(stack.sql, keys, !values["db-url"]);
      candlesBefore = await countCandles(stack.sql, keys);
      const given = fake;
      fake = null; // the feed closes it from now on
      feed = mode === "relay"
        ? { ...await startReplayFeed(stack.sql, replayed, speed, log, {}, given), cron: null, keys }
        : { ...await startPollReplayFeed(stack.sql, given, replayed, mode, speed, log), keys };
      log({
        level: "info",
        msg: `replaying ${replayed.length} series (${
          replayed.reduce((n, s) => n + s.rows.length, 0)
        } candles) at ${speed === "max" ? "max speed" : `${speed}×`}, ingest ${mode}`,
        progress: true,
      });
    } else {
      const keys = await trackedSeries(stack.sql);
      candlesBefore = await countCandles(stack.sql, keys);
      if (mode === "poll") {
        feed = { relay: null, cron: null, fake: null, replayed: [], keys, stop: async () => {} };
        log({
          level: "info",
          msg:
            `polling live Binance: the ingest job wakes the ingest function at each close (${keys.length} series)`,
          progress: true,
        });
      } else {
        feed = { ...await startLiveFeed(stack.sql, log), cron: null, keys };
        log({
          level: "info",
          msg: `streaming live Binance: ${feed.relay?.series.length ?? 0} series${
            mode === "both" ? ", the ingest job polling as a safety net" : ""
          }`,
          progress: true,
        });
      }
    }
    const running = feed;
    const last = { msg: "", at: 0 };
    const ticker = setInterval(() => progress(stack!, running, candlesBefore, last, log), 5000);
    try {
      const reason = await Promise.race([
        stopRequested.promise,
        exitWhenDone
          ? untilDone(stack, running, discord.mode !== "previews")
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
    requested ??= "done";
    const ran = feed !== null;
    const series = feed?.keys.length ?? 0;
    await feed?.stop().catch((e) =>
      log({ level: "warn", msg: "feed stop failed", error: String(e) })
    );
    await fake?.close();
    // Counted in the database (the relay's own figure moves only as whole statements commit, and
    // the ingest function keeps none).
    const candles = !ran || !stack || !feed ? 0 : await countCandles(stack.sql, feed.keys).then(
      (n) => n - candlesBefore,
      () => feed?.relay?.stats.candlesInserted ?? 0,
    );
    await stack?.stop();
    clearInterval(parentWatch);
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
    if (ran) {
      // A run that never started prints its error alone (runCli), not a summary of nothing.
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      console.error(
        `summary: ${candles} candles stored, ${stack?.signals ?? 0} signals${
          stack?.withdrawn ? ` (${stack.withdrawn} more withdrawn)` : ""
        }, ${series} series, ${secs} s`,
      );
    }
  }
}

/**
 * Resolves "done" once every replayed candle is stored and analysed; then records the outcomes the
 * replayed candles decide (TP/SL/expiry, the job that runs every 5 minutes), so their follow-ups are
 * queued too, and with Discord settings waits until every card and follow-up is posted.
 */
async function untilDone(stack: Stack, feed: Running, posting: boolean): Promise<string> {
  await waitCaughtUp(stack.sql, feed);
  await stack.sql`select api.track_outcomes()`;
  if (posting) await waitOutboxDrained(stack.sql);
  return "done";
}

/** Candles stored for the series `keys`. */
async function countCandles(sql: postgres.Sql, keys: readonly SeriesKey[]): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.candles c
    join jsonb_to_recordset(${JSON.stringify(keys)}::text::jsonb) k(symbol text, interval text)
      on c.symbol = k.symbol and c.timeframe = k.interval`;
  return r.n;
}

/**
 * Logs a progress line (newest candle, candles stored, signals, series still analysing) when it
 * differs from the last one `last`, and at least once a minute while nothing changes.
 */
async function progress(
  stack: Stack,
  feed: Running,
  before: number,
  last: { msg: string; at: number },
  log: Logger,
): Promise<void> {
  try {
    const keys = feed.replayed.length ? feed.replayed.map((r) => r.key) : undefined;
    const heads = await seriesHeads(stack.sql, keys);
    const candles = await countCandles(stack.sql, feed.keys) - before;
    const newest = Math.max(...heads.map((h) => h.lastOpenTime ?? 0));
    const behind = heads.filter((h) =>
      h.lastOpenTime !== null && h.analyzedOpenTime !== h.lastOpenTime
    ).length;
    const msg = `${
      newest ? new Date(newest).toISOString().slice(0, 16).replace("T", " ") : "—"
    } UTC · ${candles} candles · ${stack.signals} signals${
      behind ? ` · ${behind} series analysing` : ""
    }`;
    if (msg === last.msg && Date.now() - last.at < 60_000) return;
    last.msg = msg;
    last.at = Date.now();
    log({ level: "info", msg, progress: true });
  } catch { /* database busy or restarting */ }
}

if (import.meta.main) await runCli(main);
