/**
 * The data feed of the local stack: the relay (scripts/relay/relay.ts) streaming from live Binance,
 * or from the local fake Binance (scripts/fakes/binance.ts) replaying kline files on a virtual clock
 * through the same WebSocket and REST wire formats; in the zero-server modes the ingest function,
 * woken by the ingest job (on a replay's virtual clock: scripts/stack/replay_cron.ts), polls REST.
 */

import type postgres from "postgres";
import type { LoadedKlines } from "../lib/klines/load_klines.ts";
import type { Logger } from "../lib/cli/log.ts";
import {
  type FakeBinance,
  type KlineRow,
  type ReplaySeries,
  type ReplaySpeed,
  startFakeBinance,
} from "../fakes/binance.ts";
import { type Relay, type RelayOptions, startRelay } from "../relay/relay.ts";
import { type ReplayCron, type ReplayCronOptions, startReplayCron } from "./replay_cron.ts";
import { INTERVAL_MS } from "../../shared/candles/intervals.ts";
import { seriesHeads, type SeriesKey } from "../../supabase/functions/_shared/db_api.ts";
import { isConnectionLoss } from "../../supabase/functions/_shared/postgres_restart.ts";

/** Binance's market-data REST address, probed to decide between live and replay. */
export const BINANCE_PING_URL = "https://data-api.binance.vision/api/v3/ping";

/** True when Binance's market-data API answers within `timeoutMs`. */
export async function binanceReachable(timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(BINANCE_PING_URL, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** A loaded kline file as the fake replays it: REST rows, decimals as the shortest exact strings. */
export function replaySeries(k: LoadedKlines): ReplaySeries {
  if (!k.symbol || !k.interval) {
    throw new Error(
      `${k.path}: cannot tell symbol and interval (name the file SYMBOL-interval-….json)`,
    );
  }
  const step = INTERVAL_MS[k.interval];
  const rows: KlineRow[] = k.candles.map((c) => [
    c.openTime,
    String(c.open),
    String(c.high),
    String(c.low),
    String(c.close),
    String(c.volume),
    c.closeTime ?? c.openTime + step - 1,
    String(c.quoteVolume ?? 0),
    c.trades ?? 0,
    String(c.takerBuyBase ?? 0),
    String(c.takerBuyQuote ?? 0),
    "0",
  ]);
  return { symbol: k.symbol, interval: k.interval, rows };
}

/**
 * Makes the replayed series the tracked ones: each symbol exists and is active with exactly the
 * replayed timeframes; with `exclusive`, every other symbol is deactivated (a throwaway database).
 */
export async function trackReplayedSeries(
  sql: postgres.Sql,
  series: readonly SeriesKey[],
  exclusive: boolean,
): Promise<void> {
  const bySymbol = new Map<string, string[]>();
  for (const s of series) bySymbol.set(s.symbol, [...(bySymbol.get(s.symbol) ?? []), s.interval]);
  await sql.begin(async (tx) => {
    if (exclusive) await tx`update public.symbols set active = false`;
    for (const [symbol, tfs] of bySymbol) {
      const quote = ["USDT", "USDC", "FDUSD", "BTC", "ETH", "BNB", "EUR"].find((q) =>
        symbol.endsWith(q) && symbol !== q
      ) ??
        "";
      const base = quote ? symbol.slice(0, -quote.length) : symbol;
      await tx`insert into public.symbols (symbol, base_asset, quote_asset, display_name, active, timeframes)
        values (${symbol}, ${base}, ${quote || "?"}, ${
        quote ? `${base}/${quote}` : symbol
      }, true, ${tfs})
        on conflict (symbol) do update set active = true,
          timeframes = case when ${exclusive} then excluded.timeframes
            else (select array_agg(distinct t) from unnest(public.symbols.timeframes || excluded.timeframes) t) end`;
    }
  });
}

/** A running feed. */
export interface Feed {
  kind: "live" | "replay";
  relay: Relay;
  /** The fake Binance of a replay. */
  fake: FakeBinance | null;
  /** The replayed series and their last open time (ms). */
  replayed: { key: SeriesKey; lastOpenTime: number; candles: number }[];
  stop(): Promise<void>;
}

/**
 * History the relay fetches for a replayed series with nothing stored (its `initialCandles`): at
 * least 1,000 (the relay's default) and twice the longest series' span in intervals, so the first
 * backfill reaches back to each series' first row even when its server-time cutoff comes late
 * (say, after a 429's Retry-After at "max" speed, or with the replay over) and never truncates
 * the history.
 */
export function replayInitialCandles(series: readonly ReplaySeries[]): number {
  let most = 0;
  for (const s of series) {
    if (s.rows.length === 0) continue;
    const step = INTERVAL_MS[s.interval as SeriesKey["interval"]];
    most = Math.max(most, Math.ceil((s.rows[s.rows.length - 1][0] - s.rows[0][0]) / step) + 1);
  }
  return Math.max(1000, 2 * most);
}

/**
 * Starts a replay of `series` at `speed` through the fake Binance and the relay (its history
 * reaching back to every series' first row: {@link replayInitialCandles}); a new fake, or `fake`
 * when given: the feed then closes it on stop all the same.
 */
export async function startReplayFeed(
  sql: postgres.Sql,
  series: readonly ReplaySeries[],
  speed: ReplaySpeed,
  log: Logger,
  relayOptions: Partial<Omit<RelayOptions, "sql">> = {},
  given?: FakeBinance,
): Promise<Feed> {
  const fake = given ?? await startFakeBinance({ series: [...series], speed });
  // Stopping a replay early drops what the relay had not stored yet: expected, so not an error.
  let stopping = false;
  const relayLog: Logger = (e) =>
    log(stopping && e.msg === "relay stopped" && e.level === "error" ? { ...e, level: "info" } : e);
  const keys = series.map((s) => ({
    symbol: s.symbol,
    interval: s.interval as SeriesKey["interval"],
  }));
  let relay: Relay;
  try {
    relay = await startRelay({
      sql,
      series: keys,
      wsUrl: fake.wsUrl,
      restUrl: fake.restUrl,
      log: relayLog,
      relayId: "replay",
      shutdownTimeoutMs: 3000,
      initialCandles: replayInitialCandles(series),
      ...relayOptions,
    });
  } catch (e) {
    await fake.close();
    throw e;
  }
  return {
    kind: "replay",
    relay,
    fake,
    replayed: replayedOf(series),
    stop: async () => {
      stopping = true;
      fake.pause();
      await relay.stop();
      await fake.close();
    },
  };
}

function replayedOf(series: readonly ReplaySeries[]): Feed["replayed"] {
  return series.map((s) => ({
    key: { symbol: s.symbol, interval: s.interval as SeriesKey["interval"] },
    lastOpenTime: s.rows[s.rows.length - 1][0],
    candles: s.rows.length,
  }));
}

/** Where candles come from: the relay, the ingest function polling at each close, or both. */
export type IngestMode = "relay" | "poll" | "both";

/**
 * The fake Binance for a replay in `mode`: in poll mode nothing streams, so the replay cron drives
 * its clock (speed 1 while a run waits and fetches, still in between); otherwise the relay's first
 * subscription starts it at `speed`. In poll and both modes its REST weight window runs on the
 * replay's clock: live, the ingest function spends at most 1 + 1 + 2 per series in a minute, but a
 * replay runs it at hundreds of close instants a real minute, and a real-time window would make it
 * wait for Binance's next minute (the 45 s run budget then ends the run) where Binance never would.
 */
export function startReplayFake(
  series: readonly ReplaySeries[],
  mode: IngestMode,
  speed: ReplaySpeed,
): Promise<FakeBinance> {
  const rateLimitsOnVirtualClock = mode !== "relay";
  return mode === "poll"
    ? startFakeBinance({
      series: [...series],
      speed: 1,
      autoStart: false,
      rateLimitsOnVirtualClock,
    })
    : startFakeBinance({ series: [...series], speed, rateLimitsOnVirtualClock });
}

/** A replay in poll or both mode: the replay cron runs the ingest job; in both mode the relay streams too. */
export interface PollReplayFeed {
  kind: "replay";
  mode: "poll" | "both";
  relay: Relay | null;
  cron: ReplayCron;
  fake: FakeBinance;
  replayed: Feed["replayed"];
  stop(): Promise<void>;
}

/**
 * Starts a poll- or both-mode replay of `series` on `fake` (from {@link startReplayFake}): the ingest
 * job runs at each close instant of the replayed candles (scripts/stack/replay_cron.ts); in both
 * mode the relay streams as well. The stack must have been started with that ingest mode, its
 * functions pointed at the fake (`BINANCE_REST_URL`).
 */
export async function startPollReplayFeed(
  sql: postgres.Sql,
  fake: FakeBinance,
  series: readonly ReplaySeries[],
  mode: "poll" | "both",
  speed: ReplaySpeed,
  log: Logger,
  opts: {
    skip?: ReplayCronOptions["skip"];
    beforeRun?: ReplayCronOptions["beforeRun"];
    relayOptions?: Partial<Omit<RelayOptions, "sql">>;
  } = {},
): Promise<PollReplayFeed> {
  const relayFeed = mode === "both"
    ? await startReplayFeed(sql, series, speed, log, opts.relayOptions, fake)
    : null;
  const replayed = replayedOf(series);
  const cron = startReplayCron({
    sql,
    fake,
    instants: series.flatMap((s) => s.rows.map((r) => r[6] + 1)),
    drive: mode === "poll",
    speed,
    skip: opts.skip,
    beforeRun: opts.beforeRun,
    log,
    complete: async () => {
      const heads = await seriesHeads(sql, replayed.map((r) => r.key));
      return replayed.every((r) =>
        heads.some((h) =>
          h.symbol === r.key.symbol && h.interval === r.key.interval &&
          h.lastOpenTime === r.lastOpenTime
        )
      );
    },
  });
  return {
    kind: "replay",
    mode,
    relay: relayFeed?.relay ?? null,
    cron,
    fake,
    replayed,
    stop: async () => {
      await cron.stop();
      if (relayFeed) await relayFeed.stop();
      else await fake.close();
    },
  };
}

/** Starts the relay against live Binance for the tracked series. */
export async function startLiveFeed(sql: postgres.Sql, log: Logger): Promise<Feed> {
  const relay = await startRelay({ sql, log, relayId: "local" });
  return {
    kind: "live",
    relay,
    fake: null,
    replayed: [],
    stop: async () => void (await relay.stop()),
  };
}

/** A series a replay must deliver completely, and its last open time (ms). */
export interface ExpectedSeries {
  key: SeriesKey;
  lastOpenTime: number;
}

/**
 * Resolves once every expected series is stored and analysed up to its last candle, the pg_net queue
 * is empty and the feed is idle (after `finished`, when given). While waiting it runs the analyze
 * sweep (what the minute job does) every `sweepEveryMs`, so a lost wake-up does not hold a replay
 * for a minute. A lost connection or a database restarting meanwhile is waited out (the next round
 * asks again); any other database error rejects. Rejects after `timeoutMs`.
 */
export async function waitCaughtUp(
  sql: postgres.Sql,
  feed: {
    replayed: readonly ExpectedSeries[];
    fake: FakeBinance | null;
    relay: Relay | null;
    cron?: ReplayCron | null;
  },
  opts: { sweepEveryMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const start = Date.now();
  const timeout = opts.timeoutMs ?? Infinity;
  // A replay cron driving the clock replaces the stream: the fake's schedule never plays then.
  if (feed.cron) await feed.cron.done;
  if (feed.fake && (!feed.cron || feed.relay)) await feed.fake.finished;
  let lastSweep = Date.now();
  let state = "nothing read yet";
  for (;;) {
    try {
      const heads = await seriesHeads(sql, feed.replayed.map((r) => r.key));
      state = JSON.stringify(heads);
      const done = feed.replayed.every((r) => {
        const h = heads.find((x) => x.symbol === r.key.symbol && x.interval === r.key.interval);
        return h?.lastOpenTime === r.lastOpenTime && h.analyzedOpenTime === r.lastOpenTime;
      });
      const [{ queued }] = await sql`select count(*)::int as queued from net.http_request_queue`;
      if (done && queued === 0 && (feed.relay?.idle() ?? true) && (feed.cron?.idle() ?? true)) {
        return;
      }
      if (Date.now() - lastSweep >= (opts.sweepEveryMs ?? 2000)) {
        lastSweep = Date.now();
        await sql`select private.sweep_analysis()`;
      }
    } catch (e) {
      if (!isConnectionLoss(e)) throw e;
      state = `database unreachable: ${(e as Error).message}`;
    }
    if (Date.now() - start > timeout) {
      throw new Error(`not caught up after ${timeout} ms: ${state}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
